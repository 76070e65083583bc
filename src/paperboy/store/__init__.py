"""Persistence behind one narrow interface: `Store.open(target)` and its repositories.

`target` is a file path (SQLite, the embedded default) or a `postgresql://` URL (several processes sharing one
database). Nothing outside this package writes SQL. The repositories are written once against `engine.Database`;
what each engine does its own way lives in `store/sqlite` and `store/postgres`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from paperboy.errors import ConfigError
from paperboy.store.copy import TableProgress, copy_database, refuse_unfinished
from paperboy.store.engine import Database, DatabaseStats
from paperboy.store.feeds import Feed, FeedStore
from paperboy.store.installations import InstallationStore
from paperboy.store.ledger import Ledger
from paperboy.store.locks import Hold, Locks
from paperboy.store.markers import MarkerStore
from paperboy.store.papers import PaperStore
from paperboy.store.processes import ProcessStore
from paperboy.store.replays import ReplayStore
from paperboy.store.sqlite import maintenance
from paperboy.store.sqlite.connection import SqliteDatabase
from paperboy.store.sqlite.migrations import LATEST_VERSION
from paperboy.store.subscriptions import SubscriptionStore
from paperboy.store.taste import TasteStore
from paperboy.store.votes import VoteStore

log = logging.getLogger(__name__)

#: what `Store.open` takes: a SQLite file, or a PostgreSQL URL
Target = Path | str


def is_postgres_url(target: Target) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


async def _open_postgres(url: str, migrate_to: int | None) -> Database:
    try:  # the driver is an optional extra, imported only for a PostgreSQL database
        from paperboy.store.postgres.connection import PostgresDatabase
    except ImportError:
        raise ConfigError(
            "database.url names a PostgreSQL database, but its driver is not installed; run: "
            "pip install 'paperboy[postgres]'"
        ) from None
    return await PostgresDatabase.open(url, migrate_to=migrate_to)


class Store:
    """An open paperboy database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._closed = False
        self.papers = PaperStore(db)
        self.subscriptions = SubscriptionStore(db)
        self.feeds = FeedStore(db)
        self.ledger = Ledger(db)
        self.installations = InstallationStore(db)
        self.markers = MarkerStore(db)
        self.replays = ReplayStore(db)
        self.processes = ProcessStore(db)
        self.votes = VoteStore(db)
        self.taste = TasteStore(db)
        self.locks: Locks = db.locks

    @classmethod
    async def open(cls, target: Target, *, migrate_to: int | None = None) -> Store:
        """Open the database at `target` (a path, or a PostgreSQL URL), bringing its schema up to date (or to
        `migrate_to`, for tests of upgrades)."""
        if is_postgres_url(target):
            return cls(await _open_postgres(str(target), migrate_to))
        path = Path(target)
        return cls(await SqliteDatabase.open(path, migrate_to=LATEST_VERSION if migrate_to is None else migrate_to))

    @property
    def location(self) -> str:
        """Where the database is, for people: its file, or its URL without the password."""
        return self.db.location

    @property
    def path(self) -> Path:
        """The SQLite file (a PostgreSQL database has none)."""
        if not isinstance(self.db, SqliteDatabase):
            raise TypeError("a PostgreSQL database has no file")
        return self.db.path

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.db.dialect.name

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def backup(self, target: Path) -> int:
        """An online copy of the database at `target` (never overwritten); its size in bytes."""
        if isinstance(self.db, SqliteDatabase):
            return await maintenance.backup(self.db.conn, target)
        from paperboy.store.postgres import maintenance as pg_maintenance
        from paperboy.store.postgres.connection import PostgresDatabase

        assert isinstance(self.db, PostgresDatabase)
        return await pg_maintenance.backup(self.db, target)

    async def stats(self) -> DatabaseStats:
        if isinstance(self.db, SqliteDatabase):
            return await maintenance.stats(self.db.conn, self.db.path)
        from paperboy.store.postgres import maintenance as pg_maintenance
        from paperboy.store.postgres.connection import PostgresDatabase

        assert isinstance(self.db, PostgresDatabase)
        return await pg_maintenance.stats(self.db)

    async def vacuum(self) -> tuple[int, int]:
        """Compact the database; its size before and after."""
        if isinstance(self.db, SqliteDatabase):
            return await maintenance.vacuum(self.db.conn, self.db.path)
        from paperboy.store.postgres import maintenance as pg_maintenance
        from paperboy.store.postgres.connection import PostgresDatabase

        assert isinstance(self.db, PostgresDatabase)
        return await pg_maintenance.vacuum(self.db)

    async def refuse_unfinished_copy(self) -> None:
        """Refuse (one sentence) when this database is the target of a `paperboy db copy` not yet finished."""
        await refuse_unfinished(self.db)

    async def copy_to(
        self, target: Store, *, append: bool = False, progress: Callable[[TableProgress], None] | None = None
    ) -> int:
        """Copy every table into `target` (`store/copy.py` says how); the rows this run copied."""
        return await copy_database(self.db, target.db, append=append, progress=progress)

    async def close(self) -> None:
        """Close the database (again: nothing happens). SQLite first checkpoints its write-ahead log."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self.db, SqliteDatabase):
            try:
                await maintenance.checkpoint(self.db.conn)
            except sqlite3.Error as error:  # another process may hold the log; SQLite checkpoints later
                log.debug("no checkpoint on close (%s)", error)
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


__all__ = [
    "LATEST_VERSION",
    "DatabaseStats",
    "Feed",
    "FeedStore",
    "Hold",
    "InstallationStore",
    "Ledger",
    "Locks",
    "MarkerStore",
    "PaperStore",
    "ProcessStore",
    "ReplayStore",
    "Store",
    "SubscriptionStore",
    "TableProgress",
    "Target",
    "VoteStore",
    "is_postgres_url",
]
