"""Adapters turn a platform-neutral `Digest` into a platform's messages and send them. They never touch SQL."""

from __future__ import annotations

from typing import Protocol

from paperboy.digest import Digest


class Sink(Protocol):
    """Sends digests to one platform's channels."""

    async def send(self, digest: Digest) -> tuple[str, ...]:
        """Post `digest` to its channel; the ids of the messages posted. Raises `DeliveryError` (try again
        later) or `ChannelUnavailable` (the channel is gone or forbidden)."""
        ...
