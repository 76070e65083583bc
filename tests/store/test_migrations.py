"""Schema migrations: a fresh database, an old one, a newer one, and a file that is no database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from paperboy.errors import StoreError
from paperboy.models import Paper
from paperboy.query import parse
from paperboy.store import LATEST_VERSION, Store

pytestmark = pytest.mark.asyncio


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}


async def test_a_fresh_database_reaches_the_latest_version(db_path: Path) -> None:
    async with await Store.open(db_path) as store:
        assert await store.schema_version() == LATEST_VERSION
    assert {"papers", "papers_fts", "papers_fts_delete"} <= tables(db_path)


async def test_the_database_is_in_wal_mode(db_path: Path) -> None:
    async with await Store.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_the_first_schema_upgrades_and_keeps_its_papers(db_path: Path) -> None:
    async with await Store.open(db_path, migrate_to=1) as old:
        assert await old.schema_version() == 1
    with sqlite3.connect(db_path) as conn:  # as paperboy with schema 1 wrote it
        conn.execute(
            "INSERT INTO papers (id, title, first_seen_at, updated_at) VALUES (?, ?, ?, ?)",
            ("2401.00001", "Speculative decoding with drafts", "2025-01-16T08:00:00Z", "2025-01-16T08:00:00Z"),
        )
    assert "papers_fts" not in tables(db_path)

    async with await Store.open(db_path) as store:
        assert await store.schema_version() == LATEST_VERSION
        assert (await store.papers.get("2401.00001")) is not None
        page = await store.papers.search(parse("speculative drafts"))
        assert [h.paper.id for h in page.hits] == ["2401.00001"]


async def test_opening_again_changes_nothing(db_path: Path) -> None:
    async with await Store.open(db_path) as store:
        await store.papers.upsert([Paper(id="2401.00001", title="t")])
    async with await Store.open(db_path) as store:
        assert await store.schema_version() == LATEST_VERSION
        assert await store.papers.count() == 1


async def test_a_database_from_a_newer_paperboy_is_refused(db_path: Path) -> None:
    async with await Store.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreError, match=r"was written by a newer paperboy .*; upgrade paperboy"):
        await Store.open(db_path)


async def test_a_file_that_is_not_a_database_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database " * 100)
    with pytest.raises(StoreError, match="the file is not a SQLite database"):
        await Store.open(path)
    assert path.read_text().startswith("these are my notes")
