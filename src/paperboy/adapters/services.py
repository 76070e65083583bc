"""What the chat adapters may call: the core's services, who may change a channel's feed, and the two narrow
records an adapter keeps (Slack installations with their OAuth states, Discord's command markers).

The records are Protocols: the composition root (`paperboy.wiring`) hands in the store's repositories, which
fit them, so no adapter imports `paperboy.store` or knows there is SQL behind them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from paperboy.delivery import DigestRunner
from paperboy.models import Installation, Platform
from paperboy.ratings import RatingService
from paperboy.service import PaperService
from paperboy.subscriptions import SubscriptionService


async def anyone(user_id: str) -> bool:
    return True


@dataclass(slots=True)
class Services:
    papers: PaperService
    subscriptions: SubscriptionService
    digests: DigestRunner
    #: whether a user may change a channel's feed (Slack: slack.restrict_changes; Discord checks permissions)
    may_change: Callable[[str], Awaitable[bool]] = anyone
    #: 👍 / 👎 clicks on the digests' papers (None: a digest's buttons say rating is not available)
    ratings: RatingService | None = None


class Installations(Protocol):
    """The workspaces that installed paperboy (Slack OAuth), and the OAuth states of installs under way."""

    async def save(self, installation: Installation) -> None: ...

    async def find(self, platform: Platform, workspace: str, enterprise: str | None = None) -> Installation | None: ...

    async def delete(self, platform: Platform, workspace: str, enterprise: str = "") -> bool: ...

    async def issue_state(self, state: str, expires_at: datetime, now: datetime) -> bool:
        """Keep `state` until `expires_at`; False (nothing kept) when too many installs are under way."""
        ...

    async def consume_state(self, state: str, now: datetime) -> bool: ...


class Markers(Protocol):
    """Small named facts kept across restarts (the hash of the Discord commands last registered)."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, value: str) -> None: ...
