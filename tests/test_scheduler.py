"""The scheduled jobs: a due digest is sent with freshly fetched papers, fetching is not repeated needlessly,
and a source is fetched by one process at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from paperboy.config import DigestSettings, Settings
from paperboy.ingest import WEEK_DAYS
from paperboy.models import ChannelRef, DigestKind, Platform
from paperboy.runtime import Runtime, build_sources
from paperboy.scheduler import FRESH_FOR, digest_job, fetch_job
from paperboy.store import Store
from paperboy.store.identity import Claimant
from paperboy.store.locks import this_process
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import by_day, hf_item
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.sink import RecordingSink

pytestmark = pytest.mark.asyncio
LAB = ChannelRef(Platform.CONSOLE, "lab")


@pytest_asyncio.fixture
async def runtime(settings: Settings, store: Store) -> AsyncIterator[Runtime]:
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    async with httpx.AsyncClient() as client:
        only_hf = build_sources(settings, client, only="huggingface")
        yield Runtime(settings, store, client, only_hf, clock=clock, sinks={Platform.CONSOLE: RecordingSink()})


def sink_of(runtime: Runtime) -> RecordingSink:
    sink = runtime.sinks[Platform.CONSOLE]
    assert isinstance(sink, RecordingSink)
    return sink


async def test_a_due_digest_fetches_first_and_carries_the_fresh_papers(
    runtime: Runtime, hf_server: FakeHuggingFace
) -> None:
    assert isinstance(runtime.clock, FakeClock)
    ids = hf_server.serve_corpus_day(date(2025, 1, 16))
    await SubscriptionService(runtime.store, DigestSettings(), runtime.clock).subscribe(
        LAB, by="test", time="09:00", timezone="UTC", days="daily", max_papers=50
    )
    runtime.clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await digest_job(runtime)
    assert hf_server.requests_to(PATH), "fetched before the digest"
    [digest] = sink_of(runtime).received
    assert sorted(i.paper_id for i in digest.items) == ids


async def test_a_recent_fetch_is_fresh_enough(runtime: Runtime, hf_server: FakeHuggingFace) -> None:
    assert isinstance(runtime.clock, FakeClock)
    hf_server.serve_corpus_day(date(2025, 1, 16))
    await SubscriptionService(runtime.store, DigestSettings(), runtime.clock).subscribe(
        LAB, by="test", time="09:00", timezone="UTC", days="daily"
    )
    runtime.clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    runtime.last_fetched["huggingface"] = runtime.clock.now() - FRESH_FOR + timedelta(seconds=1)
    await digest_job(runtime)
    assert hf_server.requests_to(PATH) == []


async def test_nothing_due_fetches_nothing(runtime: Runtime, hf_server: FakeHuggingFace) -> None:
    await digest_job(runtime)
    assert hf_server.requests_to(PATH) == []
    assert sink_of(runtime).received == []


async def test_the_fetch_job_logs_each_failed_day_with_its_source_and_fetches_the_others(
    runtime: Runtime, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    today = runtime.clock.now().date()
    failing = today - timedelta(days=1)
    hf_server.serve_corpus_day(today)
    hf_server.failing_days[failing.isoformat()] = 500
    with caplog.at_level(logging.ERROR, logger="paperboy.scheduler"):
        await fetch_job(runtime, "huggingface")
    failures = [r.getMessage() for r in caplog.records if r.name == "paperboy.scheduler" and r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert failures[0].startswith(f"fetching huggingface for {failing} failed: Hugging Face answered 500")
    asked = {r.query["date"] for r in hf_server.requests_to(PATH)}
    assert asked == {(today - timedelta(days=n)).isoformat() for n in range(runtime.lookback_days("huggingface"))}


@pytest_asyncio.fixture
async def other_runtime(runtime: Runtime, database_target: Path | str) -> AsyncIterator[Runtime]:
    """A second process on the same database, fetching from the same fake Hugging Face."""
    async with await Store.open(database_target) as store:
        yield Runtime(
            runtime.settings, store, runtime.client, runtime.sources, clock=runtime.clock, sinks=runtime.sinks
        )


def fetched_once(hf_server: FakeHuggingFace) -> bool:
    """Whether every page of every day was asked for once (one fetch), and some were."""
    pages = [(r.query["date"], r.query.get("p", "0")) for r in hf_server.requests_to(PATH)]
    return bool(pages) and len(pages) == len(set(pages))


async def fetch_held_open(runtime: Runtime, hf_server: FakeHuggingFace) -> asyncio.Task[None]:
    """`runtime`'s fetch of Hugging Face, under way and held there until the gate opens."""
    hf_server.gate.clear()
    fetching = asyncio.create_task(fetch_job(runtime, "huggingface"))
    async with asyncio.timeout(10):
        while not hf_server.in_flight:  # noqa: ASYNC110 - the fake answers in this loop
            await asyncio.sleep(0.01)
    return fetching


