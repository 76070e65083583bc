"""Many channels at once: every digest delivered, concurrently, without ever going over the receiver's limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paperboy.adapters.webhook import WebhookSink
from paperboy.config import DeliverySettings, DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.models import ChannelRef, Platform
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
        # headroom: the receiver shares the event loop, so arrivals can bunch after a stall
        webhook_requests_per_second=int(RECEIVER_LIMIT * 0.8),
        backoff=timedelta(milliseconds=10),
    )
    refs = [ChannelRef(Platform.WEBHOOK, webhooks.discord_url(str(n))) for n in range(CHANNELS)]
    async with await Store.open(db_path) as store, httpx.AsyncClient() as client:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in refs:
            await service.subscribe(ref, by="test", max_papers=3)
        outcomes = await DigestRunner(store, {Platform.WEBHOOK: WebhookSink(client, settings)}, clock).run_now()
    assert [o.result for o in outcomes] == [Result.SENT] * CHANNELS
    assert all(len(webhooks.payloads(ref.channel)) == 1 for ref in refs)
    assert webhooks.limited == 0
    assert webhooks.most_in_one_second() <= RECEIVER_LIMIT


async def test_a_run_killed_after_the_webhook_took_the_digest_resends_it_marked(
    db_path: Path, webhooks: FakeWebhooks
) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    settings = DeliverySettings(backoff=timedelta(milliseconds=10))
    url = webhooks.slack_url("k")
    async with await Store.open(db_path) as store, httpx.AsyncClient() as client:
        await store.papers.upsert(corpus_papers())
        await SubscriptionService(store, DigestSettings(), clock).subscribe(
            ChannelRef(Platform.WEBHOOK, url), by="test", max_papers=3
        )
        sinks = {Platform.WEBHOOK: WebhookSink(client, settings)}
        run = asyncio.create_task(DigestRunner(store, sinks, clock).run_now())
        async with asyncio.timeout(10):
            while not webhooks.payloads(url):  # noqa: ASYNC110 - waits for the fake server to receive
                await asyncio.sleep(0.001)
        run.cancel()  # the process dies before it hears back
        with pytest.raises(asyncio.CancelledError):
            await run
        [outcome] = await DigestRunner(store, sinks, clock).run_due()  # the restarted process
    first, repeat = webhooks.payloads(url)
    assert outcome.result is Result.SENT and outcome.resent
    assert first["blocks"][0]["text"]["text"].endswith("3 new papers")
    assert repeat["blocks"][0]["text"]["text"].endswith("3 new papers (resent)")
    assert first["blocks"][1:] == repeat["blocks"][1:]
