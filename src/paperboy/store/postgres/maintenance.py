"""Looking after a PostgreSQL database: a backup with `pg_dump`, figures about what it holds, and VACUUM."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from paperboy.errors import StoreError, UserInputError
from paperboy.store.engine import COUNTS, DatabaseStats
from paperboy.store.postgres.connection import PostgresDatabase, public_url

_SIZE = "SELECT pg_database_size(current_database())"
#: the tables paperboy writes, vacuumed and analysed by `paperboy db vacuum`
_TABLES = ("papers", "paper_days", "subscriptions", "digests", "deliveries", "installations", "oauth_states",
           "markers", "seen_signatures", "processes")  # fmt: skip


async def backup(db: PostgresDatabase, target: Path) -> int:
    """A consistent copy of the database at `target` in pg_dump's custom format (restore it with pg_restore),
    made while paperboy runs. Never overwrites; returns the bytes written."""
    if await asyncio.to_thread(target.exists):
        raise UserInputError(f"{target} already exists; choose a new file name (a backup never overwrites)")
    if not await asyncio.to_thread(target.parent.is_dir):
        raise UserInputError(f"the folder {target.parent} does not exist; create it or choose another path")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise UserInputError(
            "backing up PostgreSQL needs pg_dump (the PostgreSQL client tools, e.g. the postgresql-client package); "
            "install it, or use your provider's backups, or `paperboy db copy --to FILE.db` for a SQLite copy"
        )
    # the password goes to pg_dump through its environment, never its command line (which `ps` shows)
    env = {**os.environ, "PGPASSWORD": urlsplit(db.url).password or os.environ.get("PGPASSWORD", "")}
    process = await asyncio.create_subprocess_exec(
        pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={public_url(db.url, hide='')}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    _, errors = await process.communicate()
    if process.returncode != 0:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        reason = (errors.decode(errors="replace").strip().splitlines() or ["no reason given"])[-1]
        raise StoreError(f"pg_dump could not back up {db.location} ({reason}); check the server and the path")
    await asyncio.to_thread(os.chmod, target, 0o600)  # it holds Slack install tokens
    return (await asyncio.to_thread(target.stat)).st_size


async def stats(db: PostgresDatabase) -> DatabaseStats:
    counts = {}
    for name, sql in COUNTS:
        row = await db.fetchone(sql)
        counts[name] = int(row[0]) if row else 0
    return DatabaseStats(db.location, await db.schema_version(), await _size(db), 0, 0, counts)


async def vacuum(db: PostgresDatabase) -> tuple[int, int]:
    """VACUUM and ANALYZE paperboy's tables (the space of deleted rows is reused; the planner's statistics are
    refreshed); the database's size before and after."""
    before = await _size(db)
    for table in _TABLES:
        await db.execute(f"VACUUM (ANALYZE) {table}")
    return before, await _size(db)


async def _size(db: PostgresDatabase) -> int:
    row = await db.fetchone(_SIZE)
    return int(row[0]) if row else 0
