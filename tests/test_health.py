"""`/healthz` and `/metrics`: healthy only while the database answers and every source fetches in time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from paperboy.config import HealthSettings, Settings
from paperboy.health import check_health
from paperboy.runtime import FetchStatus
from paperboy.scheduler import fetch_job
from paperboy.store.locks import this_process
from paperboy.wiring.runtime import open_runtime
from tests.fakes.clock import FakeClock
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.running import free_port, serving
from tests.fakes.server import Fault

pytestmark = pytest.mark.asyncio
START = datetime(2025, 1, 16, 12, 0, tzinfo=UTC)


async def test_run_serves_health_and_metrics(settings: Settings) -> None:
    port = free_port()
    only_hf = replace(
        settings,
        health=HealthSettings(port=port),
        sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)),
    )
    async with serving(only_hf), httpx.AsyncClient() as client:
        # 200 comes at once (a source is given time for its first fetch); wait for the fetch itself
        health = await healthz_until(client, port, lambda h: h.json()["sources"]["huggingface"]["last_fetched"])
        metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
    body = health.json()
    assert health.status_code == 200, body
    assert body["database"] == "ok"
    assert body["sources"]["huggingface"]["ok"] and body["sources"]["huggingface"]["last_fetched"]
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'paperboy_papers_ingested_total{kind="new",source="huggingface"}' in metrics.text
    assert "paperboy_search_seconds_bucket" in metrics.text


async def test_healthz_lists_the_live_processes_with_what_they_hold(settings: Settings) -> None:
    port = free_port()
    only_hf = replace(
        settings,
        health=HealthSettings(port=port),
        sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)),
    )
    async with serving(only_hf), httpx.AsyncClient() as client:
        health = await healthz_until(client, port, lambda h: h.json()["processes"])
    [process] = health.json()["processes"]
    assert process["name"] == this_process()
    assert datetime.fromisoformat(process["seen"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert process["holds"]["sending"] == 0


async def test_a_source_another_process_fetches_is_healthy_while_this_one_skips_it(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = clock = FakeClock(START)
        clock.advance(3 * runtime.interval("huggingface"))
        runtime.fetch_status["huggingface"] = FetchStatus().skipped(clock.now())
        clock.advance(3 * runtime.interval("huggingface"))
        source = (await check_health(runtime, START)).sources["huggingface"]
        assert source.ok and source.state == "fetched by another process" and source.last_fetched is None
        clock.advance(timedelta(seconds=1))
        assert not (await check_health(runtime, START)).sources["huggingface"].ok


async def test_an_offline_source_makes_healthz_answer_503_naming_it_and_its_error(
    settings: Settings, hf_server: FakeHuggingFace
) -> None:
    port = free_port()
    only_hf = replace(
        settings,
        health=HealthSettings(port=port),
        sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)),
    )
    hf_server.fail_next(PATH, *[Fault(500)] * 1000)
    async with serving(only_hf), httpx.AsyncClient() as client:
        health = await healthz_until(client, port, lambda h: h.status_code == 503)
    source = health.json()["sources"]["huggingface"]
    assert not source["ok"] and source["last_fetched"] is None
    assert "Hugging Face answered 500" in source["last_error"]
    assert source["state"] == "no fetch since start succeeded (1 failed)"


async def test_a_source_whose_every_fetch_failed_is_unhealthy_at_once(
    settings: Settings, hf_server: FakeHuggingFace
) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = FakeClock(START)
        for n in range(runtime.lookback_days("huggingface")):
            hf_server.failing_days[(START.date() - timedelta(days=n)).isoformat()] = 500
        assert (await check_health(runtime, START)).ok, "before the first fetch, a source is given time"
        await fetch_job(runtime, "huggingface")
        health = await check_health(runtime, START)
    assert not health.ok and not health.sources["huggingface"].ok and health.sources["arxiv"].ok
    assert "Hugging Face answered 500" in (health.sources["huggingface"].last_error or "")


async def test_a_day_that_fails_while_others_are_fetched_keeps_the_source_healthy(
    settings: Settings, hf_server: FakeHuggingFace
) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = FakeClock(START)
        hf_server.failing_days[(START.date() - timedelta(days=1)).isoformat()] = 500
        await fetch_job(runtime, "huggingface")
        health = await check_health(runtime, START)
    source = health.sources["huggingface"]
    assert source.ok and source.last_fetched == START.isoformat()
    assert "Hugging Face answered 500" in (source.last_error or "")


async def test_a_source_without_a_successful_fetch_for_three_intervals_is_unhealthy(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = clock = FakeClock(START)
        interval = runtime.interval("huggingface")
        clock.advance(3 * interval)
        assert (await check_health(runtime, START)).ok, "three intervals are allowed"
        clock.advance(timedelta(seconds=1))
        late = await check_health(runtime, START)
        assert not late.ok and not late.sources["huggingface"].ok
        fetched = FetchStatus(fetches=1, last_success=clock.now())
        runtime.fetch_status["huggingface"] = runtime.fetch_status["arxiv"] = fetched
        assert (await check_health(runtime, START)).ok
        clock.advance(3 * runtime.interval("arxiv") + timedelta(seconds=1))
        assert not (await check_health(runtime, START)).sources["arxiv"].ok


async def test_a_database_that_does_not_answer_is_unhealthy(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        runtime.clock = FakeClock(START)
        await runtime.store.close()
        health = await check_health(runtime, START)
    assert not health.ok
    assert health.database.startswith("failing")


async def healthz_until(
    client: httpx.AsyncClient, port: int, done: Callable[[httpx.Response], object], within: float = 20
) -> httpx.Response:
    """`/healthz`'s first answer for which `done` holds, asked every 50 ms; fails after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            try:
                health = await client.get(f"http://127.0.0.1:{port}/healthz")
                if done(health):
                    return health
            except httpx.ConnectError:
                pass
            await asyncio.sleep(0.05)
