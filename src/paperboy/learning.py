"""Keeping channels' tastes: papers' vectors made once and stored, a profile changed with each vote, and the
tastes planning reads (`taste.py` is the arithmetic, `store/taste.py` keeps the results).

A paper's vector is made when it is first needed: it is a candidate of a digest while some channel has a taste,
or a member votes on it. When few papers are counted yet (the first votes of a new installation), the papers of
the voted paper's day are counted with it, so that its words are weighed against a day of papers, not alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

from paperboy.clock import Clock
from paperboy.digest import paper_day
from paperboy.models import ChannelRef, Paper, Rating, Subscription, TasteProfile, TasteTop, VoteCount
from paperboy.store import Store
from paperboy.taste import Scorer, Taste, Tastes, Vector, build, fold, taste_of, term_counts, vector

#: below this many counted papers, a paper voted on is counted with the papers of its day
REFERENCE_PAPERS = 500


class Learner:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def tastes(self, subscriptions: Iterable[Subscription], candidates: Sequence[Paper]) -> Tastes | None:
        """The tastes of these channels (those with taste on and votes), and the candidates ready to be scored;
        None when no channel has one."""
        await self.rebuild_pending()
        refs = [s.ref for s in subscriptions if s.taste and s.taste_weight > 0]
        tops = await self._store.taste.tops(refs)
        if not tops:
            return None
        vectors = await self.vectors(candidates)
        return await asyncio.to_thread(_tastes, tops, vectors, candidates, self._clock.now())

    async def rate(self, ref: ChannelRef, paper: Paper, member: str, rating: Rating | None) -> VoteCount:
        """Set the member's vote (None: withdraw it) and change the channel's profile with it, in one
        transaction; the paper's counts in the channel after it."""
        vectors = await self.vectors([paper], reference=True)
        fold_paper = partial(fold, vectors.get(paper.id, {}))
        return await self._store.votes.rate(ref, paper.id, member, rating, self._clock.now(), fold_paper)

    async def learned(self, ref: ChannelRef) -> Taste | None:
        """The channel's taste as its next digest would use it, with what it was learned from (for people)."""
        await self.rebuild_pending()
        top = (await self._store.taste.tops([ref])).get(ref)
        if top is None or not top.top:
            return None
        # votes all older than the horizon: what they said, counting for nothing now
        taste = taste_of(top, self._clock.now()) or Taste(top.top, 0.0)
        votes = await self._store.votes.of_channel(ref)
        return Taste(
            taste.weights,
            taste.strength,
            votes=len(votes),
            up=sum(1 for v in votes if v.rating is Rating.UP),
            down=sum(1 for v in votes if v.rating is Rating.DOWN),
            members=len({v.member for v in votes}),
            spelled=await self._store.taste.words(taste.weights),
        )

    async def rebuild(self, ref: ChannelRef, vectors: Mapping[str, Vector] | None = None) -> TasteProfile | None:
        """Make the channel's profile again from all its votes (`vectors`: of the papers voted on, if known)."""
        if vectors is None:
            voted = {v.paper_id for v in await self._store.votes.of_channel(ref)}
            vectors = await self.vectors(await self._store.papers.get_many(sorted(voted)), reference=True)
        return await self._store.votes.rebuild(ref, partial(build, vectors=vectors))

    async def rebuild_pending(self) -> None:
        """Build the profiles of channels whose votes came before profiles were kept (once, after the upgrade)."""
        channels = await self._store.taste.channels_to_rebuild()
        if channels is None:
            return
        voted = await self._store.papers.get_many(await self._store.votes.voted())
        vectors = await self.vectors(voted, reference=True)
        for ref in channels:
            await self.rebuild(ref, vectors)
        await self._store.taste.rebuilt()

    async def vectors(self, papers: Sequence[Paper], *, reference: bool = False) -> dict[str, Vector]:
        """These papers' vectors, made (and kept) for those that have none yet. With `reference`, while few
        papers are counted, the papers of their days are counted with them."""
        found: dict[str, Vector] = dict(await self._store.taste.vectors(p.id for p in papers))
        missing = [p for p in papers if p.id not in found]
        if not missing:
            return found
        counted = [*missing, *(await self._reference(missing) if reference else [])]
        counts, words = await asyncio.to_thread(term_counts, counted)
        terms = await self._store.taste.count(counts, words)
        await self._store.taste.save_vectors({p.id: vector(counts[p.id], terms) for p in counted})
        found.update(await self._store.taste.vectors(p.id for p in missing))
        return found

    async def _reference(self, papers: Sequence[Paper]) -> list[Paper]:
        """The papers of these papers' days, when fewer than `REFERENCE_PAPERS` are counted; else none."""
        days = [day for p in papers if (day := paper_day(p)) is not None]
        if not days or await self._store.taste.counted() >= REFERENCE_PAPERS:
            return []
        day = min(days)
        return [p for p in await self._store.papers.dated_since(day) if paper_day(p) in set(days)][:REFERENCE_PAPERS]


def _tastes(
    tops: Mapping[ChannelRef, TasteTop], vectors: Mapping[str, Vector], candidates: Sequence[Paper], now: datetime
) -> Tastes | None:
    """The channels' tastes at `now` and the candidates indexed for scoring (blocking: a worker thread's)."""
    tastes = {ref: taste for ref, top in tops.items() if (taste := taste_of(top, now)) is not None}
    return Tastes(tastes, Scorer(vectors, (p.id for p in candidates))) if tastes else None
