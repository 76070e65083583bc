"""Looking after the database file: an online backup, figures about what it holds, and compaction."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import aiosqlite

from paperboy.errors import StoreError, UserInputError
from paperboy.store.engine import COUNTS, DatabaseStats
from paperboy.store.sqlite.connection import transaction
from paperboy.store.sqlite.migrations import schema_version


async def backup(conn: aiosqlite.Connection, target: Path) -> int:
    """Copy the whole database to `target` with SQLite's online backup: consistent, and safe while paperboy
    runs (writers wait only for each step). Never overwrites; returns the bytes written."""
    if await asyncio.to_thread(target.exists):
        raise UserInputError(f"{target} already exists; choose a new file name (a backup never overwrites)")
    if not await asyncio.to_thread(target.parent.is_dir):
        raise UserInputError(f"the folder {target.parent} does not exist; create it or choose another path")
    try:
        # the copy holds what the database holds, Slack install tokens included: for its owner's eyes only
        await asyncio.to_thread(_create_private, target)
        async with aiosqlite.connect(target) as copy:
            await conn.backup(copy, pages=1024)
    except (OSError, sqlite3.Error) as error:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        raise StoreError(f"cannot back up to {target} ({error}); check the path and free space") from None
    return await _size(target)


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


async def stats(conn: aiosqlite.Connection, path: Path) -> DatabaseStats:
    counts = {}
    for name, sql in COUNTS:
        async with conn.execute(sql) as cursor:
            row = await cursor.fetchone()
        counts[name] = int(row[0]) if row else 0
    page_size, free_pages = await _pragma(conn, "page_size"), await _pragma(conn, "freelist_count")
    wal = path.with_name(path.name + "-wal")
    return DatabaseStats(
        str(path),
        await schema_version(conn),
        await _size(path),
        await _size(wal),
        page_size * free_pages,
        counts,
    )


async def vacuum(conn: aiosqlite.Connection, path: Path) -> tuple[int, int]:
    """Merge the full-text index's segments, rebuild the file without free pages, and refresh the planner's
    statistics; the file's size before and after. Other writers wait while it runs."""
    before = await _size(path)
    async with transaction(conn):
        await conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
    await conn.execute("VACUUM")
    await conn.execute("PRAGMA optimize")
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, await _size(path)


async def checkpoint(conn: aiosqlite.Connection) -> None:
    """Move the write-ahead log into the database file and empty it (on a clean stop), if nobody else is
    using the database now. A TRUNCATE checkpoint holds the write lock while it waits for readers, so with
    a busy timeout it would stall every other process's writes for that long; without one it just gives up,
    and a later checkpoint does the work."""
    await conn.execute("PRAGMA busy_timeout = 0")
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _size(path: Path) -> int:
    """The file's size, 0 when there is none (a WAL after a checkpoint), asked off the event loop."""

    def size() -> int:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return 0

    return await asyncio.to_thread(size)


async def _pragma(conn: aiosqlite.Connection, name: str) -> int:
    async with conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
