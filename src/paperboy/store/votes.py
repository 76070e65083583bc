"""The votes table: each member's 👍 / 👎 on a paper of a channel's digest, what a channel's taste is learned from.

One row per (channel, paper, member) holding the member's current vote; clicking again changes it, withdrawing
deletes the row. Votes are not tied to the subscription: unsubscribing keeps them (a channel that subscribes
again finds its taste again), and `forget` (`/papers taste reset`) deletes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from paperboy.models import ChannelRef, Rating, TasteProfile, Vote, VoteCount
from paperboy.store.engine import Database, Queries
from paperboy.store.rows import parse_iso, utc_text
from paperboy.store.taste import profile_lock, read_profile, write_profile

#: the channel's taste profile, the member's vote before a change and after it, when → the profile after it
Fold = Callable[[TasteProfile | None, Vote | None, Vote | None, datetime], TasteProfile | None]
#: all of a channel's votes, oldest first → the profile they make (None: none)
Build = Callable[[Sequence[Vote]], TasteProfile | None]

_KEY = "platform = ? AND workspace = ? AND channel = ?"
_COUNTS = "SELECT paper_id, sum(CASE WHEN rating > 0 THEN 1 ELSE 0 END), sum(CASE WHEN rating < 0 THEN 1 ELSE 0 END)"
#: papers asked about at a time (well under SQLite's limit on parameters)
_CHUNK = 500


class VoteStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rate(
        self,
        ref: ChannelRef,
        paper_id: str,
        member: str,
        rating: Rating | None,
        at: datetime,
        fold: Fold | None = None,
    ) -> VoteCount:
        """Set the member's vote on the paper in that channel (None: withdraw it); the paper's counts in that
        channel after the change, in the same transaction. With `fold`, the channel's taste profile is changed
        in that transaction too: `fold(profile, the vote before, the vote after, at)` gives it."""
        key = (*_key(ref), paper_id, member)
        at = at.replace(microsecond=0)  # as the votes table keeps it, so that the profile folds in what is kept
        async with self._db.transaction(lock=profile_lock(ref) if fold else None) as tx:
            before = await tx.fetchone(
                f"SELECT rating, at FROM votes WHERE {_KEY} AND paper_id = ? AND member = ?", key
            )
            if rating is None:
                await tx.execute(f"DELETE FROM votes WHERE {_KEY} AND paper_id = ? AND member = ?", key)
            else:
                await tx.execute(
                    "INSERT INTO votes (platform, workspace, channel, paper_id, member, rating, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, channel, paper_id, member) "
                    "DO UPDATE SET rating = excluded.rating, at = excluded.at",
                    (*key, rating.value, utc_text(at)),
                )
            if fold is not None:
                old = vote_of(ref, (paper_id, member, *before)) if before else None
                new = Vote(ref, paper_id, member, rating, at) if rating is not None else None
                await write_profile(tx, ref, fold(await read_profile(tx, ref), old, new, at))
            counts = await _counts(tx, ref, [paper_id])
        return counts.get(paper_id, VoteCount())

    async def rebuild(self, ref: ChannelRef, build: Build) -> TasteProfile | None:
        """Make the channel's taste profile again from all its votes (oldest first), with no vote changing
        meanwhile: `build(votes)` gives it."""
        async with self._db.transaction(lock=profile_lock(ref)) as tx:
            rows = await tx.fetchall(
                f"SELECT paper_id, member, rating, at FROM votes WHERE {_KEY} ORDER BY at, paper_id, member", _key(ref)
            )
            built = build([vote_of(ref, row) for row in rows])
            await write_profile(tx, ref, built)
        return built

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
        return [vote_of(ref, row) for row in rows]

    async def voted(self) -> list[str]:
        """Every paper some channel has a vote on."""
        return [str(row[0]) for row in await self._db.fetchall("SELECT DISTINCT paper_id FROM votes ORDER BY paper_id")]

    async def forget(self, ref: ChannelRef) -> int:
        """Delete every vote of the channel and its taste profile (`/papers taste reset`); how many votes there
        were."""
        async with self._db.transaction(lock=profile_lock(ref)) as tx:
            forgotten = await tx.execute(f"DELETE FROM votes WHERE {_KEY}", _key(ref))
            await write_profile(tx, ref, None)
        return forgotten


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


def vote_of(ref: ChannelRef, row: Sequence[Any]) -> Vote:
    paper_id, member, rating, at = row
    moment = parse_iso(at)
    assert moment is not None
    return Vote(ref, str(paper_id), str(member), Rating(int(rating)), moment)
