"""Sinks for the core's tests: one that records the digests it is given and can be told to fail or to die
mid-send, and one whose sends wait until the test lets them go."""

from __future__ import annotations

import asyncio
from collections import deque

from paperboy.digest import Digest


class Killed(BaseException):
    """The process dying: not an error paperboy catches, so the run stops where it is."""


class RecordingSink:
    def __init__(self) -> None:
        self.received: list[Digest] = []
        #: what to do on the next sends, in order: an exception to raise before receiving, or "die after"
        self.next: deque[BaseException | str] = deque()

    async def send(self, digest: Digest) -> tuple[str, ...]:
        action = self.next.popleft() if self.next else None
        if isinstance(action, BaseException):
            raise action
        self.received.append(digest)
        if action == "die after":
            raise Killed
        return (f"m{len(self.received)}",)

    def paper_ids(self) -> list[str]:
        return [item.paper_id for digest in self.received for item in digest.items]


class HeldSink:
    """A sink whose sends wait until the test lets them go (a slow platform): it says which sends started,
    which finished, and which were stopped (cancelled) on the way."""

    def __init__(self) -> None:
        self.started: list[Digest] = []
        self.finished: list[Digest] = []
        self.stopped: list[Digest] = []
        self.go = asyncio.Event()
        self._changed = asyncio.Condition()

    async def send(self, digest: Digest) -> tuple[str, ...]:
        async with self._changed:
            self.started.append(digest)
            self._changed.notify_all()
        try:
            await self.go.wait()
        except asyncio.CancelledError:
            self.stopped.append(digest)
            raise
        self.finished.append(digest)
        return (f"m{len(self.finished)}",)

    async def wait_started(self, count: int = 1) -> None:
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: len(self.started) >= count)
