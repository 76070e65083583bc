"""What a chat adapter's commands may call: the core's services, and who may change a channel's feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from paperboy.delivery import DigestRunner
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
