"""The one HTTP client paperboy's sources share, and GET with retries that says in words what went wrong.

Retried, by the one policy in `paperboy.retry` with the `[http]` settings: connection errors, timeouts, 429
(waiting what `Retry-After` or `RateLimit` asks) and 5xx, and bodies the caller could not parse (a response cut
off mid-way). Any other 4xx is final: what the caller's parser makes of it is raised at once, as permanent.
After the last try, `SourceUnavailable` with one sentence for the user.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

import paperboy
from paperboy.config import HttpSettings
from paperboy.errors import Fault, PaperboyError, SourceError
from paperboy.reach import cannot_reach, no_answer
from paperboy.retry import GaveUp, RetryPolicy, Throttled

log = logging.getLogger(__name__)

USER_AGENT = f"paperboy/{paperboy.__version__} (ML papers digest bot; python-httpx)"

T = TypeVar("T")


class SourceUnavailable(SourceError):
    """The service could not be reached or kept failing: later requests to it would fail the same way."""


def make_client(http: HttpSettings) -> httpx.AsyncClient:
    seconds = http.timeout.total_seconds()
    return httpx.AsyncClient(
        timeout=httpx.Timeout(seconds),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a request goes, for messages: the service's name and the config key that sets its URL."""

    service: str
    config_key: str


class NoAnswer(SourceUnavailable):
    """No try got an answer within `http.timeout`. Who and how long are kept, so that a caller that cut the wait
    short itself (`paperboy doctor`) can say so rather than advise a longer `http.timeout`."""

    def __init__(self, message: str, *, service: str, seconds: float) -> None:
        super().__init__(message)
        self.service = service
        self.seconds = seconds


class _TryFailed(SourceUnavailable):
    """One try that failed in a way another may not: `start` says what happened ("Hugging Face answered 503"),
    `hint` what to do if every try fails so."""

    def __init__(
        self, start: str, hint: str = "try again later", *, reached: bool = True, waited: float | None = None
    ) -> None:
        super().__init__(start)
        self.start = start
        self.hint = hint
        #: whether the request may have reached the service (False: no connection was made)
        self.reached = reached
        #: the seconds waited for an answer that did not come; None: it failed some other way
        self.waited = waited


async def get_parsed(
    client: httpx.AsyncClient,
    url: str,
    *,
    parse: Callable[[httpx.Response], T],
    endpoint: Endpoint,
    policy: HttpSettings,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    pacer: Pacer | None = None,
    parse_in_thread: bool = False,
) -> T:
    """GET `url` and return `parse(response)`, retrying what a retry can fix (`paperboy.retry`).

    `parse` sees every response that is not 429 or 5xx; a `ValueError` from it (a body cut off, say) is retried.
    What it makes of a 4xx (other than 429) is final: the same request would get the same answer.
    `parse_in_thread` runs `parse` in a worker thread, for bodies big enough to stall the event loop.
    """

    async def one_try() -> T:
        async with pacer.turn() if pacer else nullcontext():
            response = await _get(client, url, endpoint, policy, params=params, headers=headers)
        if parse_in_thread:
            return await asyncio.to_thread(_parsed, response, parse, endpoint)
        return _parsed(response, parse, endpoint)

    retry = RetryPolicy.for_sources(policy)
    try:
        return await retry.run(one_try, on_retry=lambda error, wait, next_try: _log_retry(error, wait, next_try, retry))
    except GaveUp as end:
        raise _gave_up(end, endpoint) from None


async def _get(
    client: httpx.AsyncClient,
    url: str,
    endpoint: Endpoint,
    policy: HttpSettings,
    *,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
) -> httpx.Response:
    """One GET; a 429, a 5xx or no answer at all is raised as a retryable error."""
    service = endpoint.service
    try:
        response = await client.get(url, params=params, headers=headers)
    except httpx.TimeoutException as error:
        seconds = policy.timeout.total_seconds()
        raise _TryFailed(
            no_answer(service, seconds),
            "try again later, or raise http.timeout",
            reached=not isinstance(error, httpx.ConnectTimeout),
            waited=seconds,
        ) from None
    except httpx.TransportError as error:
        raise _TryFailed(
            cannot_reach(service, url, error),
            f"check {endpoint.config_key} and the network",
            reached=not isinstance(error, httpx.ConnectError),
        ) from None
    if response.status_code == 429:
        raise Throttled(f"{service} answered 429 Too Many Requests", retry_after=_retry_after(response))
    if response.status_code >= 500:
        raise _TryFailed(f"{service} answered {_status_reason(response)}")
    return response


def _parsed(response: httpx.Response, parse: Callable[[httpx.Response], T], endpoint: Endpoint) -> T:
    """`parse(response)`: an unreadable body is retried; whatever `parse` makes of a 4xx is not."""
    refused = 400 <= response.status_code < 500
    try:
        return parse(response)
    except ValueError as error:
        if refused:
            raise SourceUnavailable(
                f"{endpoint.service} answered {_status_reason(response)} with an unreadable body; "
                f"check {endpoint.config_key}",
                fault=Fault.PERMANENT,
            ) from None
        raise _TryFailed(f"{endpoint.service} answered an unreadable response ({error})") from None
    except PaperboyError as error:
        if refused:
            # the parser's words stand; only the verdict changes: asking again gets the same answer
            error.fault = Fault.PERMANENT
        raise


def _gave_up(end: GaveUp, endpoint: Endpoint) -> BaseException:
    """The error for the user once no try is left: the service's answer, and how often it came."""
    last = end.last
    if isinstance(last, Throttled) and end.asked_wait is not None:
        return SourceUnavailable(
            f"{endpoint.service} asks paperboy to wait {end.asked_wait:.0f}s before the next request "
            "(429 Too Many Requests); try again later"
        )
    if isinstance(last, _TryFailed):
        message = f"{last.start}{_times(end.tries)}; {last.hint}"
        if last.waited is not None:
            return NoAnswer(message, service=endpoint.service, seconds=last.waited)
        return SourceUnavailable(message)
    if isinstance(last, Throttled):
        return SourceUnavailable(f"{last}{_times(end.tries)}; try again later")
    return last  # the parser's own error, in its own words


class Pacer:
    """Spaces requests to one service at least `interval` seconds apart, one at a time (arXiv's terms). A try
    that got no connection sent the service nothing: the next waits only for the retry policy's backoff."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._lock:
            delay = self._next_start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            except _TryFailed as failed:
                if failed.reached:
                    self._next_start = loop.time() + self._interval
                raise
            except BaseException:
                self._next_start = loop.time() + self._interval
                raise
            else:
                self._next_start = loop.time() + self._interval


_RATELIMIT_RESET = re.compile(r"(?:^|[;,\s])t=(\d+)")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` (seconds or a date), else `RateLimit: …;t=N`."""
    value = response.headers.get("Retry-After")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    match = _RATELIMIT_RESET.search(response.headers.get("RateLimit", ""))
    return float(match.group(1)) if match else None


def _status_reason(response: httpx.Response) -> str:
    if response.status_code == 429:
        return "429 Too Many Requests"
    return f"{response.status_code} {response.reason_phrase}".strip()


def _times(tries: int) -> str:
    """How often it failed, after what failed: nothing for a single try."""
    return "" if tries == 1 else f" on all {tries} tries"


def _log_retry(error: BaseException, wait: float, next_try: int, policy: RetryPolicy) -> None:
    """One short line per retry: what failed, and which try comes when."""
    reason = error.start if isinstance(error, _TryFailed) else str(error)
    log.warning("%s; try %d of %d in %.1f s", reason, next_try, policy.attempts, wait)
