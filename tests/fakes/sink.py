"""A sink that records the digests it is given, and can be told to fail or to die mid-send."""

from __future__ import annotations

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
