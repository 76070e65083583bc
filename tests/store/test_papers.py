"""The papers table: upsert with dedup and counts, round-trips, the full-text index, word search."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperboy.models import Paper, SearchHit, UpsertCounts
from paperboy.query import parse
from paperboy.store import Store
from paperboy.store.papers import BATCH_SIZE
from tests.fakes.corpus import corpus, duplicated_titles

pytestmark = pytest.mark.asyncio

FULL = Paper(
    id="2401.12345",
    title="Flow Matching for Generative Modeling",
    abstract="We introduce flow matching, a simulation-free approach.",
    authors=("Yaron Lipman", "Ricky T. Q. Chen", "Heli Ben-Hamu"),
    published_at=datetime(2024, 1, 20, 18, 0, tzinfo=UTC),
    daily_date=date(2024, 1, 22),
    upvotes=42,
    comments=3,
    ai_summary="Flows without simulation.",
    ai_keywords=("flow matching", "diffusion"),
    github_repo="https://github.com/x/flow",
    github_stars=1200,
    project_page="https://x.github.io/flow",
    organization="Meta",
    categories=("cs.LG", "stat.ML"),
    version=2,
    sources=frozenset({"huggingface", "arxiv"}),
)


def from_corpus() -> list[Paper]:
    return [
        Paper(id=p.id, title=p.title, abstract=p.summary, authors=p.authors, upvotes=p.upvotes, daily_date=p.day)
        for p in corpus()
    ]


async def test_a_paper_round_trips_every_field(store: Store) -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    await store.papers.upsert([FULL], now=now)
    assert await store.papers.get(FULL.id) == replace(FULL, first_seen_at=now, updated_at=now)


async def test_old_style_ids_are_keys_too(store: Store) -> None:
    await store.papers.upsert([Paper(id="hep-th/9901001", title="Old")])
    assert (await store.papers.get("hep-th/9901001")) is not None


async def test_unknown_id_is_none(store: Store) -> None:
    assert await store.papers.get("2401.99999") is None


async def test_counts_new_updated_and_unchanged(store: Store) -> None:
    assert await store.papers.upsert([FULL]) == UpsertCounts(new=1)
    assert await store.papers.upsert([FULL]) == UpsertCounts(unchanged=1)
    assert await store.papers.upsert([replace(FULL, upvotes=50)]) == UpsertCounts(updated=1)
    assert await store.papers.count() == 1


async def test_an_update_keeps_first_seen_and_moves_updated(store: Store) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    later = datetime(2025, 1, 2, tzinfo=UTC)
    await store.papers.upsert([FULL], now=first)
    await store.papers.upsert([replace(FULL, upvotes=99)], now=later)
    stored = await store.papers.get(FULL.id)
    assert stored is not None and stored.upvotes == 99
    assert (stored.first_seen_at, stored.updated_at) == (first, later)


async def test_an_unchanged_sighting_does_not_touch_updated_at(store: Store) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    await store.papers.upsert([FULL], now=first)
    await store.papers.upsert([FULL], now=datetime(2025, 1, 5, tzinfo=UTC))
    stored = await store.papers.get(FULL.id)
    assert stored is not None and stored.updated_at == first


async def test_the_five_titles_listed_twice_in_the_corpus_are_one_row_each(store: Store) -> None:
    papers = from_corpus()
    twice = duplicated_titles()
    assert len(twice) == 5
    counts = await store.papers.upsert(papers)
    distinct = len({p.title for p in corpus()})
    assert counts.new == distinct == len(papers) - 5
    assert await store.papers.count() == distinct


async def test_a_batch_naming_a_paper_twice_merges_it(store: Store) -> None:
    counts = await store.papers.upsert([replace(FULL, upvotes=1), replace(FULL, upvotes=7, version=3)])
    stored = await store.papers.get(FULL.id)
    assert counts == UpsertCounts(new=1)
    assert stored is not None and (stored.upvotes, stored.version) == (7, 3)


async def test_large_inputs_are_written_in_several_transactions(store: Store) -> None:
    papers = [Paper(id=f"2501.{n:05d}", title=f"Paper number {n}") for n in range(1, 4501)]
    assert await store.papers.upsert(papers) == UpsertCounts(new=4500)
    assert await store.papers.count() == 4500


async def search(store: Store, text: str) -> list[SearchHit]:
    return list((await store.papers.search(parse(text))).hits)


async def test_search_finds_every_word_title_first(store: Store) -> None:
    await store.papers.upsert(from_corpus())
    target = next(p for p in corpus() if p.title.startswith("Assessment of Data Consistency"))
    hits = await search(store, "data consistency recurrent inference")
    assert hits[0].paper.id == target.id


async def test_search_is_stemmed_and_case_insensitive(store: Store) -> None:
    await store.papers.upsert([FULL])
    assert [h.paper.id for h in await search(store, "FLOWS matched")] == [FULL.id]


async def test_search_matches_authors_and_keywords(store: Store) -> None:
    await store.papers.upsert([FULL])
    assert await search(store, "lipman")
    assert await search(store, "diffusion")


async def test_search_follows_a_changed_title(store: Store) -> None:
    await store.papers.upsert([FULL])
    await store.papers.upsert([replace(FULL, title="Rectified Transport")])
    assert await search(store, "rectified")
    assert not await search(store, "generative")


async def test_the_index_stays_consistent(sqlite_store: Store, db_path: Path) -> None:
    store = sqlite_store  # FTS5's own consistency check
    await store.papers.upsert(from_corpus())
    await store.papers.upsert([replace(p, title=p.title + " revised", upvotes=5) for p in from_corpus()[:50]])
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


async def test_the_index_stays_consistent_through_a_mixed_batch(sqlite_store: Store, db_path: Path) -> None:
    store = sqlite_store  # FTS5's own consistency check
    papers = from_corpus()
    await store.papers.upsert(papers[:40])
    mixed = [
        *(replace(p, abstract=p.abstract + " Revised.") for p in papers[:10]),
        *(replace(p, upvotes=(p.upvotes or 0) + 1) for p in papers[10:20]),
        *papers[40:60],
    ]
    await store.papers.upsert(mixed)
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")
    assert await search(store, "revised")


async def test_a_deleted_row_leaves_the_index(sqlite_store: Store, db_path: Path) -> None:
    store = sqlite_store  # FTS5's own consistency check
    await store.papers.upsert([FULL])
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM papers WHERE id = ?", (FULL.id,))
        conn.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")
    assert not await search(store, "flow matching")


async def test_a_cancelled_write_leaves_the_connection_usable(store: Store) -> None:
    papers = [Paper(id=f"2501.{n:05d}", title=f"Paper number {n}") for n in range(1, 6001)]
    for delay in (0, 0.001, 0.005, 0.02):
        writing = asyncio.create_task(store.papers.upsert(papers))
        await asyncio.sleep(delay)
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
        assert await store.papers.count() % BATCH_SIZE == 0 or await store.papers.count() == len(papers)
    await store.papers.upsert(papers)  # no "transaction within a transaction"
    assert await store.papers.count() == len(papers)
