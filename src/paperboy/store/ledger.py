"""The delivery ledger: every digest planned and sent, and every paper each channel was given.

A digest's papers are recorded, in one transaction with the digest itself, before anything is sent; the
primary key (channel, paper) makes "never the same paper twice" a property of the database, not of the code.

Several processes may share the database (`paperboy run` beside a cron'd `paperboy digest`, or several `paperboy
run` on PostgreSQL). A digest is sent by the one process that holds its claim: a lease (`database.lease`) that its
holder renews while it sends (`renew`), and that ends when the digest is marked, when it runs out unrenewed, or
when the process that took it is found dead (same kernel and pid namespace, pid gone). Claiming is one
conditional `UPDATE` (free, or held by this process, or past its lease): the database checks and takes the row
at once, so two processes never both take a digest (PostgreSQL makes the second wait for the first's change and
checks the row again; SQLite runs one writer at a time). A process marks a digest SENDING only while it still
holds the claim. One scheduled digest per channel and local day is a unique index, so two processes cannot
both plan it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from paperboy.models import ChannelRef, DigestKind, DigestState, PlannedDigest, Platform
from paperboy.store.engine import Database, Queries
from paperboy.store.identity import Claimant
from paperboy.store.rows import parse_iso, utc_text

ChannelKey = tuple[str, str, str]
_CHANNEL = "platform = ? AND workspace = ? AND channel = ?"
_UNFINISHED = "state IN ('planned', 'sending')"
_COLUMNS = (
    "id, platform, workspace, channel, day, state, left_out, planned_at, message_ids, kind, attempts, next_attempt_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM digests"


def channel_key(ref: ChannelRef) -> ChannelKey:
    return (ref.platform.value, ref.workspace, ref.channel)


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

    async def recently_sent(self, ref: ChannelRef, digests: int) -> list[tuple[int, datetime, str]]:
        """The papers of the channel's last `digests` digests that were sent, as (digest id, when it was sent,
        paper id): the newest digest first, each in the order it listed them. Papers a digest left out ("and N
        more") are not among them."""
        sql = (
            "SELECT g.id, g.sent_at, d.paper_id FROM digests g JOIN deliveries d ON d.digest_id = g.id "
            f"WHERE g.id IN (SELECT id FROM digests WHERE {_CHANNEL} AND state = 'sent' AND sent_at IS NOT NULL "
            "ORDER BY sent_at DESC, id DESC LIMIT ?) AND d.position >= 0 "
            "ORDER BY g.sent_at DESC, g.id DESC, d.position"
        )
        rows = await self._db.fetchall(sql, (*channel_key(ref), digests))
        return [(int(row[0]), _sent_at(row[1]), row[2]) for row in rows]

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
            pairs = [[paper_id, n] for n, paper_id in enumerate(paper_ids)]
            pairs += [[paper_id, -n] for n, paper_id in enumerate(left_out_ids, 1)]
            # one statement however many papers (a day's left-out papers may be hundreds)
            await tx.execute(
                "INSERT INTO deliveries (platform, workspace, channel, paper_id, digest_id, position) "
                f"SELECT ?, ?, ?, p.a, ?, p.b FROM ({self._db.dialect.json_pairs}) AS p",
                (*channel_key(ref), digest_id, json.dumps(pairs)),
            )
        return PlannedDigest(
            digest_id, ref, day, state, tuple(paper_ids), len(left_out_ids), now, kind=kind
        )  # fmt: skip

    async def scheduled_among(self, wanted: Collection[tuple[ChannelRef, date]]) -> set[tuple[ChannelRef, date]]:
        """Which of these channels' scheduled digests for those days are planned already (by any process)."""
        if not wanted:
            return set()
        days = sorted({day.isoformat() for _, day in wanted})
        channels = sorted({ref.channel for ref, _ in wanted})
        rows = await self._db.fetchall(
            f"SELECT platform, workspace, channel, day FROM digests WHERE kind = 'scheduled' "
            f"AND day IN ({', '.join('?' * len(days))}) AND channel IN ({self._db.dialect.json_values})",
            (*days, json.dumps(channels)),
        )
        found = {((r[0], r[1], r[2]), r[3]) for r in rows}
        return {(ref, day) for ref, day in wanted if (channel_key(ref), day.isoformat()) in found}

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
        # one statement that checks and takes the row at once: of two processes claiming together, the second
        # finds it taken (PostgreSQL waits for the first's change and checks the row again; SQLite writes one at
        # a time)
        due = "" if early else " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                f"UPDATE digests SET claimed_by = ?, claimed_until = ? WHERE id = ? AND {_UNFINISHED}{due} "
                "AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until IS NULL OR claimed_until <= ?) "
                f"RETURNING {_COLUMNS}",
                (str(claimant), utc_text(now + lease), digest_id, *([] if early else [utc_text(now)]),
                 str(claimant), utc_text(now)),
            )  # fmt: skip
            if row is not None:
                return await self._planned(row, tx)
        if await self._claim_from_the_gone(digest_id, claimant, now, lease, early=early):
            return await self.get(digest_id)
        return None

    async def _claim_from_the_gone(
        self, digest_id: int, claimant: Claimant, now: datetime, lease: timedelta, *, early: bool
    ) -> bool:
        """Take the digest from a holder whose lease still runs but whose process is certainly gone (it ran
        here, and its pid is no more). The holder must still be that one when the row changes."""
        row = await self._db.fetchone(
            "SELECT state, next_attempt_at, claimed_by FROM digests WHERE id = ?", (digest_id,)
        )
        if row is None or row[0] not in (DigestState.PLANNED.value, DigestState.SENDING.value) or row[2] is None:
            return False
        _, next_attempt, holder = row
        if not early and next_attempt is not None and (parse_iso(next_attempt) or now) > now:
            return False
        if not _holder_gone(holder):
            return False
        sql = f"UPDATE digests SET claimed_by = ?, claimed_until = ? WHERE id = ? AND {_UNFINISHED} AND claimed_by = ?"
        return bool(await self._db.execute(sql, (str(claimant), utc_text(now + lease), digest_id, holder)))

    async def renew(self, claimant: Claimant, digest_ids: Sequence[int], until: datetime) -> set[int]:
        """Extend the claimant's claims on those digests to `until`. The ids among them that another process
        holds now (this one's lease ran out and it took them over): this process must stop sending those."""
        if not digest_ids:
            return set()
        among = f"id IN ({', '.join('?' * len(digest_ids))})"
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE digests SET claimed_until = ? WHERE claimed_by = ? AND {_UNFINISHED} AND {among}",
                (utc_text(until), str(claimant), *digest_ids),
            )
            rows = await tx.fetchall(
                f"SELECT id FROM digests WHERE {among} AND {_UNFINISHED} AND claimed_by IS NOT NULL "
                "AND claimed_by <> ?",
                (*digest_ids, str(claimant)),
            )
        return {int(row[0]) for row in rows}

    async def next_lapse(self, claimant: Claimant, now: datetime) -> datetime | None:
        """When the first claim of another process on an unfinished digest runs out, if it is not renewed; None
        when no other process holds one."""
        row = await self._db.fetchone(
            f"SELECT min(claimed_until) FROM digests WHERE {_UNFINISHED} AND claimed_by IS NOT NULL "
            "AND claimed_by <> ? AND claimed_until > ?",
            (str(claimant), utc_text(now)),
        )
        return parse_iso(row[0]) if row and row[0] else None

    async def claimable(
        self,
        claimant: Claimant,
        now: datetime,
        ref: ChannelRef | None = None,
        *,
        early: bool = False,
        after: int = 0,
        limit: int | None = None,
        platforms: Collection[Platform] | None = None,
    ) -> list[PlannedDigest]:
        """The unfinished digests (of `ref`'s channel, or all; to `platforms`, or any) that `claim` would give the
        claimant now: held by nobody else, and due for their next try (or `early`); in id order, from after
        `after`, `limit` at most."""
        where = f"{_UNFINISHED} AND id > ?"
        params: list[object] = [after]
        if ref is not None:
            where += f" AND {_CHANNEL}"
            params += list(channel_key(ref))
        if platforms is not None:
            where += f" AND platform IN ({', '.join('?' * len(platforms)) or 'NULL'})"
            params += [platform.value for platform in platforms]
        if not early:
            where += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            params.append(utc_text(now))
        # held by nobody, by this process, past the lease, or by a process that is certainly gone
        free = "claimed_by IS NULL OR claimed_by = ? OR claimed_until IS NULL OR claimed_until <= ?"
        params += [str(claimant), utc_text(now)]
        gone = [holder for holder in await self._holders(claimant, now) if _holder_gone(holder)]
        if gone:
            free += f" OR claimed_by IN ({', '.join('?' * len(gone))})"
            params += gone
        sql = f"SELECT id FROM digests WHERE {where} AND ({free}) ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = await self._db.fetchall(sql, params)
        return [planned for row in rows if (planned := await self.get(int(row[0]))) is not None]

    async def _holders(self, claimant: Claimant, now: datetime) -> list[str]:
        """The other processes holding a lease on an unfinished digest now."""
        rows = await self._db.fetchall(
            f"SELECT DISTINCT claimed_by FROM digests WHERE {_UNFINISHED} AND claimed_by IS NOT NULL "
            "AND claimed_by <> ? AND claimed_until > ?",
            (str(claimant), utc_text(now)),
        )
        return [row[0] for row in rows]

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
        holder: Claimant | None = None,
    ) -> bool:
        """Move the digest to `state`. Anything but SENDING ends this process's claim. `release_papers` (for a
        digest given up on before anything could have arrived) forgets which papers it held, so that the
        channel's next digest may give them. With `holder`, only while that process holds the claim: whether
        the digest was marked."""
        keep_claim = state is DigestState.SENDING
        only_held = " AND claimed_by = ?" if holder is not None else ""
        sql = (
            "UPDATE digests SET state = ?, sent_at = coalesce(?, sent_at), message_ids = ?, error = ?, "
            "attempts = coalesce(?, attempts), next_attempt_at = ?, "
            "claimed_by = CASE WHEN ? THEN claimed_by END, claimed_until = CASE WHEN ? THEN claimed_until END "
            f"WHERE id = ?{only_held}"
        )
        params = (
            state.value, utc_text(now) if now else None, json.dumps(list(message_ids)), error, attempts,
            utc_text(next_attempt_at) if next_attempt_at else None, keep_claim, keep_claim, digest_id,
            *([str(holder)] if holder is not None else []),
        )  # fmt: skip
        if not release_papers:
            return await self._db.execute(sql, params) > 0  # a statement of its own: one round trip
        async with self._db.transaction() as tx:
            changed = await tx.execute(sql, params)
            if changed:
                await tx.execute("DELETE FROM deliveries WHERE digest_id = ?", (digest_id,))
        return changed > 0

    async def unfinished(self, ref: ChannelRef | None = None) -> list[PlannedDigest]:
        """Digests planned or being sent and not finished (a process stopped, or a try failed), oldest first."""
        where, params = _UNFINISHED, []
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

    async def _planned(self, row: Sequence[Any], db: Queries | None = None) -> PlannedDigest:
        (digest_id, platform, workspace, channel, day, state, left_out, planned_at, message_ids, kind, attempts,
         next_attempt_at) = row  # fmt: skip
        sql = "SELECT paper_id FROM deliveries WHERE digest_id = ? AND position >= 0 ORDER BY position"
        paper_ids = tuple(r[0] for r in await (db or self._db).fetchall(sql, (digest_id,)))
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


def _holder_gone(holder: str) -> bool:
    claimant = Claimant.parse(holder)
    return claimant is not None and claimant.is_gone()


def _sent_at(text: str) -> datetime:
    moment = parse_iso(text)
    assert moment is not None, "a sent digest has its time"
    return moment
