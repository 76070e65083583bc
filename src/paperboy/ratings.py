"""Members rating the papers of their channel's digest, 👍 or 👎: what a click on a digest's button means.

The chat adapters only read the click (which channel and paper the button names, who clicked, where) and show
the result; every decision is here: who may vote, whether the paper was in that channel's digest, and the
toggle (the same rating again withdraws the vote, the other one changes it). Votes are kept per (channel,
paper, member) by `store.votes`, whose `rate` returns the paper's counts from the same transaction, so two
members clicking at once both count; the channel's taste profile changes in that transaction too (`learning`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from paperboy.clock import Clock, SystemClock
from paperboy.errors import UserInputError
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Paper, Rating, VoteCount
from paperboy.store import Store


class NotRated(UserInputError):
    """A click that cannot count as a vote; its sentence is shown to the clicker alone."""


@dataclass(frozen=True, slots=True)
class Click:
    """One member's click on a rating button. `ref` is the channel the button names (the digest's), `clicked_in`
    the channel the click came from; `may_react` is False when the platform keeps this member from reacting
    there (a member timed out on Discord)."""

    ref: ChannelRef
    paper_id: str
    member: str
    rating: Rating
    clicked_in: ChannelRef
    may_react: bool = True


@dataclass(frozen=True, slots=True)
class Rated:
    """What the click did: the member's vote now (None: withdrawn) and the group's counts after it."""

    rating: Rating | None
    counts: VoteCount


@dataclass(slots=True)
class _Turn:
    """The lock of one member's clicks on one paper, and how many clicks hold it or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class RatingService:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._learner = Learner(store, self._clock)
        #: one member's clicks on one paper are read and written in turn within this process: a double-click
        #: is then a vote and its withdrawal, never two reads of "no vote yet"
        self._turns: dict[tuple[ChannelRef, str, str], _Turn] = {}

    async def click(self, click: Click) -> Rated:
        """Count `click`: the member's rating, changed, or withdrawn when it is the one they gave already."""
        paper = await self._check(click)
        key = (click.ref, click.paper_id, click.member)
        turn = self._turns.setdefault(key, _Turn())
        turn.waiting += 1
        try:
            async with turn.lock:
                mine = await self._store.votes.mine(click.ref, click.paper_id, click.member)
                wanted = None if mine is click.rating else click.rating
                counts = await self._learner.rate(click.ref, paper, click.member, wanted)
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._turns[key]
        return Rated(wanted, counts)

    async def counts(self, ref: ChannelRef, paper_ids: Sequence[str]) -> dict[str, VoteCount]:
        """The group's current counts of each paper (a paper nobody rated: 0 and 0)."""
        found = await self._store.votes.counts(ref, paper_ids)
        return {paper_id: found.get(paper_id, VoteCount()) for paper_id in paper_ids}

    async def _check(self, click: Click) -> Paper:
        """Refuse, in one sentence for the clicker, a click that cannot be a vote of this channel; the paper."""
        if click.clicked_in != click.ref:
            raise NotRated("This button belongs to another channel's digest; papers are rated where they were posted.")
        if not click.member:
            raise NotRated("paperboy cannot tell who clicked, so the click was not counted; please try again.")
        if not click.may_react:
            raise NotRated("You cannot rate papers in this channel right now (you may not react here).")
        if await self._store.subscriptions.get(click.ref) is None:
            raise NotRated(
                "This channel is no longer subscribed to paperboy, so its old digests cannot be rated; "
                "/papers subscribe starts them again."
            )
        paper = await self._store.papers.get(click.paper_id)
        if paper is None:
            raise NotRated(f"paperboy does not know paper {click.paper_id} (any more), so it cannot be rated.")
        given = await self._store.ledger.given(click.ref, click.paper_id)
        if given is None or not given[1]:
            raise NotRated(f"Paper {click.paper_id} was not in this channel's digest, so it cannot be rated here.")
        return paper
