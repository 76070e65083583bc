"""The process table: every `paperboy run` sharing the database, what it holds, and when it was last seen.

Each run writes its row at start and again at every heartbeat; a row not renewed within a few heartbeats
belongs to a process that is gone (killed, or its host lost), and is dropped by the next process that looks.
What a process holds (Discord shards, the digests it is sending, the source it is fetching) is kept as a small
JSON object, shown by `paperboy status` and `/healthz`, and counted by processes that share a budget (the
Discord rate limit is split between the live processes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from paperboy.store.engine import Database
from paperboy.store.rows import parse_iso, utc_text

#: a process renews its row this often …
HEARTBEAT = timedelta(seconds=15)
#: … and counts as gone when its row is older than this
GONE_AFTER = HEARTBEAT * 4


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """One process as its row says: `name` is `host:pid/space-nonce`, as its claims on digests
    name it (`store/identity.py`)."""

    name: str
    started_at: datetime
    seen_at: datetime
    version: str
    holds: dict[str, Any] = field(default_factory=dict)


class ProcessStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def beat(self, name: str, started_at: datetime, now: datetime, version: str, holds: dict[str, Any]) -> None:
        """Write the process's row: it is alive at `now` and holds `holds`."""
        await self._db.execute(
            "INSERT INTO processes (name, started_at, seen_at, version, holds) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, seen_at = excluded.seen_at, "
            "version = excluded.version, holds = excluded.holds",
            (name, utc_text(started_at), utc_text(now), version, json.dumps(holds, sort_keys=True)),
        )

    async def live(self, now: datetime, gone_after: timedelta = GONE_AFTER) -> list[ProcessRecord]:
        """The processes seen within `gone_after` of `now`, oldest first; rows of gone processes are dropped."""
        cutoff = utc_text(now - gone_after)
        await self._db.execute("DELETE FROM processes WHERE seen_at < ?", (cutoff,))
        rows = await self._db.fetchall(
            "SELECT name, started_at, seen_at, version, holds FROM processes WHERE seen_at >= ? "
            "ORDER BY started_at, name",
            (cutoff,),
        )
        return [_record(row) for row in rows]

    async def forget(self, name: str) -> None:
        """Drop the process's row (it stops cleanly)."""
        await self._db.execute("DELETE FROM processes WHERE name = ?", (name,))


def _record(row: tuple[Any, ...]) -> ProcessRecord:
    name, started_at, seen_at, version, holds = row
    started, seen = parse_iso(started_at), parse_iso(seen_at)
    assert started is not None and seen is not None
    return ProcessRecord(name, started, seen, version, json.loads(holds))
