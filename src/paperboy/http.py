"""The one HTTP client paperboy's sources share, and GET with retries that says in words what went wrong.

Retried: connection errors, timeouts, 429 (waiting what `Retry-After` or `RateLimit` asks) and 5xx, and bodies
the caller could not parse (a response cut off mid-way). Waits grow exponentially with jitter, up to
`http.attempts` tries; then `SourceUnavailable` with one sentence for the user.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

import paperboy
from paperboy.config import HttpSettings
from paperboy.errors import SourceError

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


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


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
) -> T:
    """GET `url` and return `parse(response)`, retrying what a retry can fix.

    `parse` sees every response that is not 429 or 5xx; a `ValueError` from it (a body cut off, say) is retried.
    """
    max_wait = policy.max_wait.total_seconds()

    def should_retry(error: BaseException) -> bool:
        if isinstance(error, _Retryable):
            return error.retry_after is None or error.retry_after <= max_wait
        return isinstance(error, httpx.TransportError)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_Wait(policy),
        retry=retry_if_exception(should_retry),
        before_sleep=lambda state: _log_retry(state, endpoint),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                async with pacer.turn() if pacer else nullcontext():
                    response = await client.get(url, params=params, headers=headers)
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(_status_reason(response), _retry_after(response))
                try:
                    return parse(response)
                except ValueError as error:
                    raise _Retryable(f"an unreadable response ({error})") from None
    except _Retryable as error:
        tries = attempt.retry_state.attempt_number
        if error.retry_after is not None and error.retry_after > max_wait:
            raise SourceUnavailable(
                f"{endpoint.service} asks paperboy to wait {error.retry_after:.0f}s before the next request "
                f"({error.reason}); try again later"
            ) from None
        raise SourceUnavailable(
            f"{endpoint.service} answered {error.reason} {_times(tries)}; try again later"
        ) from None
    except httpx.TimeoutException:
        raise SourceUnavailable(
            f"{endpoint.service} did not answer within {policy.timeout.total_seconds():g}s "
            f"{_times(attempt.retry_state.attempt_number)}; try again later, or raise http.timeout"
        ) from None
    except httpx.TransportError as error:
        raise SourceUnavailable(
            f"cannot reach {endpoint.service} at {_origin(url)} ({_transport_reason(error)}); "
            f"check {endpoint.config_key} and the network"
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover


class Pacer:
    """Spaces requests to one service at least `interval` seconds apart, one at a time (arXiv's terms)."""

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
            finally:
                self._next_start = loop.time() + self._interval


class _Wait:
    """Exponential backoff with full jitter (backoff · 2ⁿ + up to one backoff), unless the server said how long."""

    def __init__(self, policy: HttpSettings) -> None:
        self._backoff = policy.backoff.total_seconds()
        self._cap = policy.max_wait.total_seconds()

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return error.retry_after
        growth: float = self._backoff * 2.0 ** (retry_state.attempt_number - 1)
        return min(self._cap, growth + random.uniform(0, self._backoff))


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


def _transport_reason(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return text


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def _times(tries: int) -> str:
    return "once" if tries == 1 else f"on all {tries} tries"


def _log_retry(state: RetryCallState, endpoint: Endpoint) -> None:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _Retryable):
        reason = error.reason
    elif isinstance(error, httpx.TimeoutException):
        reason = "no answer in time"
    elif isinstance(error, httpx.TransportError):
        reason = f"cannot connect ({_transport_reason(error)})"
    else:
        reason = type(error).__name__
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("%s: %s; retrying in %.1fs (try %d)", endpoint.service, reason, wait, state.attempt_number + 1)
