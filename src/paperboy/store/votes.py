"""The votes table: each member's 👍 / 👎 on a paper of a channel's digest, what a channel's taste is learned from.

One row per (channel, paper, member) holding the member's current vote; clicking again changes it, withdrawing
deletes the row. Votes are not tied to the subscription: unsubscribing keeps them (a channel that subscribes
again finds its taste again), and `forget` (`/papers taste reset`) deletes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from paperboy.models import ChannelRef, Rating, Vote, VoteCount
from paperboy.store.engine import Database, Queries
from paperboy.store.rows import parse_iso, utc_text

_KEY = "platform = ? AND workspace = ? AND channel = ?"
_COUNTS = "SELECT paper_id, sum(CASE WHEN rating > 0 THEN 1 ELSE 0 END), sum(CASE WHEN rating < 0 THEN 1 ELSE 0 END)"
#: papers asked about at a time (well under SQLite's limit on parameters)
_CHUNK = 500
#: up to this many channels, `since` reads each channel's votes by its key (`/papers why`, a preview)
_BY_KEY = 20


class VoteStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rate(self, ref: ChannelRef, paper_id: str, member: str, rating: Rating | None, at: datetime) -> VoteCount:
        """Set the member's vote on the paper in that channel (None: withdraw it); the paper's counts in that
        channel after the change, in the same transaction."""
        key = (*_key(ref), paper_id, member)
        async with self._db.transaction() as tx:
            if rating is None:
                await tx.execute(f"DELETE FROM votes WHERE {_KEY} AND paper_id = ? AND member = ?", key)
            else:
                await tx.execute(
                    "INSERT INTO votes (platform, workspace, channel, paper_id, member, rating, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, channel, paper_id, member) "
                    "DO UPDATE SET rating = excluded.rating, at = excluded.at",
                    (*key, rating.value, utc_text(at)),
                )
            counts = await _counts(tx, ref, [paper_id])
        return counts.get(paper_id, VoteCount())

    async def mine(self, ref: ChannelRef, paper_id: str, member: str) -> Rating | None:
        """The member's current vote on the paper in that channel; None when they have none."""
        row = await self._db.fetchone(
            f"SELECT rating FROM votes WHERE {_KEY} AND paper_id = ? AND member = ?", (*_key(ref), paper_id, member)
        )
        return Rating(int(row[0])) if row else None

    async def counts(self, ref: ChannelRef, paper_ids: Sequence[str]) -> dict[str, VoteCount]:
        """The channel's counts of each of these papers; a paper without votes is missing."""
        return await _counts(self._db, ref, paper_ids)

    async def of_channel(self, ref: ChannelRef) -> list[Vote]:
        """Every vote of the channel, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT paper_id, member, rating, at FROM votes WHERE {_KEY} ORDER BY at, paper_id, member", _key(ref)
        )
        return [_vote(ref, row) for row in rows]

    async def since(self, at: datetime, refs: Iterable[ChannelRef]) -> dict[ChannelRef, list[Vote]]:
        """The votes of these channels set at `at` or later, by channel (a channel without any is missing),
        oldest first: what planning learns the channels' tastes from. A few channels are read by their key;
        many (a day's planning) in one pass over the votes, in one query."""
        wanted = {_key(ref): ref for ref in refs}
        if len(wanted) <= _BY_KEY:
            found = {ref: await self._of_channel(ref, at) for ref in wanted.values()}
            return {ref: votes for ref, votes in found.items() if votes}
        rows = await self._db.fetchall(
            "SELECT platform, workspace, channel, paper_id, member, rating, at FROM votes WHERE at >= ? "
            "ORDER BY at, paper_id, member",
            (utc_text(at),),
        )
        many: dict[ChannelRef, list[Vote]] = {}
        for platform, workspace, channel, *rest in rows:
            ref = wanted.get((platform, workspace, channel))
            if ref is not None:
                many.setdefault(ref, []).append(_vote(ref, rest))
        return many

    async def _of_channel(self, ref: ChannelRef, at: datetime) -> list[Vote]:
        rows = await self._db.fetchall(
            f"SELECT paper_id, member, rating, at FROM votes WHERE {_KEY} AND at >= ? ORDER BY at, paper_id, member",
            (*_key(ref), utc_text(at)),
        )
        return [_vote(ref, row) for row in rows]

    async def forget(self, ref: ChannelRef) -> int:
        """Delete every vote of the channel (`/papers taste reset`); how many there were."""
        return await self._db.execute(f"DELETE FROM votes WHERE {_KEY}", _key(ref))


async def _counts(db: Queries, ref: ChannelRef, paper_ids: Sequence[str]) -> dict[str, VoteCount]:
    counts: dict[str, VoteCount] = {}
    unique = list(dict.fromkeys(paper_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = await db.fetchall(
            f"{_COUNTS} FROM votes WHERE {_KEY} AND paper_id IN ({', '.join('?' * len(chunk))}) GROUP BY paper_id",
            (*_key(ref), *chunk),
        )
        counts.update({str(paper_id): VoteCount(int(up), int(down)) for paper_id, up, down in rows})
    return counts


def _key(ref: ChannelRef) -> tuple[str, str, str]:
    return (ref.platform.value, ref.workspace, ref.channel)


def _vote(ref: ChannelRef, row: Sequence[Any]) -> Vote:
    paper_id, member, rating, at = row
    moment = parse_iso(at)
    assert moment is not None
    return Vote(ref, str(paper_id), str(member), Rating(int(rating)), moment)
