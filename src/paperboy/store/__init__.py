"""Persistence behind one narrow interface: `Store.open(path)` and its repositories.

Nothing outside this package writes SQL; a PostgreSQL backend would replace what is in here and nothing else.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from types import TracebackType

import aiosqlite

from paperboy.store import maintenance
from paperboy.store.database import connect
from paperboy.store.installations import InstallationStore
from paperboy.store.ledger import Ledger
from paperboy.store.maintenance import DatabaseStats
from paperboy.store.markers import MarkerStore
from paperboy.store.migrations import LATEST_VERSION, schema_version
from paperboy.store.papers import PaperStore
from paperboy.store.replays import ReplayStore
from paperboy.store.subscriptions import SubscriptionStore

log = logging.getLogger(__name__)


class Store:
    """An open paperboy database."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._closed = False
        self.papers = PaperStore(conn)
        self.subscriptions = SubscriptionStore(conn)
        self.ledger = Ledger(conn)
        self.installations = InstallationStore(conn)
        self.markers = MarkerStore(conn)
        self.replays = ReplayStore(conn)

    @classmethod
    async def open(cls, path: Path, *, migrate_to: int = LATEST_VERSION) -> Store:
        return cls(await connect(path, migrate_to=migrate_to), path)

    async def schema_version(self) -> int:
        return await schema_version(self._conn)

    async def backup(self, target: Path) -> int:
        """An online copy of the database at `target` (never overwritten); its size in bytes."""
        return await maintenance.backup(self._conn, target)

    async def stats(self) -> DatabaseStats:
        return await maintenance.stats(self._conn, self.path)

    async def vacuum(self) -> tuple[int, int]:
        """Compact the file; its size before and after."""
        return await maintenance.vacuum(self._conn, self.path)

    async def close(self) -> None:
        """Checkpoint the write-ahead log into the file, then close (again: nothing happens)."""
        if self._closed:
            return
        self._closed = True
        try:
            await maintenance.checkpoint(self._conn)
        except sqlite3.Error as error:  # another process may hold the log; SQLite checkpoints later
            log.debug("no checkpoint on close (%s)", error)
        await self._conn.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


__all__ = [
    "LATEST_VERSION",
    "DatabaseStats",
    "InstallationStore",
    "Ledger",
    "MarkerStore",
    "PaperStore",
    "ReplayStore",
    "Store",
    "SubscriptionStore",
]
