"""The markers table: small named facts paperboy keeps about itself (the Discord commands' hash, …)."""

from __future__ import annotations

from paperboy.store.engine import Database


class MarkerStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, name: str) -> str | None:
        row = await self._db.fetchone("SELECT value FROM markers WHERE name = ?", (name,))
        return str(row[0]) if row else None

    async def put(self, name: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO markers (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
