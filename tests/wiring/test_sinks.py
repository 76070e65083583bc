"""The sinks' shared rate budgets: counted from the live processes in the process table, and paced to this
process's share of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest

from paperboy.config import DeliverySettings, Settings
from paperboy.digest import Digest
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.store.locks import this_process
from paperboy.store.processes import GONE_AFTER
from paperboy.wiring.sinks import build_sinks, live_processes
from tests.fakes.clock import FakeClock
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_the_budget_is_shared_by_the_live_processes_and_this_one(store: Store) -> None:
    count = live_processes(store, FakeClock(NOW))
    assert await count() == 1, "alone, even before this process's first heartbeat"
    await store.processes.beat("host-a:10", NOW, NOW, "1.0", {})
    await store.processes.beat("host-b:20", NOW - GONE_AFTER * 2, NOW - GONE_AFTER * 2, "1.0", {})  # gone
    await store.processes.beat(this_process(), NOW, NOW, "1.0", {})
    assert await count() == 2


async def test_webhook_requests_go_at_this_process_s_share_of_the_rate(store: Store, webhooks: FakeWebhooks) -> None:
    for n in range(3):
        await store.processes.beat(f"host-{n}:1", NOW, NOW, "1.0", {})
    settings = replace(Settings(), delivery=DeliverySettings(webhook_requests_per_second=200))
    day = date(2026, 3, 1)
    digests = [Digest(ChannelRef(Platform.WEBHOOK, webhooks.slack_url(str(n))), day, ()) for n in range(11)]
    async with httpx.AsyncClient() as client:
        sink = build_sinks(settings, client, store, FakeClock(NOW))[Platform.WEBHOOK]
        for digest in digests:
            await sink.send(digest)
    first, last = webhooks.first_and_last()
    assert webhooks.accepted == 11
    assert last - first >= 10 * (4 / 200) * 0.95, "a quarter of the rate: four processes share it"
