"""The delivery ledger: every digest planned and sent, and every paper each channel was given.

A digest's papers are recorded, in one transaction with the digest itself, before anything is sent; the
primary key (channel, paper) makes "never the same paper twice" a property of the database, not of the code.

Several processes may share the database (`paperboy run` beside a cron'd `paperboy digest`). A digest is sent
by the one process that holds its claim: a lease that ends when the digest is marked, when it runs out, or
when the process that took it is found dead (same host, pid gone). One scheduled digest per channel and local
day is a unique index, so two processes cannot both plan it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from paperboy.models import ChannelRef, DigestKind, DigestState, PlannedDigest, Platform
from paperboy.store.engine import Database, Queries
from paperboy.store.rows import parse_iso, utc_text

ChannelKey = tuple[str, str, str]
_CHANNEL = "platform = ? AND workspace = ? AND channel = ?"
_SELECT = (
    "SELECT id, platform, workspace, channel, day, state, left_out, planned_at, message_ids, kind, attempts, "
    "next_attempt_at FROM digests"
)


def channel_key(ref: ChannelRef) -> ChannelKey:
    return (ref.platform.value, ref.workspace, ref.channel)


@dataclass(frozen=True, slots=True)
class Claimant:
    """A process that sends digests, as its claims name it: `host:pid`."""

    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Claimant:
        return cls(socket.gethostname(), os.getpid())

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"

    @classmethod
    def parse(cls, text: str) -> Claimant | None:
        host, _, pid = text.rpartition(":")
        return cls(host, int(pid)) if host and pid.isdigit() else None

    def is_gone(self) -> bool:
        """Whether this process has certainly ended: it ran on this host and its pid is no more."""
        if self.host != socket.gethostname():
            return False  # only its lease tells
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_days(self, kind: DigestKind | None = None) -> dict[ChannelKey, date]:
        """For every channel that had a digest (of `kind`, or any), the local day of its latest one."""
        where, params = ("WHERE kind = ?", (kind.value,)) if kind else ("", ())
        sql = (
            f"SELECT platform, workspace, channel, max(day) FROM digests {where} GROUP BY platform, workspace, channel"
        )
        return {(r[0], r[1], r[2]): date.fromisoformat(r[3]) for r in await self._db.fetchall(sql, params)}

    async def delivered(self, refs: Iterable[ChannelRef], among: Sequence[str]) -> dict[ChannelKey, set[str]]:
        """Which of the papers `among` each channel was ever given (or shown as left out). Asking about the
        candidates only keeps this small however long the channels have been subscribed."""
        keys = [channel_key(ref) for ref in refs]
        found: dict[ChannelKey, set[str]] = {key: set() for key in keys}
        if not keys or not among:
            return found
        sql = (
            "SELECT platform, workspace, channel, paper_id FROM deliveries "
            f"WHERE paper_id IN ({self._db.dialect.json_values})"
        )
        for platform, workspace, channel, paper_id in await self._db.fetchall(sql, (json.dumps(list(among)),)):
            seen = found.get((platform, workspace, channel))
            if seen is not None:
                seen.add(paper_id)
        return found

    async def given(self, ref: ChannelRef, paper_id: str) -> tuple[date, bool, int] | None:
        """When the channel was given the paper: the digest's day, whether it was in it (False: it matched but
        was left out, counted in "and N more"), and the digest's id. None if never."""
        sql = (
            "SELECT g.day, d.position, g.id FROM deliveries d JOIN digests g ON g.id = d.digest_id "
            "WHERE d.platform = ? AND d.workspace = ? AND d.channel = ? AND d.paper_id = ?"
        )
        row = await self._db.fetchone(sql, (*channel_key(ref), paper_id))
        return (date.fromisoformat(row[0]), row[1] >= 0, row[2]) if row else None

    async def plan(
        self,
        ref: ChannelRef,
        day: date,
        paper_ids: Sequence[str],
        left_out_ids: Sequence[str],
        now: datetime,
        *,
        kind: DigestKind = DigestKind.SCHEDULED,
        send_empty: bool = False,
    ) -> PlannedDigest | None:
        """Record a digest and its papers; None if the channel already has that day's scheduled digest.

        Papers another process gave the channel since they were chosen are dropped here, inside the write
        transaction, so that racing processes never give a paper twice. A digest left with no papers is
        recorded as EMPTY (nothing to send) unless `send_empty`. Left-out papers are numbered -1, -2, … in
        the order the digest would have listed them next."""
        # processes planning for the same channel take turns, so that the papers dropped here are final
        async with self._db.transaction(lock="channel:" + ":".join(channel_key(ref))) as tx:
            taken = await self._given_among(tx, ref, [*paper_ids, *left_out_ids])
            paper_ids = [p for p in paper_ids if p not in taken]
            left_out_ids = [p for p in left_out_ids if p not in taken]
            state = DigestState.PLANNED if paper_ids or send_empty else DigestState.EMPTY
            inserted = await tx.fetchone(
                "INSERT INTO digests (platform, workspace, channel, day, kind, state, planned_at, left_out) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (*channel_key(ref), day.isoformat(), kind.value, state.value, utc_text(now), len(left_out_ids)),
            )
            if inserted is None:
                return None
            digest_id = int(inserted[0])
            rows = [(*channel_key(ref), paper_id, digest_id, n) for n, paper_id in enumerate(paper_ids)]
            rows += [(*channel_key(ref), paper_id, digest_id, -n) for n, paper_id in enumerate(left_out_ids, 1)]
            await tx.executemany(
                "INSERT INTO deliveries (platform, workspace, channel, paper_id, digest_id, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        return PlannedDigest(
            digest_id, ref, day, state, tuple(paper_ids), len(left_out_ids), now, kind=kind
        )  # fmt: skip

    async def record_failed(self, ref: ChannelRef, day: date, now: datetime, error: str) -> None:
        """Record that the channel's scheduled digest for `day` could not even be planned, and why: the day is
        used up (no retry every minute), and the reason is kept."""
        await self._db.execute(
            "INSERT INTO digests (platform, workspace, channel, day, kind, state, planned_at, error) "
            "VALUES (?, ?, ?, ?, 'scheduled', 'failed', ?, ?) ON CONFLICT DO NOTHING",
            (*channel_key(ref), day.isoformat(), utc_text(now), error),
        )

    async def _given_among(self, tx: Queries, ref: ChannelRef, paper_ids: Sequence[str]) -> set[str]:
        if not paper_ids:
            return set()
        sql = f"SELECT paper_id FROM deliveries WHERE {_CHANNEL} AND paper_id IN ({self._db.dialect.json_values})"
        return {row[0] for row in await tx.fetchall(sql, (*channel_key(ref), json.dumps(list(paper_ids))))}

    async def claim(
        self, digest_id: int, claimant: Claimant, now: datetime, lease: timedelta, *, early: bool = False
    ) -> PlannedDigest | None:
        """Take the digest to send it: it is unfinished, nobody else holds it, and its next try is due (or
        `early`). The digest as it stands once taken, or None when it is not this process's to send."""
        async with self._db.transaction() as tx:
            # a row another process is claiming right now is skipped: it is not this process's to send
            sql = "SELECT state, next_attempt_at, claimed_by, claimed_until FROM digests WHERE id = ?"
            row = await tx.fetchone(sql + self._db.dialect.lock_rows, (digest_id,))
            if row is None or row[0] not in (DigestState.PLANNED.value, DigestState.SENDING.value):
                return None
            _, next_attempt, holder, until = row
            if not early and next_attempt is not None and (parse_iso(next_attempt) or now) > now:
                return None
            if holder is not None and holder != str(claimant) and not _claim_lapsed(holder, until, now):
                return None
            await tx.execute(
                "UPDATE digests SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                (str(claimant), utc_text(now + lease), digest_id),
            )
        return await self.get(digest_id)

    async def mark(
        self,
        digest_id: int,
        state: DigestState,
        *,
        now: datetime | None = None,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        attempts: int | None = None,
        next_attempt_at: datetime | None = None,
        release_papers: bool = False,
    ) -> None:
        """Move the digest to `state`. Anything but SENDING ends this process's claim. `release_papers` (for a
        digest given up on before anything could have arrived) forgets which papers it held, so that the
        channel's next digest may give them."""
        keep_claim = state is DigestState.SENDING
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE digests SET state = ?, sent_at = coalesce(?, sent_at), message_ids = ?, error = ?, "
                "attempts = coalesce(?, attempts), next_attempt_at = ?, "
                "claimed_by = CASE WHEN ? THEN claimed_by END, claimed_until = CASE WHEN ? THEN claimed_until END "
                "WHERE id = ?",
                (
                    state.value, utc_text(now) if now else None, json.dumps(list(message_ids)), error, attempts,
                    utc_text(next_attempt_at) if next_attempt_at else None, keep_claim, keep_claim, digest_id,
                ),
            )  # fmt: skip
            if release_papers:
                await tx.execute("DELETE FROM deliveries WHERE digest_id = ?", (digest_id,))

    async def unfinished(self, ref: ChannelRef | None = None) -> list[PlannedDigest]:
        """Digests planned or being sent and not finished (a process stopped, or a try failed), oldest first."""
        where, params = "state IN ('planned', 'sending')", []
        if ref is not None:
            where += f" AND {_CHANNEL}"
            params = list(channel_key(ref))
        rows = await self._db.fetchall(f"{_SELECT} WHERE {where} ORDER BY id", params)
        return [await self._planned(row) for row in rows]

    async def claims_held(self, claimant: Claimant) -> int:
        """How many unfinished digests `claimant` holds the claim of: the digests it is sending now."""
        sql = "SELECT count(*) FROM digests WHERE claimed_by = ? AND state IN ('planned', 'sending')"
        row = await self._db.fetchone(sql, (str(claimant),))
        return int(row[0]) if row else 0

    async def get(self, digest_id: int) -> PlannedDigest | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE id = ?", (digest_id,))
        return await self._planned(row) if row else None

    async def left_out(self, digest_id: int) -> list[str]:
        """The papers the digest left out ("and N more"), in the order it would have listed them next."""
        sql = "SELECT paper_id FROM deliveries WHERE digest_id = ? AND position < 0 ORDER BY position DESC"
        return [row[0] for row in await self._db.fetchall(sql, (digest_id,))]

    async def _planned(self, row: Sequence[Any]) -> PlannedDigest:
        (digest_id, platform, workspace, channel, day, state, left_out, planned_at, message_ids, kind, attempts,
         next_attempt_at) = row  # fmt: skip
        sql = "SELECT paper_id FROM deliveries WHERE digest_id = ? AND position >= 0 ORDER BY position"
        paper_ids = tuple(r[0] for r in await self._db.fetchall(sql, (digest_id,)))
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
            kind=DigestKind(kind),
            attempts=attempts,
            next_attempt_at=parse_iso(next_attempt_at),
        )


def _claim_lapsed(holder: str, until: str | None, now: datetime) -> bool:
    """Whether another process's claim no longer holds: its lease ran out, or the process is gone."""
    ends = parse_iso(until) if until else None
    if ends is None or ends <= now:
        return True
    claimant = Claimant.parse(holder)
    return claimant is not None and claimant.is_gone()
