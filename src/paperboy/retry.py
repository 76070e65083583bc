"""The one in-request retry policy: how many tries, how long between them, and which failures get another.

Every request paperboy repeats (a source's GET, a webhook's or Slack's post) goes through `RetryPolicy.run`:

- Another try is made only when `fault_of(error) is Fault.RETRYABLE`. A `PERMANENT` error (channel gone,
  token refused, a 404) and a `BUG` (a payload the platform calls malformed, an unexpected exception) end
  the call at once, raised as they are. One more rule, for messages: an error that `maybe_sent` the message
  is tried again only by a caller that can tell whether it arrived (`repeat_maybe_sent=True`, with a
  `before_retry` that asks), since a blind repeat would post it twice.
- Waits grow exponentially with jitter (`backoff · 2ⁿ` plus up to one `backoff`), never above `max_wait`. A
  server that says how long to wait (`Throttled.retry_after`, from `Retry-After`) is waited exactly that long;
  one that asks for more than `max_wait` is not waited for: `GaveUp` says so, and the caller tells its user
  to try later.
- After the last try, or that refused wait, `run` raises `GaveUp` with the last error and the tries made; the
  caller turns it into its own sentence ("… answered 503 on all 4 tries; try again later").

`RetryPolicy.wait` is the same backoff for loops that are not one call (a gateway reconnecting).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from paperboy.config import DeliverySettings, HttpSettings
from paperboy.errors import DeliveryError, Fault, PaperboyError, fault_of

T = TypeVar("T")

#: called before each wait: the error that failed the try, the seconds about to be waited, the next try's number
OnRetry = Callable[[BaseException, float, int], None]


class Throttled(PaperboyError):
    """A server said "too many requests" (a 429): retryable, after `retry_after` seconds when it said how long
    (`Retry-After`), else after the usual backoff."""

    fault = Fault.RETRYABLE

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GaveUp(PaperboyError):
    """Retryable failures on every try, or a server asking for a wait longer than `max_wait`.

    `last` is the last try's error, `tries` how many tries were made; `asked_wait` is the wait the server
    asked for when that is why paperboy stopped (else None). Callers catch it and say it in their own words.
    """

    fault = Fault.RETRYABLE

    def __init__(self, last: BaseException, tries: int, asked_wait: float | None = None) -> None:
        super().__init__(f"{last} (tried {tries} {'time' if tries == 1 else 'times'})")
        self.last = last
        self.tries = tries
        self.asked_wait = asked_wait


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a request is tried. Times are in seconds."""

    #: tries in all, the first included (at least 1)
    attempts: int
    #: the first wait; each further one doubles it
    backoff: float
    #: the longest wait: backoffs stop growing here, and a server asking for longer is not waited for
    max_wait: float

    @classmethod
    def for_sources(cls, http: HttpSettings) -> RetryPolicy:
        """The policy of the `[http]` settings, for fetching papers."""
        return cls(http.attempts, http.backoff.total_seconds(), http.max_wait.total_seconds())

    @classmethod
    def for_delivery(cls, delivery: DeliverySettings) -> RetryPolicy:
        """The policy of the `[delivery]` settings, for sending a digest's messages."""
        return cls(delivery.attempts, delivery.backoff.total_seconds(), delivery.max_wait.total_seconds())

    def wait(self, failed_tries: int, asked: float | None = None) -> float:
        """Seconds to wait after `failed_tries` failures in a row: `asked` if the server said (even beyond
        `max_wait`: check `too_long` first), else `backoff · 2^(failed_tries-1)` plus jitter, capped."""
        if asked is not None:
            return max(0.0, asked)
        growth: float = self.backoff * 2.0 ** (max(failed_tries, 1) - 1)
        return min(self.max_wait, growth + random.uniform(0, self.backoff))

    def too_long(self, asked: float | None) -> bool:
        """Whether a wait a server asked for is more than this policy waits."""
        return asked is not None and asked > self.max_wait

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        on_retry: OnRetry | None = None,
        before_retry: Callable[[], Awaitable[T | None]] | None = None,
        repeat_maybe_sent: bool = False,
    ) -> T:
        """`await attempt()`, tried again as the module docstring says; its result, or the error that ended it.

        `on_retry` is told of each retry before its wait (to log it). `before_retry` runs before every try but
        the first; a result other than None is taken as the call's result, with no further try (Slack: the
        part is already in the channel). Raises the first error that is not retryable as it is, else `GaveUp`.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait_after,
            retry=retry_if_exception(lambda error: self._worth_another_try(error, repeat_maybe_sent)),
            before_sleep=(lambda state: _announce(state, on_retry)) if on_retry else None,
            reraise=True,
        )
        tries = 0
        try:
            async for try_ in retrying:
                with try_:
                    tries = try_.retry_state.attempt_number
                    if tries > 1 and before_retry is not None:
                        found = await before_retry()
                        if found is not None:
                            return found
                    return await attempt()
        except Exception as error:
            if not self._retryable(error, repeat_maybe_sent):
                raise
            asked = _asked_wait(error)
            raise GaveUp(error, tries, asked if self.too_long(asked) else None) from error
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _wait_after(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait(state.attempt_number, _asked_wait(error))

    def _worth_another_try(self, error: BaseException, repeat_maybe_sent: bool) -> bool:
        return self._retryable(error, repeat_maybe_sent) and not self.too_long(_asked_wait(error))

    @staticmethod
    def _retryable(error: BaseException, repeat_maybe_sent: bool) -> bool:
        if fault_of(error) is not Fault.RETRYABLE:
            return False
        return repeat_maybe_sent or not (isinstance(error, DeliveryError) and error.maybe_sent)


def _asked_wait(error: BaseException | None) -> float | None:
    return error.retry_after if isinstance(error, Throttled) else None


def _announce(state: RetryCallState, on_retry: OnRetry | None) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    if on_retry is not None and error is not None:
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        on_retry(error, wait, state.attempt_number + 1)
