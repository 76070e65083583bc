"""Request signatures already seen, so that a signed request is acted on once, even with several processes.

A platform's signed request (Slack's HTTP mode) carries a timestamp that is accepted for a few minutes either
side of the clock; within that time the same bytes with the same signature could be sent again by anyone who
saw them. Each signature is recorded here the first time; the database, not a process's memory, says whether it
was seen, so that the answer holds across restarts and processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from paperboy.store.engine import Database
from paperboy.store.rows import utc_text

#: how long a signature is kept: Slack accepts a timestamp up to 5 minutes either side of the clock, so a
#: signature stamped 5 minutes ahead stays acceptable until 10 minutes after it was first seen
KEEP = timedelta(minutes=10)
#: signatures past `KEEP` are deleted on the way, at most this often (a delete per request would be waste)
PURGE_EVERY = timedelta(minutes=1)


class ReplayStore:
    def __init__(self, db: Database, keep: timedelta = KEEP) -> None:
        self._db = db
        self._keep = keep
        self._purged_at: datetime | None = None

    async def first_time(self, signature: str, now: datetime) -> bool:
        """Record `signature` as seen at `now`; whether this is the first time (within `keep`). Atomic: of two
        processes recording the same signature at once, one is told it is the first."""
        async with self._db.transaction() as tx:
            if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
                await tx.execute("DELETE FROM seen_signatures WHERE seen_at < ?", (utc_text(now - self._keep),))
                self._purged_at = now
            added = await tx.execute(
                "INSERT INTO seen_signatures (signature, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (signature, utc_text(now)),
            )
        return added > 0
