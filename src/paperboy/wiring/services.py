"""The services a chat adapter's commands get, built in one place for Slack, Discord and `paperboy discord`."""

from __future__ import annotations

from paperboy.adapters.services import Services
from paperboy.clock import Clock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner
from paperboy.ratings import RatingService
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService


def chat_services(store: Store, settings: Settings, clock: Clock, digests: DigestRunner) -> Services:
    """Search, subscriptions, digests and ratings over `store`, with "today" on `clock`."""
    return Services(
        papers=PaperService(store, today=lambda: clock.now().date()),
        subscriptions=SubscriptionService(store, settings.digest, clock, feed_base_url=settings.feeds.base_url),
        digests=digests,
        ratings=RatingService(store, clock),
    )
