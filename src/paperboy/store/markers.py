"""The markers table: small named facts paperboy keeps about itself (the Discord commands' hash, …)."""

from __future__ import annotations

import aiosqlite

from paperboy.store.database import transaction


class MarkerStore:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, name: str) -> str | None:
        async with self._conn.execute("SELECT value FROM markers WHERE name = ?", (name,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def put(self, name: str, value: str) -> None:
        async with transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO markers (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
