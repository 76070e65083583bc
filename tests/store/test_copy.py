"""`paperboy db copy` in the store: every table, key for key, from one engine to the other and back; refused
into a database holding data; continued where a copy cut short stopped; the copy searchable as the original."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from paperboy.errors import UserInputError
from paperboy.learning import Learner
from paperboy.models import ChannelRef, DigestState, Installation, Platform, Rating, Subscription
from paperboy.query import parse
from paperboy.schedule import Schedule
from paperboy.store import Store, Target
from paperboy.store.copy import MARKER, TABLES, TableProgress, copy_database
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.postgres import PostgresServer

pytestmark = pytest.mark.asyncio
PAPERS = corpus_papers()
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-16T09:00:00Z"
DAY = date(2025, 1, 16)
LAB = ChannelRef(Platform.SLACK, "C1", "T1")
SHOP = ChannelRef(Platform.DISCORD, "42", "7")
HOOK = ChannelRef(Platform.WEBHOOK, "https://hooks.example.org/x")
#: small batches, so that every table of a few rows is still read in several (keys compared across batches)
SMALL_BATCH = 3


def subscription(ref: ChannelRef, **fields: Any) -> Subscription:
    schedule = Schedule(time(8, 30), ZoneInfo("Europe/Berlin"), frozenset({0, 1, 2, 3, 4}))
    return Subscription(ref, schedule, 5, created_by="U1", created_at=NOW, updated_by="U1", updated_at=NOW, **fields)


async def fill(store: Store) -> None:
    """Something in every table, with gaps in the ids, so that renumbered keys would show."""
    await store.papers.upsert(PAPERS, now=NOW)
    await store.db.execute("DELETE FROM papers WHERE id = ?", (PAPERS[5].id,))
    await store.subscriptions.save(subscription(LAB, filter="diffusion", min_upvotes=3, taste_weight=2.5))
    await store.subscriptions.save(subscription(ChannelRef(Platform.CONSOLE, "gone")))
    await store.subscriptions.save(
        subscription(SHOP, paused_reason="the bot was removed", last_error="403", taste=False)
    )
    await store.subscriptions.delete(ChannelRef(Platform.CONSOLE, "gone"))
    await store.feeds.issue(SHOP, "feed-token", "urn:uuid:feed", NOW)
    planned = await store.ledger.plan(LAB, DAY, [p.id for p in PAPERS[:3]], [PAPERS[3].id], NOW)
    sent = await store.ledger.plan(SHOP, DAY, [p.id for p in PAPERS[4:9]], [], NOW)
    assert planned is not None and sent is not None
    await store.ledger.mark(sent.id, DigestState.SENT, now=NOW, message_ids=["m1", "m2"])
    await store.ledger.record_failed(HOOK, DAY, NOW, "the webhook is gone")
    token = {"bot_token": "xoxb-1", "team_id": "T1"}
    await store.installations.save(Installation(Platform.SLACK, "T1", token, NOW, "E1"))
    await store.installations.issue_state("state-1", NOW + timedelta(minutes=10), NOW)
    await store.markers.put("fetched:huggingface", NOW_TEXT)
    await store.markers.put("discord:commands", "abc123")
    await store.replays.first_time("v0=signature", NOW)
    await store.processes.beat("host:1", NOW, NOW, "1.0", {"shards": [0]})
    learner = Learner(store, FakeClock(NOW))  # votes, and the taste tables they fill
    await learner.rate(LAB, PAPERS[0], "U1", Rating.UP)
    await learner.rate(LAB, PAPERS[0], "U2", Rating.DOWN)
    await learner.rate(SHOP, PAPERS[4], "U1", Rating.UP)


async def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in key order (Python's, the same whatever the engine's collation)."""
    dumped = {}
    for table in TABLES:
        rows = await store.db.fetchall(f"SELECT {', '.join(table.columns)} FROM {table.name}")
        width = len(table.key)
        dumped[table.name] = sorted(rows, key=lambda row: row[:width])
    return dumped


@pytest_asyncio.fixture
async def source(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "source.db") as opened:
        await fill(opened)
        yield opened


