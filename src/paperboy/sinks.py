"""Where a digest goes: the `Sink` protocol every platform's sender implements.

The core (`delivery`) sends through this protocol; the adapters implement it; the composition root
(`paperboy.wiring`) builds the ones the settings enable. Keeping it here, beside the core that calls it, is
what lets the core stay ignorant of every platform.
"""

from __future__ import annotations

from typing import Protocol

from paperboy.digest import Digest


class Sink(Protocol):
    """Sends digests to one platform's channels."""

    async def send(self, digest: Digest) -> tuple[str, ...]:
        """Post `digest` to its channel; the ids of the messages posted. Raises `DeliveryError` (try again
        later) or `ChannelUnavailable` (the channel is gone or forbidden)."""
        ...
