"""The PostgreSQL backend's database: a pool of psycopg connections, statements, transactions, errors in words.

The shared repositories write SQL with `?` placeholders (SQLite's); they are turned into psycopg's `%s` here,
once per statement text. Connections are in autocommit mode: a statement on its own commits, and
`transaction()` is an explicit BEGIN … COMMIT on one connection of the pool.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from paperboy.errors import Fault, StoreError
from paperboy.store.engine import POSTGRESQL, Dialect, Queries, Row
from paperboy.store.locks import this_process

#: connections each process keeps at most: digests, searches and Slack requests at once
POOL_SIZE = 8
#: how long to wait for the server when opening, and for a free connection of the pool
CONNECT_TIMEOUT_S = 10.0
#: the `application_name` of every pooled connection: who holds an advisory lock, for `store.locks`; and which
#: process a session belongs to, for whoever looks at `pg_stat_activity` (the server keeps 63 bytes of it)
APPLICATION = f"paperboy {this_process()}"[:63]


def public_url(url: str, *, hide: str = "***") -> str:
    """The URL with its password replaced by `hide` (left out when empty), fit for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = f"{parts.username}:{hide}" if hide else f"{parts.username}"
    netloc = f"{user}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@functools.lru_cache(maxsize=1024)
def _placeholders(sql: str) -> str:
    """`?` → `%s`, and a literal `%` doubled, as psycopg reads them. Our SQL has no `?` inside its literals."""
    return sql.replace("%", "%%").replace("?", "%s")


class Statements:
    """Statements on one connection (`engine.Queries`)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], where: str) -> None:
        self._conn = conn
        self._where = where

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _in_words(self._where):
            cursor = await self._conn.execute(_placeholders(sql), tuple(params))
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with _in_words(self._where):
            cursor = await self._conn.execute(_placeholders(sql), tuple(params))
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with _in_words(self._where):
            cursor = await self._conn.execute(_placeholders(sql), tuple(params))
            return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(row) for row in rows]
        if not rows:
            return
        with _in_words(self._where):
            async with self._conn.cursor() as cursor:
                await cursor.executemany(_placeholders(sql), rows)

    @property
    def connection(self) -> psycopg.AsyncConnection[Any]:
        """The driver's connection, for what only PostgreSQL does (COPY)."""
        return self._conn


class PostgresDatabase:
    """A PostgreSQL database shared by any number of paperboy processes (`engine.Database`)."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, pool: AsyncConnectionPool[Any], url: str) -> None:
        from paperboy.store.postgres.locks import AdvisoryLocks
        from paperboy.store.postgres.papers import PostgresPaperIndex

        self._pool = pool
        self.url = url
        self.index = PostgresPaperIndex()
        self.locks = AdvisoryLocks(self)

    @classmethod
    async def open(cls, url: str, *, migrate_to: int | None = None) -> PostgresDatabase:
        """Connect, bring the schema up to date (one process at a time), and keep a pool of connections."""
        from paperboy.store.postgres.migrations import LATEST_VERSION, migrate

        where = f"the database {public_url(url)}"
        try:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT_S))
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to {where} ({_first_line(error)}); check database.url and that the server runs",
                fault=Fault.RETRYABLE,
            ) from None
        try:
            await migrate(conn, LATEST_VERSION if migrate_to is None else migrate_to, where=where)
        finally:
            await conn.close()
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "application_name": APPLICATION},
            # a connection the server dropped (a restart, an idle timeout) is replaced, not handed out
            check=AsyncConnectionPool.check_connection,
            timeout=CONNECT_TIMEOUT_S,
            open=False,
            name="paperboy",
        )
        await pool.open()
        return cls(pool, url)

    @property
    def location(self) -> str:
        return public_url(self.url)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as statements:
            return await statements.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection() as statements:
            return await statements.fetchone(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._connection() as statements:
            return await statements.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self, *, lock: str | None = None) -> AsyncIterator[Queries]:
        async with self._connection() as statements:
            conn = statements.connection
            with _in_words(self.location):
                async with conn.transaction():
                    if lock is not None:
                        # held until this transaction ends, by whichever process asks first
                        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
                    yield statements

    def session(self) -> AbstractAsyncContextManager[Statements]:
        """One connection of the pool for the block, each statement on its own (session advisory locks)."""
        return self._connection()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Statements]:
        with _in_words(self.location):
            async with self._pool.connection() as conn:
                yield Statements(conn, self.location)

    async def schema_version(self) -> int:
        from paperboy.store.postgres.migrations import schema_version

        async with self._connection() as statements:
            return await schema_version(statements.connection)

    async def close(self) -> None:
        await self._pool.close()


@contextmanager
def _in_words(where: str) -> Iterator[None]:
    """Turn the driver's errors into StoreError: a lost connection is worth another try, the rest is not."""
    try:
        yield
    except PoolTimeout:
        raise StoreError(
            f"no connection to {where} within {CONNECT_TIMEOUT_S:g} s; check that the server runs",
            fault=Fault.RETRYABLE,
        ) from None
    except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected) as error:
        raise StoreError(
            f"{where} is busy ({_first_line(error)}); try again in a moment", fault=Fault.RETRYABLE
        ) from None
    except psycopg.OperationalError as error:
        raise StoreError(
            f"lost the connection to {where} ({_first_line(error)}); it is retried", fault=Fault.RETRYABLE
        ) from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