@pytest.fixture
def another_target(database_target: Target, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A second, empty database on the same engine as `database_target`."""
    if isinstance(database_target, Path):
        yield tmp_path / "another.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.fresh_database() as url:
        yield url


async def test_a_round_trip_through_postgresql_leaves_every_row_as_it_was(
    source: Store, postgres_url: str, tmp_path: Path
) -> None:
    async with await Store.open(postgres_url) as middle, await Store.open(tmp_path / "back.db") as back:
        await copy_database(source.db, middle.db, batch_rows=SMALL_BATCH)
        await copy_database(middle.db, back.db, batch_rows=SMALL_BATCH)
        original = await dump(source)
        assert all(original.values()), "every table holds something to copy"
        assert await dump(middle) == original
        assert await dump(back) == original


async def test_a_copy_counts_the_rows_it_copied(source: Store, database_target: Target) -> None:
    async with await Store.open(database_target) as target:
        copied = await source.copy_to(target)
    assert copied == sum(len(rows) for rows in (await dump(source)).values())


async def test_every_column_of_every_table_is_copied(database_target: Target) -> None:
    """All but what each engine makes of the papers for search: SQLite's FTS5 tables, PostgreSQL's `document`."""
    async with await Store.open(database_target) as store:
        if store.backend == "sqlite":
            names = await store.db.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'papers_fts%'"
            )
            columns = {
                (name, column[1])
                for (name,) in names
                for column in await store.db.fetchall(f"PRAGMA table_info({name})")
            }
        else:
            columns = set(
                await store.db.fetchall(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name <> 'paperboy_schema' AND column_name <> 'document'"
                )
            )
    assert columns == {(table.name, column) for table in TABLES for column in table.columns}


async def test_new_rows_on_the_copy_are_numbered_past_the_copied_ones(source: Store, database_target: Target) -> None:
    async with await Store.open(database_target) as target:
        await source.copy_to(target)
        added = await target.subscriptions.save(subscription(ChannelRef(Platform.CONSOLE, "new")))
        digest = await target.ledger.plan(added.ref, DAY, [PAPERS[0].id], [], NOW)
        await target.papers.upsert([PAPERS[5]], now=NOW)
        pks = dict(await target.db.fetchall("SELECT id, pk FROM papers"))
    copied = await dump(source)
    assert added.id is not None and added.id > max(row[0] for row in copied["subscriptions"])
    assert digest is not None and digest.id > max(row[0] for row in copied["digests"])
    assert pks[PAPERS[5].id] > max(row[0] for row in copied["papers"])


async def test_the_copy_finds_what_the_same_papers_stored_on_its_engine_find(
    source: Store, database_target: Target, another_target: Target
) -> None:
    queries = ["diffusion", "language model", "video -diffusion", "title:reasoning"]
    async with await Store.open(database_target) as copy, await Store.open(another_target) as reference:
        await source.copy_to(copy)
        await fill(reference)
        for text in queries:
            found = await copy.papers.search(parse(text), limit=50, today=DAY)
            expected = await reference.papers.search(parse(text), limit=50, today=DAY)
            assert [hit.paper for hit in found.hits] == [hit.paper for hit in expected.hits], text
            assert found.hits, f"{text!r} finds something"


async def test_papers_copied_into_postgresql_get_the_search_document_stored_papers_get(
    source: Store, postgres_url: str, postgres_server: PostgresServer
) -> None:
    documents = "SELECT id, CAST(document AS text) FROM papers ORDER BY id"
    with postgres_server.fresh_database() as reference_url:
        async with await Store.open(postgres_url) as copy, await Store.open(reference_url) as reference:
            await source.copy_to(copy)
            await fill(reference)
            assert await copy.db.fetchall(documents) == await reference.db.fetchall(documents)


async def test_a_database_holding_data_is_refused(source: Store, database_target: Target) -> None:
    async with await Store.open(database_target) as target:
        await target.subscriptions.save(subscription(ChannelRef(Platform.CONSOLE, "theirs")))
        with pytest.raises(UserInputError) as refused:
            await source.copy_to(target)
        assert str(refused.value) == (
            f"{target.location} already holds data (subscriptions); copy into an empty database, or add --append "
            "to add the rows it lacks (rows whose key it holds are kept as they are)"
        )
        assert await target.papers.count() == 0
        assert await target.markers.get(MARKER) is None


async def test_append_adds_what_the_target_lacks_and_keeps_what_it_holds(
    source: Store, database_target: Target
) -> None:
    async with await Store.open(database_target) as target:
        await target.markers.put("discord:commands", "the target's own")
        await target.markers.put("only:target", "kept")
        await source.copy_to(target, append=True)
        markers = dict(await target.db.fetchall("SELECT name, value FROM markers"))
        assert await target.papers.count() == len(PAPERS) - 1
    assert markers == {"discord:commands": "the target's own", "only:target": "kept", "fetched:huggingface": NOW_TEXT}


async def test_a_database_holding_another_copy_cut_short_is_refused(
    source: Store, database_target: Target, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "other.db") as other, await Store.open(database_target) as target:
        await other.markers.put("x", "y")
        await cut_short(other, target, after_batches=1)
        with pytest.raises(UserInputError) as refused:
            await source.copy_to(target)
        assert str(refused.value) == (
            f"{target.location} holds an unfinished copy of {other.location}; finish that copy, or copy into an "
            "empty database, or add --append to copy into it anyway"
        )


async def cut_short(source: Store, target: Store, *, after_batches: int) -> None:
    """Start a copy and cancel it (as Ctrl-C does) once that many batches were written."""
    written = 0

    def count(_: TableProgress) -> None:
        nonlocal written
        written += 1
        if written == after_batches:
            copying.cancel()

    copying = asyncio.create_task(copy_database(source.db, target.db, batch_rows=SMALL_BATCH * 10, progress=count))
    with pytest.raises(asyncio.CancelledError):
        await copying


async def test_a_copy_cut_short_continues_where_it_stopped(source: Store, database_target: Target) -> None:
    async with await Store.open(database_target) as target:
        await cut_short(source, target, after_batches=3)
        assert await target.papers.count() == 3 * SMALL_BATCH * 10, "three batches of papers were written"
    steps: list[TableProgress] = []
    async with await Store.open(database_target) as target:  # as a new process would, after Ctrl-C
        await copy_database(source.db, target.db, batch_rows=SMALL_BATCH * 10, progress=steps.append)
        assert await dump(target) == await dump(source)
        assert await target.markers.get(MARKER) is None, "the copy is finished"
    papers = [step for step in steps if step.table == "papers"]
    assert papers[-1].resumed and papers[-1].rows == len(PAPERS) - 1 - 3 * SMALL_BATCH * 10, "not from the start"


async def test_a_database_an_unfinished_copy_is_filling_refuses_to_send_from(
    source: Store, database_target: Target
) -> None:
    async with await Store.open(database_target) as target:
        await cut_short(source, target, after_batches=1)
        with pytest.raises(UserInputError, match=r"is the target of an unfinished `paperboy db copy` from "):
            await target.refuse_unfinished_copy()
        await copy_database(source.db, target.db)
        await target.refuse_unfinished_copy()  # finished: nothing to refuse
