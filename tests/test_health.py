"""`/healthz` and `/metrics`: healthy only while the database answers and every source fetches in time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from paperboy.app import serve
from paperboy.config import HealthSettings, Settings
from paperboy.health import check_health
from paperboy.runtime import open_runtime
from tests.fakes.clock import FakeClock
from tests.fakes.running import free_port

pytestmark = pytest.mark.asyncio
START = datetime(2025, 1, 16, 12, 0, tzinfo=UTC)


async def test_run_serves_health_and_metrics(settings: Settings) -> None:
    port = free_port()
    only_hf = replace(
        settings,
        health=HealthSettings(port=port),
        sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve(only_hf, stop))
    try:
        async with httpx.AsyncClient() as client, asyncio.timeout(20):
            while True:
                try:
                    health = await client.get(f"http://127.0.0.1:{port}/healthz")
                    # healthy from the start; the fetch at start is what the test waits for
                    if health.status_code == 200 and health.json()["sources"]["huggingface"]["last_fetched"]:
                        break
                except httpx.ConnectError:
                    pass
                await asyncio.sleep(0.05)
            metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    body = health.json()
    assert body["database"] == "ok"
    assert body["sources"]["huggingface"]["ok"] and body["sources"]["huggingface"]["last_fetched"]
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'paperboy_papers_ingested_total{kind="new",source="huggingface"}' in metrics.text
    assert "paperboy_search_seconds_bucket" in metrics.text


async def test_a_source_without_a_clean_fetch_for_three_intervals_is_unhealthy(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = clock = FakeClock(START)
        interval = runtime.interval("huggingface")
        clock.advance(3 * interval)
        assert (await check_health(runtime, START)).ok, "three intervals are allowed"
        clock.advance(timedelta(seconds=1))
        late = await check_health(runtime, START)
        assert not late.ok and not late.sources["huggingface"].ok
        runtime.last_fetched["huggingface"] = runtime.last_fetched["arxiv"] = clock.now()
        assert (await check_health(runtime, START)).ok


async def test_a_database_that_does_not_answer_is_unhealthy(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = FakeClock(START)
        await runtime.store.close()
        health = await check_health(runtime, START)
    assert not health.ok
    assert health.database.startswith("failing")
