"""The SQLite backend's database: opening it (pragmas, migrations), statements, transactions, errors in words."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_random_exponential

from paperboy.errors import ConfigError, Fault, StoreError
from paperboy.store.engine import SQLITE, Dialect, Queries, Row
from paperboy.store.sqlite.locks import FileLocks
from paperboy.store.sqlite.migrations import LATEST_VERSION, migrate, schema_version
from paperboy.store.sqlite.papers import SqlitePaperIndex

BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 65_536
MMAP_BYTES = 1 << 30


async def connect(path: Path, *, migrate_to: int = LATEST_VERSION) -> aiosqlite.Connection:
    """Open (creating the file if needed, never its folder) the database at `path`, set it up and bring its
    schema up to date."""
    where = f"the database {path}"
    _create_file(path)
    try:
        # autocommit at the driver level: every write goes through `transaction()`, which says BEGIN itself
        conn = await _connect_whole(aiosqlite.connect(path, isolation_level=None))
    except sqlite3.Error as error:
        raise StoreError(f"cannot open {where} ({error}); check database.path in the config") from None
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable in WAL mode except for the last commits on power loss, never corrupting
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        # searches touch many pages of a large database: a bigger page cache, and reads through a memory map
        # instead of a system call per page (bench/README.md has the figures)
        await conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        await conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        await migrate(conn, migrate_to, where=where)
    except sqlite3.DatabaseError as error:
        await conn.close()
        raise StoreError(f"cannot use {where}: {_explain(error)}") from None
    except BaseException:
        await conn.close()
        raise
    return conn


async def _connect_whole(conn: aiosqlite.Connection) -> aiosqlite.Connection:
    """Await the connection's opening even when the caller is cancelled meanwhile (a Ctrl-C while starting),
    then close it and pass the cancellation on. Cut short, the opening would go on in aiosqlite's worker thread,
    which would then answer into an event loop already closed: a traceback at exit."""

    async def opened() -> aiosqlite.Connection:
        return await conn

    opening = asyncio.ensure_future(opened())
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await opening
        await conn.close()
        raise


def _create_file(path: Path) -> None:
    """Check the path and create the file before SQLite sees it, so that a wrong path is one clear sentence.
    A misspelt folder is not created: that would hide the typo behind a new, empty database. And aiosqlite must
    not fail to connect: its worker thread then answers after the event loop has closed, with a traceback."""
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"database.path {path} is a folder; name a file in it, like {path / 'paperboy.db'}")
    if not folder.is_dir():
        if folder.exists():
            raise ConfigError(f"{folder} is a file, not a folder; fix database.path")
        raise ConfigError(f"the folder {folder} for database.path does not exist; create it or fix the path")
    try:
        # a new database is for its owner only: it may come to hold Slack install tokens
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as error:
        verb = "open" if path.exists() else "create"
        raise ConfigError(
            f"cannot {verb} the database {path} ({error.strerror}); check database.path and that paperboy may "
            "write there"
        ) from None


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error. IMMEDIATE takes the write lock up front, so two
    processes writing at once wait for each other (busy_timeout) instead of failing half-way; within one
    process, tasks sharing the connection take turns (a connection holds one transaction at a time)."""
    async with _writer_lock(conn):
        try:
            await _begin(conn)
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"the database is busy ({_explain(error)}); try again in a moment", fault=Fault.RETRYABLE
            ) from None
        except asyncio.CancelledError:
            if conn.in_transaction:  # the BEGIN went through before the cancel reached us
                await _to_the_end(conn.rollback())
            raise
        try:
            yield conn
        except BaseException:
            await _to_the_end(conn.rollback())
            raise
        else:
            await _to_the_end(conn.commit())


async def _begin(conn: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to the busy timeout for the write lock.

    SQLite waits by itself (busy_timeout) while another process writes, but not when this connection still
    reads an older snapshot: another task's SELECT on the shared connection that is not yet fully read. Then
    it answers "busy" at once (in WAL mode, upgrading a stale snapshot could deadlock), and the answer is to
    let that read finish and ask again."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(_is_busy),
        stop=stop_after_delay(BUSY_TIMEOUT_MS / 1000),
        wait=wait_random_exponential(multiplier=0.002, max=0.1),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await _to_the_end(conn.execute("BEGIN IMMEDIATE"))


def _is_busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


async def _to_the_end(operation: Awaitable[object]) -> None:
    """Await a BEGIN, COMMIT or ROLLBACK to its end even if the task is cancelled meanwhile (the database
    thread carries it out anyway), so that the connection's state is known; then pass the cancel on."""
    task = asyncio.ensure_future(operation)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


_writer_locks: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = weakref.WeakKeyDictionary()


def _writer_lock(conn: aiosqlite.Connection) -> asyncio.Lock:
    lock = _writer_locks.get(conn)
    if lock is None:
        lock = _writer_locks[conn] = asyncio.Lock()
    return lock


def _explain(error: sqlite3.Error) -> str:
    text = str(error)
    if "file is not a database" in text:
        return "the file is not a SQLite database; point database.path at a paperboy database or a new file"
    if "locked" in text:
        return "another process holds it locked"
    if "readonly" in text:
        return "the file is read-only; check its permissions"
    return text


class _Statements:
    """Statements on the connection as they are (`engine.Queries`), for use inside a transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.conn.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.conn.execute(sql, params) as cursor:
            return int(cursor.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(sql, rows)


class SqliteDatabase(_Statements):
    """A SQLite file, through one connection shared by the process's tasks (`engine.Database`). A write on its
    own is a transaction of its own: on a shared connection it must not land inside another task's."""

    dialect: Dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        super().__init__(conn)
        self.path = path
        self.index = SqlitePaperIndex()
        self.locks = FileLocks(path)

    @classmethod
    async def open(cls, path: Path, *, migrate_to: int = LATEST_VERSION) -> SqliteDatabase:
        return cls(await connect(path, migrate_to=migrate_to), path)

    @property
    def location(self) -> str:
        return str(self.path)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self, *, lock: str | None = None) -> AsyncIterator[Queries]:
        # one writer at a time already: `lock` has nothing to add
        async with transaction(self.conn):
            yield _Statements(self.conn)

    async def schema_version(self) -> int:
        return await schema_version(self.conn)

    async def close(self) -> None:
        await self.conn.close()
