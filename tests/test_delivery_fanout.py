"""Many channels at once: every digest delivered, concurrently, without ever going over the receiver's limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paperboy.adapters.webhook import WebhookSink
from paperboy.config import DeliverySettings, DigestSettings
from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, DigestState, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
CHANNELS = 1000
RECEIVER_LIMIT = 500  # requests per second


async def test_a_thousand_channels_are_served_within_the_receivers_rate_limit(
    db_path: Path, webhooks: FakeWebhooks
) -> None:
    webhooks.per_second = RECEIVER_LIMIT
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    settings = DeliverySettings(
        webhook_requests_per_second=int(RECEIVER_LIMIT * 0.9), backoff=timedelta(milliseconds=10)
    )
    refs = [ChannelRef(Platform.WEBHOOK, webhooks.discord_url(str(n))) for n in range(CHANNELS)]
    async with await Store.open(db_path) as store, httpx.AsyncClient() as client:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in refs:
            await service.subscribe(ref, by="test", max_papers=3)
        outcomes = await DigestRunner(store, {Platform.WEBHOOK: WebhookSink(client, settings)}, clock).run_now()
    assert [o.state for o in outcomes] == [DigestState.SENT] * CHANNELS
    assert all(len(webhooks.payloads(ref.channel)) == 1 for ref in refs)
    assert webhooks.limited == 0
    assert webhooks.most_in_one_second() <= RECEIVER_LIMIT
