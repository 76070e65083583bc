"""Which digest each channel gets next, and why a paper is in it or not.

`Planner` turns subscriptions into windows (a channel's next digest: its day, the first paper day it covers,
scheduled or asked for now; a weekly channel's covers the week before its day, `schedule.WEEK`) and windows into
plans with `digest.plan`. The runner sends those plans, the preview shows them, and `explain` answers `/papers
why` from the very same plan, so the two never disagree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from paperboy.clock import Clock
from paperboy.digest import DigestPlan, PlanFailure, Window, ineligible, plan
from paperboy.learning import Learner
from paperboy.models import DigestKind, Paper, Subscription
from paperboy.query import parse
from paperboy.schedule import is_due, next_due
from paperboy.store import Store
from paperboy.store.filtering import CandidateIndex
from paperboy.store.ledger import channel_key
from paperboy.taste import Taste


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a paper is (or was) posted in a channel, and why, in a sentence."""

    posted: bool
    reason: str


class Planner:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._learner = Learner(store, clock)

    async def due_windows(self, subscriptions: Sequence[Subscription]) -> list[Window]:
        """The scheduled digests due now: one per local day at the post time, not yet planned."""
        now = self._clock.now()
        scheduled = await self._store.ledger.last_days(DigestKind.SCHEDULED)
        any_kind = await self._store.ledger.last_days()
        latest = await self._store.papers.latest_day()
        windows = []
        for subscription in subscriptions:
            key = channel_key(subscription.ref)
            due = is_due(subscription.schedule, now, scheduled.get(key), not_before=subscription.created_at)
            if due is not None:
                since = _since(subscription, due.day, any_kind.get(key) or latest or due.day)
                windows.append(Window(subscription, due.day, since, DigestKind.SCHEDULED))
        return windows

    async def now_windows(self, subscriptions: Sequence[Subscription]) -> list[Window]:
        """Each channel's digest if it were sent now (`digest --now`, `/papers preview`): today's local day,
        covering what is new since its previous digest of any kind (a weekly channel: the week up to today).
        It uses up no scheduled digest."""
        now = self._clock.now()
        any_kind = await self._store.ledger.last_days()
        latest = await self._store.papers.latest_day()
        windows = []
        for subscription in subscriptions:
            today = now.astimezone(subscription.schedule.timezone).date()
            since = _since(subscription, today, any_kind.get(channel_key(subscription.ref)) or latest or today)
            windows.append(Window(subscription, today, since, DigestKind.NOW))
        return windows

    async def choose(self, windows: Sequence[Window], *, taste: bool = True) -> list[DigestPlan | PlanFailure]:
        """Each window's papers (`digest.plan`), from the papers dated since the earliest of them; ordered with
        the tastes of the channels that want theirs (not at all with `taste` False: the order without it)."""
        if not windows:
            return []
        papers = await self._store.papers.dated_since(min(w.since for w in windows))
        delivered = await self._store.ledger.delivered((w.subscription.ref for w in windows), [p.id for p in papers])
        tastes = await self._learner.tastes((w.subscription for w in windows), papers) if taste else None
        return await plan(windows, papers, delivered, tastes)

    async def taste(self, subscription: Subscription) -> Taste | None:
        """The channel's taste as its next digest would use it (whether it uses it or not); None: no votes."""
        return await self._learner.learned(subscription.ref)

    async def explain(self, subscription: Subscription, paper: Paper) -> Verdict:
        """Whether `paper` is (or was) posted in the channel, and which rule decides: the plan `/papers
        preview` shows is the one this reads, so they agree."""
        ref = subscription.ref
        given = await self._store.ledger.given(ref, paper.id)
        if given is not None:
            day, shown, digest_id = given
            if shown:
                return Verdict(True, f"it was in this channel's digest of {day}")
            return Verdict(
                False,
                f"it matched on {day} but was left out of that digest (more papers than its maximum); "
                f"/papers search more:{digest_id} lists the papers left out",
            )
        if subscription.paused_reason:
            return Verdict(False, f"the subscription is paused: {subscription.paused_reason}")
        [window] = await self.now_windows([subscription])
        [planned] = await self.choose([window])
        if isinstance(planned, PlanFailure):
            return Verdict(False, f"this channel's filter cannot be used: {planned.error}")
        moved = await self._moved(window, planned, paper.id)
        if paper.id in planned.paper_ids:
            return Verdict(True, await self._listed(window, planned, paper) + moved)
        if paper.id in planned.left_out_ids:
            matching = len(planned.paper_ids) + len(planned.left_out_ids)
            return Verdict(
                False,
                f"it matches but ranks #{_rank(planned, paper.id)} of {matching}{moved}; the digest lists the best "
                f'{subscription.max_papers} and counts the rest in "and N more"',
            )
        matches, _ = await _match(window, paper)
        reason = ineligible(window, paper, matches=matches, given=False)
        return Verdict(False, reason or "it is not among the papers the next digest covers")

    async def _moved(self, window: Window, planned: DigestPlan, paper_id: str) -> str:
        """`; this channel's taste moved it up from #7`, when the taste changed the paper's rank; else ""."""
        [plain] = await self.choose([window], taste=False)
        if isinstance(plain, PlanFailure) or paper_id not in (*plain.paper_ids, *plain.left_out_ids):
            return ""
        before, after = _rank(plain, paper_id), _rank(planned, paper_id)
        if before == after:
            return ""
        way = "up" if after < before else "down"
        return f"; this channel's taste (/papers taste) moved it {way} from #{before}"

    async def _listed(self, window: Window, planned: DigestPlan, paper: Paper) -> str:
        _, reasons = await _match(window, paper)
        matched = f" ({'; '.join(reasons)})" if reasons else ""
        rank = planned.paper_ids.index(paper.id) + 1
        upcoming = next_due(window.subscription.schedule, self._clock.now())
        when = f"; the next scheduled digest is on {upcoming.day}" if upcoming else ""
        return (
            f"it matches{matched} and is #{rank} of the {len(planned.paper_ids)} papers this channel's digest "
            f"would hold now (/papers preview){when}"
        )


def _rank(planned: DigestPlan, paper_id: str) -> int:
    """The paper's place in the plan, listed or left out, from 1."""
    return (*planned.paper_ids, *planned.left_out_ids).index(paper_id) + 1


def _since(subscription: Subscription, day: date, since_previous: date) -> date:
    """The first paper day a digest of `day` covers: a weekly channel's, the week before (never mind its
    previous digest: the ledger keeps out what it was given); a daily one's, what is new since its previous."""
    week = subscription.schedule.first_paper_day(day)
    return since_previous if week is None else week


async def _match(window: Window, paper: Paper) -> tuple[bool, tuple[str, ...]]:
    """Whether the paper meets the window's filter, and which of its terms it meets."""
    text = window.subscription.filter
    if not text:
        return True, ()
    query = parse(text)

    def run() -> tuple[bool, tuple[str, ...]]:
        with CandidateIndex([paper]) as index:
            if not index.matching(query, window.day):
                return False, ()
            return True, index.reasons(query, paper.id, window.day)

    return await asyncio.to_thread(run)
