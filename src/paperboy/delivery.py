"""Sending digests exactly once: plan and record, then send, then record what was sent.

1. The papers of a digest are chosen (`digest.plan`) and recorded with the digest in one transaction
   (`Ledger.plan`): from then on they belong to that digest, and no other digest can hold them.
2. The digest is marked SENDING, then handed to the platform's sink.
3. When the platform accepts, the digest is marked SENT with the message ids.

A process stopped at any point is caught up by `resume_unfinished` at the next run: a PLANNED digest is
sent as planned; a SENDING one may or may not have arrived, and webhooks offer no way to ask, so it is sent
again marked "(resent)": a visible repeat rather than a silent loss. A permanent refusal (channel gone,
forbidden) marks the digest FAILED and pauses that subscription alone; other failures leave the digest to be
tried again at the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from paperboy.adapters import Sink
from paperboy.clock import Clock
from paperboy.digest import Digest, DigestPlan, Window, item, plan
from paperboy.errors import ChannelUnavailable, DeliveryError, WorkspaceUnavailable
from paperboy.metrics import DIGESTS, MESSAGES, QUEUE_DEPTH
from paperboy.models import ChannelRef, DigestState, PlannedDigest, Platform, Subscription
from paperboy.query import parse
from paperboy.schedule import is_due, next_due
from paperboy.store import Store
from paperboy.store.filtering import CandidateIndex
from paperboy.store.ledger import channel_key

log = logging.getLogger(__name__)

#: digests sent at the same time to one platform; the sinks' own rate limits pace the requests
CONCURRENT_SENDS = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one channel's digest in a run."""

    ref: ChannelRef
    day: date
    state: DigestState
    papers: int
    detail: str = ""
    #: messages posted (sent digests)
    messages: int = 0


