"""The delivery ledger: every digest planned and sent, and every paper each channel was given.

A digest's papers are recorded, in one transaction with the digest itself, before anything is sent; the
primary key (channel, paper) makes "never the same paper twice" a property of the database, not of the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import aiosqlite

from paperboy.models import ChannelRef, DigestState, PlannedDigest, Platform
from paperboy.store.database import transaction
from paperboy.store.rows import parse_iso, utc_text

ChannelKey = tuple[str, str, str]
_CHANNEL = "platform = ? AND workspace = ? AND channel = ?"
_SELECT = "SELECT id, platform, workspace, channel, day, state, left_out, planned_at, message_ids FROM digests"


def channel_key(ref: ChannelRef) -> ChannelKey:
    return (ref.platform.value, ref.workspace, ref.channel)


class Ledger:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def last_days(self) -> dict[ChannelKey, date]:
        """For every channel that had a digest, the local day of its latest one."""
        sql = "SELECT platform, workspace, channel, max(day) FROM digests GROUP BY platform, workspace, channel"
        async with self._conn.execute(sql) as cursor:
            return {(r[0], r[1], r[2]): date.fromisoformat(r[3]) for r in await cursor.fetchall()}

    async def delivered(self, refs: Iterable[ChannelRef], among: Sequence[str]) -> dict[ChannelKey, set[str]]:
        """Which of the papers `among` each channel was ever given (or shown as left out). Asking about the
        candidates only keeps this small however long the channels have been subscribed."""
        keys = [channel_key(ref) for ref in refs]
        found: dict[ChannelKey, set[str]] = {key: set() for key in keys}
        if not keys or not among:
            return found
        sql = (
            "SELECT platform, workspace, channel, paper_id FROM deliveries "
            "WHERE paper_id IN (SELECT value FROM json_each(?))"
        )
        async with self._conn.execute(sql, (json.dumps(list(among)),)) as cursor:
            for platform, workspace, channel, paper_id in await cursor.fetchall():
                seen = found.get((platform, workspace, channel))
                if seen is not None:
                    seen.add(paper_id)
        return found

    async def given(self, ref: ChannelRef, paper_id: str) -> tuple[date, bool] | None:
        """When the channel was given the paper: the digest's day, and whether it was in it (False: it matched
        but was left out, counted in "and N more"). None if never."""
        sql = (
            "SELECT g.day, d.position FROM deliveries d JOIN digests g ON g.id = d.digest_id "
            "WHERE d.platform = ? AND d.workspace = ? AND d.channel = ? AND d.paper_id = ?"
        )
        async with self._conn.execute(sql, (*channel_key(ref), paper_id)) as cursor:
            row = await cursor.fetchone()
        return (date.fromisoformat(row[0]), row[1] >= 0) if row else None

    async def plan(
        self,
        ref: ChannelRef,
        day: date,
        paper_ids: Sequence[str],
        left_out_ids: Sequence[str],
        now: datetime,
        *,
        send_empty: bool = False,
    ) -> PlannedDigest | None:
        """Record a digest and its papers; None if the channel already has that day's digest. A digest with no
        papers is recorded as EMPTY (nothing to send) unless `send_empty`."""
        state = DigestState.PLANNED if paper_ids or send_empty else DigestState.EMPTY
        async with transaction(self._conn):
            cursor = await self._conn.execute(
                "INSERT INTO digests (platform, workspace, channel, day, state, planned_at, left_out) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*channel_key(ref), day.isoformat(), state.value, utc_text(now), len(left_out_ids)),
            )
            if cursor.rowcount == 0:
                return None
            digest_id = cursor.lastrowid
            assert digest_id is not None
            rows = [(*channel_key(ref), paper_id, digest_id, n) for n, paper_id in enumerate(paper_ids)]
            rows += [(*channel_key(ref), paper_id, digest_id, -1) for paper_id in left_out_ids]
            await self._conn.executemany(
                "INSERT INTO deliveries (platform, workspace, channel, paper_id, digest_id, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return PlannedDigest(digest_id, ref, day, state, tuple(paper_ids), len(left_out_ids), now)

    async def mark(
        self, digest_id: int, state: DigestState, *, now: datetime | None = None, message_ids: Sequence[str] = (),
        error: str | None = None,
    ) -> None:  # fmt: skip
        async with transaction(self._conn):
            await self._conn.execute(
                "UPDATE digests SET state = ?, sent_at = coalesce(?, sent_at), message_ids = ?, error = ? WHERE id = ?",
                (state.value, utc_text(now) if now else None, json.dumps(list(message_ids)), error, digest_id),
            )

    async def unfinished(self, ref: ChannelRef | None = None) -> list[PlannedDigest]:
        """Digests planned or being sent when the process stopped, oldest first."""
        where, params = "state IN ('planned', 'sending')", []
        if ref is not None:
            where += f" AND {_CHANNEL}"
            params = list(channel_key(ref))
        async with self._conn.execute(f"{_SELECT} WHERE {where} ORDER BY id", params) as cursor:
            rows = list(await cursor.fetchall())
        return [await self._planned(row) for row in rows]

    async def get(self, digest_id: int) -> PlannedDigest | None:
        async with self._conn.execute(f"{_SELECT} WHERE id = ?", (digest_id,)) as cursor:
            row = await cursor.fetchone()
        return await self._planned(row) if row else None

    async def _planned(self, row: Sequence[Any]) -> PlannedDigest:
        digest_id, platform, workspace, channel, day, state, left_out, planned_at, message_ids = row
        sql = "SELECT paper_id FROM deliveries WHERE digest_id = ? AND position >= 0 ORDER BY position"
        async with self._conn.execute(sql, (digest_id,)) as cursor:
            paper_ids = tuple(r[0] for r in await cursor.fetchall())
        planned = parse_iso(planned_at)
        assert planned is not None
        return PlannedDigest(
            id=digest_id,
            ref=ChannelRef(Platform(platform), channel, workspace),
            day=date.fromisoformat(day),
            state=DigestState(state),
            paper_ids=paper_ids,
            left_out=left_out,
            planned_at=planned,
            message_ids=tuple(json.loads(message_ids)),
        )
