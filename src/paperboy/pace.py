"""A request pace that several processes share: at most `per_second` requests a second to a platform in all.

One process alone sends at the whole rate. Processes sharing a database (several `paperboy run` on PostgreSQL)
each take an equal share: the pace asks `sharers` (the number of live processes, from the process table) every
`refresh` seconds and spaces its requests `sharers / per_second` apart, never in a burst, so that the sum over
every process stays within the platform's limit in any one second.

A process that finds others already sending waits `refresh` seconds before its first request: by then each of
them has read the table again and counted it, and slowed down to make room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

log = logging.getLogger(__name__)

#: how many processes share the budget now (at least 1: this one)
Sharers = Callable[[], Awaitable[int]]
#: how often the number of processes sharing a budget is read again
REFRESH_SECONDS = 5.0


class Pace:
    """`async with pace:` before each request. Requests are spaced evenly: each at least `1 / rate` seconds
    after the one before it started, where `rate` is this process's share of `per_second`."""

    def __init__(
        self,
        per_second: float,
        sharers: Sharers | None = None,
        *,
        refresh: float = REFRESH_SECONDS,
        what: str = "requests",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_second = per_second
        self._sharers = sharers
        self._refresh = refresh
        self._what = what
        self._clock = clock
        self._lock = asyncio.Lock()
        self._shared_by = 1
        self._read_at: float | None = None
        self._next_at = 0.0

    @property
    def shared_by(self) -> int:
        """How many processes shared the budget at the last look."""
        return self._shared_by

    @property
    def rate(self) -> float:
        """This process's requests a second, as of the last look."""
        return self._per_second / self._shared_by

    async def __aenter__(self) -> None:
        await self.wait()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None

    async def wait(self) -> None:
        """Wait for this process's next turn to send a request."""
        # one waiter at a time, in the order they came: the lock is fair
        async with self._lock:
            await self._look()
            delay = self._next_at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            # spaced from when this request really starts: a late wake-up never lets two start closer together
            self._next_at = self._clock() + 1 / self.rate

    async def _look(self) -> None:
        """Read how many processes share the budget, when the last look is older than `refresh`."""
        if self._sharers is None:
            return
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self._refresh:
            return
        first = self._read_at is None
        try:
            count = max(1, await self._sharers())
        except Exception as error:  # the last count stands; the next request looks again
            log.warning("cannot read how many processes share the pace of %s: %s", self._what, error)
            self._read_at = now
            return
        if count != self._shared_by:
            log.info("%s: %d processes share %g a second, %.2f a second each", self._what, count,
                     self._per_second, self._per_second / count)  # fmt: skip
        self._shared_by, self._read_at = count, now
        if first and count > 1:
            # the others counted themselves only so far: they make room at their next look
            self._next_at = max(self._next_at, now + self._refresh)