class DigestRunner:
    def __init__(self, store: Store, sinks: Mapping[Platform, Sink], clock: Clock) -> None:
        self._store = store
        self._sinks = sinks
        self._clock = clock
        self._sending = {platform: asyncio.Semaphore(CONCURRENT_SENDS) for platform in Platform}

    async def run_due(self) -> list[Outcome]:
        """Finish what an earlier run left unsent, then send every digest that is due now."""
        outcomes = await self.resume_unfinished()
        return outcomes + await self._plan_and_send(await self._due_windows())

    async def any_due(self) -> bool:
        """Whether a digest is due now (or one is left unsent)."""
        return bool(await self._due_windows()) or bool(await self._store.ledger.unfinished())

    async def next_due(self) -> tuple[datetime, ChannelRef] | None:
        """When the next scheduled digest falls due, and for which channel (None: no channel is served)."""
        now = self._clock.now()
        upcoming = [
            (occurrence.due, subscription.ref)
            for subscription in await self._sendable()
            if (occurrence := next_due(subscription.schedule, now)) is not None
        ]
        return min(upcoming, key=lambda pair: pair[0]) if upcoming else None

    async def _due_windows(self) -> list[Window]:
        now = self._clock.now()
        last_days = await self._store.ledger.last_days()
        latest = await self._store.papers.latest_day()
        windows = []
        for subscription in await self._sendable():
            last = last_days.get(channel_key(subscription.ref))
            due = is_due(subscription.schedule, now, last, not_before=subscription.created_at)
            if due is not None:
                windows.append(Window(subscription, due.day, since=last or latest or due.day))
        return windows

    async def run_now(self, ref: ChannelRef | None = None) -> list[Outcome]:
        """Every subscription's next digest (or only `ref`'s), now, whatever its schedule."""
        windows = await self._next_windows(ref, include_unsendable=False)
        return await self.resume_unfinished(ref) + await self._plan_and_send(windows)

    async def preview(self, ref: ChannelRef | None = None) -> list[Digest]:
        """The digests `run_now` would send, with nothing sent or recorded."""
        return await self._preview(await self._next_windows(ref, include_unsendable=True))

    async def _next_windows(self, ref: ChannelRef | None, *, include_unsendable: bool) -> list[Window]:
        now = self._clock.now()
        last_days = await self._store.ledger.last_days()
        latest = await self._store.papers.latest_day()
        windows = []
        for subscription in await self._sendable(include_unsendable=include_unsendable):
            if ref is not None and subscription.ref != ref:
                continue
            last = last_days.get(channel_key(subscription.ref))
            today = now.astimezone(subscription.schedule.timezone).date()
            # the next digest: today's, or if today's went out already, the next day's, sent early
            day = max(today, last + timedelta(days=1)) if last else today
            windows.append(Window(subscription, day, since=last or latest or today))
        return windows

    async def resume_unfinished(self, ref: ChannelRef | None = None) -> list[Outcome]:
        outcomes = []
        for planned in await self._store.ledger.unfinished(ref):
            subscription = await self._store.subscriptions.get(planned.ref)
            if subscription is None or planned.ref.platform not in self._sinks:
                continue
            outcomes.append(await self._send(planned, subscription, resent=planned.state is DigestState.SENDING))
        return outcomes

    async def _sendable(self, *, include_unsendable: bool = False) -> list[Subscription]:
        return [
            s
            for s in await self._store.subscriptions.list()
            if not s.paused and (include_unsendable or s.ref.platform in self._sinks)
        ]

    async def _choose(self, windows: Sequence[Window]) -> list[DigestPlan]:
        if not windows:
            return []
        papers = await self._store.papers.dated_since(min(w.since for w in windows))
        delivered = await self._store.ledger.delivered((w.subscription.ref for w in windows), [p.id for p in papers])
        return await plan(windows, papers, delivered)

    async def _preview(self, windows: Sequence[Window]) -> list[Digest]:
        digests = []
        for chosen in await self._choose(windows):
            planned = PlannedDigest(
                0, chosen.subscription.ref, chosen.day, DigestState.PLANNED, chosen.paper_ids,
                len(chosen.left_out_ids), self._clock.now(),
            )  # fmt: skip
            digests.append(await self._render(planned, chosen.subscription, resent=False))
        return digests

    async def _plan_and_send(self, windows: Sequence[Window]) -> list[Outcome]:
        now = self._clock.now()
        outcomes: list[Outcome] = []
        sends: list[asyncio.Task[Outcome]] = []
        # each digest starts sending as soon as it is recorded, while the next ones are still being planned
        async with asyncio.TaskGroup() as group:
            for chosen in await self._choose(windows):
                subscription = chosen.subscription
                planned = await self._store.ledger.plan(
                    subscription.ref, chosen.day, chosen.paper_ids, chosen.left_out_ids, now,
                    send_empty=subscription.post_empty,
                )  # fmt: skip
                if planned is None:
                    continue  # another run planned this day's digest meanwhile
                if planned.state is DigestState.EMPTY:
                    DIGESTS.labels(subscription.ref.platform.value, "empty").inc()
                    outcomes.append(Outcome(subscription.ref, chosen.day, DigestState.EMPTY, 0, "nothing new"))
                    continue
                sends.append(group.create_task(self._send(planned, subscription, resent=False)))
        return outcomes + [task.result() for task in sends]

    async def _pause(self, ref: ChannelRef, reason: str, *, workspace: bool) -> None:
        """Pause the channel's subscription (as it is now, not as planned), or with `workspace` every
        subscription of its workspace."""
        if workspace:
            affected = await self._store.subscriptions.list(ref.platform, ref.workspace)
        else:
            one = await self._store.subscriptions.get(ref)
            affected = [one] if one else []
        now = self._clock.now()
        for subscription in affected:
            paused = replace(subscription, paused_reason=reason, updated_by="paperboy", updated_at=now)
            await self._store.subscriptions.save(paused)

    async def _render(self, planned: PlannedDigest, subscription: Subscription, *, resent: bool) -> Digest:
        # the values at send time: upvotes keep changing after a paper is planned
        papers = await self._store.papers.get_many(planned.paper_ids)
        reasons: dict[str, tuple[str, ...]] = {}
        if subscription.filter and papers:
            query, day = parse(subscription.filter), planned.day

            def explain() -> dict[str, tuple[str, ...]]:
                index = CandidateIndex(papers)
                try:
                    return {p.id: index.reasons(query, p.id, day) for p in papers}
                finally:
                    index.close()

            reasons = await asyncio.to_thread(explain)
        items = tuple(item(p, reasons.get(p.id, ())) for p in papers)
        digest_id = planned.id or None
        return Digest(planned.ref, planned.day, items, planned.left_out, subscription.filter, resent, digest_id)

    async def _send(self, planned: PlannedDigest, subscription: Subscription, *, resent: bool) -> Outcome:
        with QUEUE_DEPTH.track_inprogress():
            outcome = await self._send_now(planned, subscription, resent=resent)
        platform = planned.ref.platform.value
        kind = {DigestState.SENT: "sent", DigestState.FAILED: "failed"}.get(outcome.state, "retry")
        DIGESTS.labels(platform, kind).inc()
        if outcome.state is DigestState.SENT:
            MESSAGES.labels(platform, "sent").inc(outcome.messages)
        elif outcome.state is DigestState.FAILED:
            MESSAGES.labels(platform, "failed").inc()
        return outcome

    async def _send_now(self, planned: PlannedDigest, subscription: Subscription, *, resent: bool) -> Outcome:
        ledger = self._store.ledger
        digest = await self._render(planned, subscription, resent=resent)
        count = len(digest.items)
        async with self._sending[planned.ref.platform]:
            await ledger.mark(planned.id, DigestState.SENDING)
            try:
                message_ids = await self._sinks[planned.ref.platform].send(digest)
            except ChannelUnavailable as error:
                await ledger.mark(planned.id, DigestState.FAILED, error=str(error))
                await self._pause(planned.ref, str(error), workspace=isinstance(error, WorkspaceUnavailable))
                log.error("digest for %s failed for good, subscription paused: %s", planned.ref, error)
                return Outcome(planned.ref, planned.day, DigestState.FAILED, count, str(error))
            except DeliveryError as error:
                state = DigestState.SENDING if error.maybe_sent else DigestState.PLANNED
                await ledger.mark(planned.id, state, error=str(error))
                log.warning("digest for %s not sent, will try again: %s", planned.ref, error)
                return Outcome(planned.ref, planned.day, state, count, str(error))
            except Exception as error:
                # a bug in a sink must not stop the other channels' digests; it may have sent, so: resent
                log.exception("digest for %s: unexpected error in the %s sink", planned.ref, planned.ref.platform.value)
                detail = f"unexpected {type(error).__name__}; see the log"
                await ledger.mark(planned.id, DigestState.SENDING, error=detail)
                return Outcome(planned.ref, planned.day, DigestState.SENDING, count, detail)
        await ledger.mark(planned.id, DigestState.SENT, now=self._clock.now(), message_ids=message_ids)
        log.info("sent %s's digest for %s: %d papers", planned.ref, planned.day, count)
        detail = "resent" if resent else ""
        return Outcome(planned.ref, planned.day, DigestState.SENT, count, detail, messages=len(message_ids))