async def test_a_source_another_process_is_fetching_is_skipped_this_round(
    runtime: Runtime, other_runtime: Runtime, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paperboy.scheduler")
    first = await fetch_held_open(runtime, hf_server)
    await fetch_job(other_runtime, "huggingface")
    said = [r.getMessage() for r in caplog.records if "being fetched" in r.getMessage()]
    assert said == [f"huggingface is being fetched by {this_process()}; skipped"]
    hf_server.gate.set()
    await first
    assert hf_server.most_in_flight == 1
    assert fetched_once(hf_server)
    status = other_runtime.fetch_status["huggingface"]
    assert status.fetches == 0 and status.fetched_elsewhere == other_runtime.clock.now()


async def test_digests_wait_for_the_fetch_of_another_process_and_use_its_papers(
    runtime: Runtime, other_runtime: Runtime, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paperboy.scheduler")
    ids = hf_server.serve_corpus_day(date(2025, 1, 16))
    await SubscriptionService(other_runtime.store, DigestSettings(), other_runtime.clock).subscribe(
        LAB, by="test", time="08:00", timezone="UTC", days="daily", max_papers=50
    )
    first = await fetch_held_open(runtime, hf_server)
    digests = asyncio.create_task(digest_job(other_runtime))
    async with asyncio.timeout(10):
        while not any("waiting for it before the digests" in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    hf_server.gate.set()
    await asyncio.gather(first, digests)
    assert hf_server.most_in_flight == 1
    assert fetched_once(hf_server), "fetched once, not again"
    [digest] = sink_of(other_runtime).received
    assert sorted(i.paper_id for i in digest.items) == ids


async def test_the_digest_job_wakes_again_when_another_process_s_claim_runs_out(runtime: Runtime) -> None:
    now = runtime.clock.now()
    planned = await runtime.store.ledger.plan(LAB, now.date(), ["2501.00001"], [], now, kind=DigestKind.NOW)
    assert planned is not None
    elsewhere = Claimant("elsewhere", 7, "0a0b0c0d", "a1b2c3")
    assert await runtime.store.ledger.claim(planned.id, elsewhere, now, runtime.settings.database.lease) is not None
    wakes: list[datetime] = []
    await digest_job(runtime, wakes.append)
    assert wakes == [now + runtime.settings.database.lease]


async def test_a_weekly_digest_fetches_the_week_first_and_ranks_by_current_upvotes(
    runtime: Runtime, hf_server: FakeHuggingFace
) -> None:
    assert isinstance(runtime.clock, FakeClock)
    old_day = date(2025, 1, 15)  # five days before the digest: beyond the three lookback days
    hf_server.days[old_day.isoformat()] = [hf_item(p, upvotes=1000 + n) for n, p in enumerate(by_day()[old_day])]
    await SubscriptionService(runtime.store, DigestSettings(), runtime.clock).subscribe(
        LAB, by="test", time="09:00", timezone="UTC", days="weekly on mon", max_papers=3
    )
    runtime.clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    runtime.last_fetched["huggingface"] = runtime.clock.now()  # the lookback days were just fetched
    await digest_job(runtime)
    asked = {r.query["date"] for r in hf_server.requests_to(PATH)}
    assert asked == {(date(2025, 1, 20) - timedelta(days=n)).isoformat() for n in range(WEEK_DAYS)}
    [digest] = sink_of(runtime).received
    assert digest.weekly and all(i.upvotes >= 1000 for i in digest.items)


async def test_a_daily_digest_fetches_only_the_lookback_days(runtime: Runtime, hf_server: FakeHuggingFace) -> None:
    assert isinstance(runtime.clock, FakeClock)
    await SubscriptionService(runtime.store, DigestSettings(), runtime.clock).subscribe(
        LAB, by="test", time="09:00", timezone="UTC", days="daily"
    )
    runtime.clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    await digest_job(runtime)
    asked = {r.query["date"] for r in hf_server.requests_to(PATH)}
    assert len(asked) == runtime.lookback_days("huggingface")
