"""Ingest: sources → dedup → store, a day at a time, against the fake servers and a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import httpx
import pytest
import pytest_asyncio

from paperboy.config import Settings
from paperboy.ingest import days_between, ingest, lookback
from paperboy.models import UpsertCounts
from paperboy.runtime import build_sources
from paperboy.sources import Source
from paperboy.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.corpus import atom_entry, by_day, hf_item
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.server import Fault

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
async def test_an_unreachable_source_is_not_asked_again_in_the_same_run(
    hf_server: FakeHuggingFace, settings: Settings, store: Store
) -> None:
    hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, *[Fault(503)] * settings.http.attempts)
    async with httpx.AsyncClient() as client:
        source = build_sources(settings, client)["huggingface"]
        report = await ingest(store, source, [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)])
    assert len(hf_server.requests_to(PATH)) == settings.http.attempts
    assert len(report.errors) == 3 and len({d.error for d in report.errors}) == 1
    assert await store.papers.count() == 0


@pytest.mark.asyncio
async def test_days_are_reported_as_they_finish(
    hf_server: FakeHuggingFace, store: Store, sources: dict[str, Source]
) -> None:
    seen: list[date] = []
    await ingest(store, sources["huggingface"], [DAY, DAY + timedelta(days=1)], on_day=lambda r: seen.append(r.day))
    assert seen == [DAY, DAY + timedelta(days=1)]


def test_build_sources_respects_enabled_and_only(settings: Settings) -> None:
    client = httpx.AsyncClient()
    assert set(build_sources(settings, client)) == {"huggingface", "arxiv"}
    off = replace(settings, sources=replace(settings.sources, arxiv=replace(settings.sources.arxiv, enabled=False)))
    assert set(build_sources(off, client)) == {"huggingface"}
    assert set(build_sources(off, client, only="arxiv")) == {"arxiv"}
