"""Ingest: sources → dedup → store, a day at a time, against the fake servers and a real database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from paperboy.config import Settings
from paperboy.ingest import WEEK_DAYS, being_fetched, days_between, fetch_days, fetch_turn, ingest, lookback, refresh
from paperboy.models import UpsertCounts
from paperboy.runtime import build_sources
from paperboy.sources import Source
from paperboy.store import Store
from paperboy.store.locks import this_process
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.corpus import atom_entry, by_day, hf_item
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.running import free_port

DAY = date(2025, 1, 16)


@pytest_asyncio.fixture
async def sources(settings: Settings) -> AsyncIterator[dict[str, Source]]:
    async with httpx.AsyncClient() as client:
        yield build_sources(settings, client)


def test_days_between_includes_both_ends() -> None:
    assert days_between(date(2025, 1, 30), date(2025, 2, 2)) == [
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 2),
    ]


def test_lookback_ends_today() -> None:
    assert lookback(3, today=DAY) == [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]


@pytest.mark.asyncio
async def test_a_day_is_stored_and_a_second_fetch_adds_no_row(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    first = await ingest(store, sources["huggingface"], [DAY])
    second = await ingest(store, sources["huggingface"], [DAY])
    assert first.counts == UpsertCounts(new=len(ids))
    assert second.counts == UpsertCounts(unchanged=len(ids))
    assert await store.papers.count() == len(ids)


@pytest.mark.asyncio
async def test_a_refetch_updates_upvotes(hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    await ingest(store, sources["huggingface"], [DAY])
    hf_server.serve_corpus_day(DAY, upvotes=77)
    report = await ingest(store, sources["huggingface"], [DAY])
    assert report.counts == UpsertCounts(updated=len(ids))
    assert {(await store.papers.get(i)).upvotes for i in ids} == {77}  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_the_same_paper_from_both_sources_is_one_row(
    hf_server: FakeHuggingFace, arxiv_server: FakeArxiv, store: Store, sources: dict[str, Source]
) -> None:
    paper = by_day()[DAY][0]
    hf_server.days[DAY.isoformat()] = [hf_item(paper, upvotes=12, githubRepo="https://github.com/a/b")]
    arxiv_server.entries = [atom_entry(paper, version=2, categories=("cs.CL", "cs.LG"))]
    await ingest(store, sources["huggingface"], [DAY])
    report = await ingest(store, sources["arxiv"], [DAY])
    assert report.counts == UpsertCounts(updated=1)
    stored = await store.papers.get(paper.id)
    assert stored is not None and await store.papers.count() == 1
    assert stored.sources == {"huggingface", "arxiv"}
    assert (stored.upvotes, stored.github_repo) == (12, "https://github.com/a/b")
    assert (stored.categories, stored.version, stored.daily_date) == (("cs.CL", "cs.LG"), 2, DAY)


@pytest.mark.asyncio
async def test_a_version_bump_updates_the_one_row(
    arxiv_server: FakeArxiv, store: Store, sources: dict[str, Source]
) -> None:
    paper = by_day()[DAY][0]
    arxiv_server.entries = [atom_entry(paper, version=1)]
    await ingest(store, sources["arxiv"], [DAY])
    arxiv_server.entries = [atom_entry(paper, version=3)]
    await ingest(store, sources["arxiv"], [DAY])
    stored = await store.papers.get(paper.id)
    assert stored is not None and stored.version == 3 and await store.papers.count() == 1


@pytest.mark.asyncio
async def test_a_bad_day_does_not_lose_the_others(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    days = [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
    first = hf_server.serve_corpus_day(days[0])
    hf_server.days[days[1].isoformat()] = {"papers": "not what was expected"}
    hf_server.days[days[2].isoformat()] = [hf_item(p) for p in by_day()[DAY]]
    report = await ingest(store, sources["huggingface"], days)
    assert [d.error is None for d in report.days] == [True, False, True]
    assert "Hugging Face sent dict where a list of papers was expected" in (report.days[1].error or "")
    assert await store.papers.count() == len(set(first) | {p.id for p in by_day()[DAY]})


@pytest.mark.asyncio
async def test_a_day_that_keeps_failing_does_not_keep_the_other_days_out(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    older, failing, newer = DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)
    hf_server.serve_corpus_day(older)
    hf_server.days[newer.isoformat()] = [hf_item(p) for p in by_day()[DAY]]
    hf_server.failing_days[failing.isoformat()] = 500
    report = await ingest(store, sources["huggingface"], [older, failing, newer])
    assert [(d.day, d.error is None) for d in report.days] == [(newer, True), (failing, False), (older, True)]
    assert "Hugging Face answered 500" in (report.days[1].error or "")
    asked = {r.query["date"] for r in hf_server.requests_to(PATH)}
    assert asked == {older.isoformat(), failing.isoformat(), newer.isoformat()}
    assert report.days[0].counts.new > 0 and report.days[2].counts.new > 0


@pytest.mark.asyncio
async def test_an_unreachable_source_is_not_asked_again_in_the_same_run(settings: Settings, store: Store) -> None:
    closed = replace(settings.sources.huggingface, base_url=f"http://127.0.0.1:{free_port()}")
    async with httpx.AsyncClient() as client:
        source = build_sources(replace(settings, sources=replace(settings.sources, huggingface=closed)), client)
        report = await ingest(store, source["huggingface"], [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)])
    first, *rest = report.days
    assert first.asked and first.unreachable and "cannot reach Hugging Face" in (first.error or "")
    assert [d.asked for d in rest] == [False, False]
    assert [d.error for d in rest] == ["not asked: huggingface unreachable"] * 2


@pytest.mark.asyncio
async def test_days_are_fetched_and_reported_newest_first(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    seen: list[date] = []
    await ingest(store, sources["huggingface"], [DAY, DAY + timedelta(days=1)], on_day=lambda r: seen.append(r.day))
    assert seen == [DAY + timedelta(days=1), DAY]
    assert [r.query["date"] for r in hf_server.requests_to(PATH)] == [d.isoformat() for d in seen]


@pytest.mark.asyncio
@pytest.mark.parametrize("v2_first", [True, False], ids=["v2-listed-first", "v1-listed-first"])
async def test_a_paper_listed_twice_in_one_response_keeps_the_higher_versions_fields_and_counts(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source], v2_first: bool
) -> None:
    paper = next(p for p in by_day()[DAY] if p.published is not None)
    v2 = hf_item(paper, id=f"{paper.id}v2", upvotes=40, summary="The revised abstract.", githubStars=12)
    v2["title"], v2["numComments"] = "The revised title", 6
    v1 = hf_item(paper, id=f"{paper.id}v1", upvotes=3, summary="The first abstract.", githubStars=2)
    v1["title"], v1["numComments"] = "The first title", 1
    hf_server.days[DAY.isoformat()] = [v2, v1] if v2_first else [v1, v2]
    report = await ingest(store, sources["huggingface"], [DAY])
    stored = await store.papers.get(paper.id)
    assert report.counts == UpsertCounts(new=1)
    assert stored is not None
    assert (stored.version, stored.title, stored.abstract) == (2, "The revised title", "The revised abstract.")
    assert (stored.upvotes, stored.comments, stored.github_stars) == (40, 6, 12)


def test_build_sources_respects_enabled_and_only(settings: Settings) -> None:
    client = httpx.AsyncClient()
    assert set(build_sources(settings, client)) == {"huggingface", "arxiv"}
    off = replace(settings, sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)))
    assert set(build_sources(off, client)) == {"huggingface"}
    assert set(build_sources(off, client, only="arxiv")) == {"arxiv"}


@pytest.mark.asyncio
async def test_a_turn_at_fetching_a_source_is_refused_while_another_process_fetches_it(
    store: Store, database_target: Path | str
) -> None:
    busy: list[str] = []
    async with (
        await Store.open(database_target) as other,
        fetch_turn(store, "huggingface", on_busy=busy.append) as mine,
        fetch_turn(other, "huggingface", on_busy=busy.append) as theirs,
        fetch_turn(other, "arxiv", on_busy=busy.append) as another_source,
    ):
        assert mine and not theirs and another_source
        assert being_fetched(store) == ["huggingface"] and being_fetched(other) == ["arxiv"]
    assert busy == [this_process()]


@pytest.mark.asyncio
async def test_the_fetch_before_digests_waits_for_another_processs_fetch_and_does_not_repeat_it(
    hf_server: FakeHuggingFace,
    store: Store,
    database_target: Path | str,
    sources: dict[str, Source],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="paperboy.ingest")
    today = datetime.now(UTC).date()
    hf_server.days[today.isoformat()] = [hf_item(p) for p in by_day()[DAY]]
    hf_server.gate.clear()
    huggingface = {"huggingface": sources["huggingface"]}
    async with await Store.open(database_target) as other:
        async with fetch_turn(other, "huggingface", on_busy=print) as ours:  # another process fetches
            assert ours
            fetching = asyncio.create_task(ingest(other, sources["huggingface"], [today]))
            refreshing = asyncio.create_task(refresh(store, huggingface, lambda _: 1))
            waiting = f"huggingface is being fetched by {this_process()}; waiting for it before the digests"
            async with asyncio.timeout(10):
                while waiting not in caplog.messages:  # noqa: ASYNC110 - logged by the refreshing task
                    await asyncio.sleep(0.01)
            hf_server.gate.set()
            await fetching
        await refreshing
    pages = [(r.query["date"], r.query.get("p", "0")) for r in hf_server.requests_to(PATH)]
    assert len(pages) == len(set(pages)) == 3, "the day's three pages, once: the refresh used that fetch"


@pytest.mark.asyncio
async def test_the_fetch_before_a_weekly_digest_covers_the_week_even_after_a_recent_fetch(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    huggingface = {"huggingface": sources["huggingface"]}
    await refresh(store, huggingface, lambda _: 3)  # the lookback days, just fetched
    await refresh(store, huggingface, lambda _: 3, week=True)
    asked = sorted({r.query["date"] for r in hf_server.requests_to(PATH)})
    today = datetime.now(UTC).date()
    assert asked == [(today - timedelta(days=n)).isoformat() for n in reversed(range(WEEK_DAYS))]


@pytest.mark.asyncio
async def test_a_week_fetched_recently_is_not_fetched_again_for_any_digest(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    huggingface = {"huggingface": sources["huggingface"]}
    await refresh(store, huggingface, lambda _: 3, week=True)
    fetched = len(hf_server.requests_to(PATH))
    await refresh(store, huggingface, lambda _: 3, week=True)
    await refresh(store, huggingface, lambda _: 3)
    assert len(hf_server.requests_to(PATH)) == fetched == WEEK_DAYS


def test_a_long_lookback_is_kept_before_a_weekly_digest() -> None:
    assert len(fetch_days(20, DAY, week=True)) == 20
    assert fetch_days(3, DAY, week=True)[0] == DAY - timedelta(days=WEEK_DAYS - 1)
    assert fetch_days(3, DAY) == lookback(3, DAY)
