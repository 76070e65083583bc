"""Sending digests exactly once: plan and record, then send, then record what was sent.

1. The papers of a digest are chosen (`planning.Planner`) and recorded with the digest in one transaction
   (`Ledger.plan`): from then on they belong to that digest, and no other digest can hold them.
2. One process claims the digest (`Ledger.claim`), marks it SENDING and hands it to the platform's sink. The
   claim is a lease (`database.lease`), renewed every third of it while the send lasts.
3. When the platform accepts, the digest is marked SENT with the message ids.

A process stopped at any point is caught up by `resume_unfinished` at the next run, or by another process
sharing the database once its lease ran out (at once when it ran on the same machine and is gone): a PLANNED
digest is sent as planned; a SENDING one may or may not have arrived, so it is sent again marked "(resent)"
(sinks that can ask the platform skip what arrived): a visible repeat rather than a silent loss. A process that
could not renew a claim in time stops that send, since another may be taking the digest over.

Processes sharing a database plan the same due digests at once; the ledger lets one of them record each, the
others skip it. Each sends what it recorded, then what others recorded but have not started (they are busy).

Failure is per channel, and `fault_of(error)` alone decides what follows. A refusal for good (channel gone,
forbidden) fails the digest and pauses that subscription. A failure that may pass is tried again at the next
runs after growing waits (`RETRY_WAITS`), `delivery.digest_attempts` times at most; then the digest fails.
paperboy's own bug (in planning, rendering or a sink) fails that digest at once, with the details in the log.
Whatever happens, the channel's members can read it (`/papers settings`, `paperboy subscriptions`), and the
other channels' digests go out.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from paperboy.clock import Clock
from paperboy.config import DatabaseSettings, DeliverySettings
from paperboy.digest import Digest, DigestPlan, PlanFailure, Window, item
from paperboy.errors import (
    ChannelUnavailable,
    DeliveryError,
    Fault,
    PaperboyError,
    QueryError,
    WorkspaceUnavailable,
    fault_of,
)
from paperboy.metrics import DIGESTS, MESSAGES, QUEUE_DEPTH
from paperboy.models import ChannelRef, DigestKind, DigestState, PauseCause, PlannedDigest, Platform, Subscription
from paperboy.planning import Planner
from paperboy.query import parse
from paperboy.schedule import next_due
from paperboy.sinks import Sink
from paperboy.store import Store
from paperboy.store.filtering import CandidateIndex
from paperboy.store.identity import Claimant

log = logging.getLogger(__name__)

#: digests sent at the same time to one platform; the sinks' own rate limits pace the requests
CONCURRENT_SENDS = 8
#: plans looked at together for scheduled digests other processes planned meanwhile
RECORD_CHUNK = 32
#: unfinished digests taken up at a time by `resume_unfinished` (what the platforms' semaphores let through)
RESUME_BATCH = 2 * CONCURRENT_SENDS
#: digests recorded at the same time on PostgreSQL (each in its own transaction): one after another is slower
#: than the platforms take them
CONCURRENT_RECORDS = 4
#: waits before the next try of a digest whose send failed in a way that may pass (the last one repeats)
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
               timedelta(hours=6))  # fmt: skip
#: how long a claim on a digest holds unless its process renews it (`database.lease`): renewed every third of it
DEFAULT_LEASE = DatabaseSettings().lease
#: why a platform's channels are not served by a process without its credentials
UNSERVED = {
    Platform.SLACK: "no Slack bot token is configured (slack.bot_token or $SLACK_BOT_TOKEN, or Slack OAuth installs)",
    Platform.DISCORD: "no Discord bot token is configured (discord.token or $PAPERBOY_DISCORD_TOKEN)",
}


class Result(Enum):
    """What became of one channel's digest in a run."""

    SENT = "sent"
    EMPTY = "empty"  # nothing new, and the channel does not post empty digests
    RETRY = "retry"  # not sent yet: tried again at a later run
    FAILED = "failed"  # given up (tries used up, or paperboy's own bug); the channel's next digest is unaffected
    PAUSED = "paused"  # refused for good, or its filter does not read: the subscription is paused
    SKIPPED = "skipped"  # this process cannot serve the channel's platform (no token): nothing recorded


@dataclass(frozen=True, slots=True)
class Outcome:
    ref: ChannelRef
    day: date
    result: Result
    papers: int = 0
    detail: str = ""
    #: messages posted (sent digests)
    messages: int = 0
    resent: bool = False


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a run would do for one channel: the digest it would send, or why it would send none."""

    ref: ChannelRef
    day: date
    digest: Digest | None
    note: str = ""
    #: the real run would count this channel as not served (no token for its platform, a plan that fails)
    fails: bool = False


@dataclass(slots=True)
class _Held:
    """A digest this process holds the claim on: when the lease ends unless renewed, and the platform's send
    once under way (stopped when the claim is lost)."""

    until: datetime
    sending: asyncio.Future[tuple[str, ...]] | None = None
    stopped: bool = False


class DigestRunner:
    def __init__(
        self,
        store: Store,
        sinks: Mapping[Platform, Sink],
        clock: Clock,
        settings: DeliverySettings | None = None,
        claimant: Claimant | None = None,
        *,
        lease: timedelta = DEFAULT_LEASE,
        renew_every: timedelta | None = None,
    ) -> None:
        self._store = store
        self._sinks = sinks
        self._clock = clock
        self._settings = settings or DeliverySettings()
        self._claimant = claimant or Claimant.this_process()
        self._lease = lease
        self._renew_every = renew_every or lease / 3
        self._sending = {platform: asyncio.Semaphore(CONCURRENT_SENDS) for platform in Platform}
        #: the digests this runner is sending, their claims renewed every third of the lease (`_renewing`)
        self._held: dict[int, _Held] = {}
        #: digests tried in this run (`run_due`, `run_now`, `resume_unfinished`): a run tries each once
        self._tried: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None
        self.planner = Planner(store, clock)

    # --- what runs ----------------------------------------------------------------------------------------

    async def run_due(self, ref: ChannelRef | None = None) -> list[Outcome]:
        """Finish what earlier runs left unsent (when its next try is due), then send every digest due now (or
        only `ref`'s). Due channels this process cannot serve are reported as SKIPPED and left for one that can.

        Then help the other processes sharing the database: digests they planned but have not started (they
        are busy) or left unfinished (they died, and their lease ran out) are sent by whichever process is free."""
        async with self._renewing():
            outcomes = await self._resume(ref)
            windows = await self.planner.due_windows(await self._active(ref))
            outcomes += self._unserved(windows) + await self._plan_and_send(self._served(windows))
            return outcomes + await self._resume(ref)

    async def run_now(self, ref: ChannelRef | None = None) -> list[Outcome]:
        """Every subscription's next digest (or only `ref`'s), now, whatever its schedule: what is new since
        its previous digest. It uses up no scheduled digest. Unfinished digests are tried at once too."""
        async with self._renewing():
            outcomes = await self._resume(ref, early=True)
            # a channel whose unfinished digest was just tried has had its turn: its new papers wait for the next
            tried = {outcome.ref for outcome in outcomes if outcome.result is not Result.SENT}
            windows = [
                w for w in await self.planner.now_windows(await self._active(ref)) if w.subscription.ref not in tried
            ]
            return outcomes + self._unserved(windows) + await self._plan_and_send(self._served(windows))

    async def any_due(self, ref: ChannelRef | None = None) -> bool:
        """Whether this process has a digest to send now (due, or left unsent and due for its next try, and
        held by no other live process); with `ref`, one of that channel's."""
        if self._served(await self.planner.due_windows(await self._active(ref))):
            return True
        now, served = self._clock.now(), list(self._sinks)
        return bool(await self._store.ledger.claimable(self._claimant, now, ref, limit=1, platforms=served))

    async def weekly_due(self, ref: ChannelRef | None = None, *, now: bool = False) -> bool:
        """Whether a weekly digest this process serves is due (with `now`: whether a channel it would send to now
        is weekly); with `ref`, that channel's. Its papers go back a week: the fetch before it covers the week."""
        subscriptions = await self._active(ref)
        if now:
            return any(s.schedule.weekly for s in subscriptions if s.ref.platform in self._sinks)
        return any(w.subscription.schedule.weekly for w in self._served(await self.planner.due_windows(subscriptions)))

    async def next_takeover(self) -> datetime | None:
        """When the first claim another process holds runs out unless it is renewed: if that process died, this
        one may take its digests over then. None when no other process holds one."""
        return await self._store.ledger.next_lapse(self._claimant, self._clock.now())

    async def next_due(self, ref: ChannelRef | None = None) -> tuple[datetime, ChannelRef] | None:
        """When the next scheduled digest falls due (now, for one due already), and for which channel (None: no
        channel is served); with `ref`, that channel's next."""
        now = self._clock.now()
        due = self._served(await self.planner.due_windows(await self._active(ref)))
        if due:
            return now, due[0].subscription.ref
        upcoming = [
            (occurrence.due, subscription.ref)
            for subscription in await self._active(ref)
            if subscription.ref.platform in self._sinks
            and (occurrence := next_due(subscription.schedule, now)) is not None
        ]
        return min(upcoming, key=lambda pair: pair[0]) if upcoming else None

    async def resume_unfinished(self, ref: ChannelRef | None = None, *, early: bool = False) -> list[Outcome]:
        """Send again the digests left planned or half-sent whose next try is due (or all, `early`), unless
        another live process holds them."""
        async with self._renewing():
            return await self._resume(ref, early=early)

    async def _resume(self, ref: ChannelRef | None, *, early: bool = False) -> list[Outcome]:
        """`resume_unfinished`: one sweep over the claimable digests in id order, a batch at a time (a batch is
        what this process can send at once: more would only wait here while another process could take them),
        each digest once per run. Several channels at once (the sinks pace the requests), one channel's digests
        in turn, oldest first."""
        outcomes: list[Outcome] = []
        after = 0
        while batch := await self._store.ledger.claimable(
            self._claimant, self._clock.now(), ref, early=early, after=after, limit=RESUME_BATCH,
            platforms=list(self._sinks),
        ):  # fmt: skip
            after = batch[-1].id
            outcomes += await self._resume_batch([d for d in batch if d.id not in self._tried], early=early)
        return outcomes

    async def _resume_batch(self, digests: Sequence[PlannedDigest], *, early: bool) -> list[Outcome]:
        turns: dict[ChannelRef, list[tuple[PlannedDigest, Subscription]]] = {}
        for planned in digests:
            subscription = await self._store.subscriptions.get(planned.ref)
            if subscription is not None and not subscription.paused:
                turns.setdefault(planned.ref, []).append((planned, subscription))

        async def in_turn(digests: list[tuple[PlannedDigest, Subscription]]) -> list[Outcome]:
            outcomes = [await self._send_guarded(planned, sub, early=early) for planned, sub in digests]
            return [outcome for outcome in outcomes if outcome is not None]

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(in_turn(digests)) for digests in turns.values()]
        return [outcome for task in tasks for outcome in task.result()]

    # --- what would run -----------------------------------------------------------------------------------

    async def preview(self, ref: ChannelRef | None = None) -> list[Digest]:
        """The digests `run_now` would send (whether or not this process can serve the platform), with
        nothing sent or recorded."""
        windows = await self.planner.now_windows(await self._active(ref))
        return [d.digest for d in await self._dry_plans(windows) if d.digest is not None and d.digest.items]

    async def dry_run(self, *, now: bool, ref: ChannelRef | None = None) -> list[DryRun]:
        """What `run_now` (`now`) or `run_due` would do, channel by channel, with nothing sent or recorded."""
        subscriptions = await self._active(ref)
        windows = await (self.planner.now_windows if now else self.planner.due_windows)(subscriptions)
        resumed = [await self._dry_resume(d, now) for d in await self._store.ledger.unfinished(ref)]
        unserved = [
            DryRun(o.ref, o.day, None, f"would not be sent: {o.detail}", fails=True) for o in self._unserved(windows)
        ]
        return [r for r in resumed if r is not None] + unserved + await self._dry_plans(self._served(windows))

    async def _dry_resume(self, planned: PlannedDigest, now: bool) -> DryRun | None:
        subscription = await self._store.subscriptions.get(planned.ref)
        if subscription is None or subscription.paused or planned.ref.platform not in self._sinks:
            return None
        waiting = planned.next_attempt_at is not None and planned.next_attempt_at > self._clock.now()
        if waiting and not now:
            return None
        digest = await self._render(planned, subscription, resent=planned.state is DigestState.SENDING)
        return DryRun(planned.ref, planned.day, digest, "left unsent earlier; would be tried again")

    async def _dry_plans(self, windows: Sequence[Window]) -> list[DryRun]:
        runs = []
        for chosen in await self.planner.choose(windows):
            window = chosen.window
            if isinstance(chosen, PlanFailure):
                note = f"cannot be planned: {chosen.error}"
                runs.append(DryRun(window.subscription.ref, window.day, None, note, fails=True))
                continue
            if not chosen.paper_ids and not window.subscription.post_empty:
                runs.append(DryRun(window.subscription.ref, window.day, None, "nothing new, nothing would be sent"))
                continue
            planned = PlannedDigest(
                0, window.subscription.ref, window.day, DigestState.PLANNED, chosen.paper_ids,
                len(chosen.left_out_ids), self._clock.now(), kind=window.kind,
            )  # fmt: skip
            runs.append(
                DryRun(planned.ref, planned.day, await self._render(planned, window.subscription, resent=False))
            )
        return runs

    # --- planning -----------------------------------------------------------------------------------------

    async def _active(self, ref: ChannelRef | None = None) -> list[Subscription]:
        return [
            s for s in await self._store.subscriptions.list() if not s.paused and (ref is None or s.ref == ref)
        ]  # fmt: skip

    def _served(self, windows: Sequence[Window]) -> list[Window]:
        return [w for w in windows if w.subscription.ref.platform in self._sinks]

    def _unserved(self, windows: Sequence[Window]) -> list[Outcome]:
        return [
            Outcome(w.subscription.ref, w.day, Result.SKIPPED, detail=UNSERVED.get(w.subscription.ref.platform, ""))
            for w in windows
            if w.subscription.ref.platform not in self._sinks
        ]

    async def _plan_and_send(self, windows: Sequence[Window]) -> list[Outcome]:
        try:
            plans = await self.planner.choose(windows)
        except Exception as error:  # the papers could not be read: every window waits for the next run
            log.error("cannot plan digests (%s); the next run tries again", error, exc_info=_bug_details(error))
            detail = f"not planned: {_detail(error)}; the next run tries again"
            return [Outcome(w.subscription.ref, w.day, Result.RETRY, detail=detail) for w in windows]
        ended: dict[int, Outcome] = {}
        sends: dict[int, asyncio.Task[Outcome | None]] = {}
        order = self._recording_order(plans)
        chunks = [order[start : start + RECORD_CHUNK] for start in range(0, len(order), RECORD_CHUNK)]

        async def recorder() -> None:
            """Record a chunk of plans after the other, each digest sent as soon as it is recorded."""
            while chunks:
                chunk = chunks.pop(0)
                # scheduled digests other processes planned meanwhile are skipped: one look for a few channels
                elsewhere = await self._planned_elsewhere([plans[n] for n in chunk])
                for n in (n for n in chunk if plans[n].window not in elsewhere):
                    chosen = plans[n]
                    if isinstance(chosen, PlanFailure):
                        ended[n] = await self._plan_failed(chosen)
                        continue
                    planned = await self._record(chosen)
                    if isinstance(planned, Outcome):
                        ended[n] = planned
                    elif planned is not None:
                        early = chosen.window.kind is DigestKind.NOW
                        sends[n] = group.create_task(self._send_guarded(planned, chosen.subscription, early=early))

        # SQLite writes one transaction at a time: recorders side by side would only hold up the sends' writes
        recorders = CONCURRENT_RECORDS if self._store.backend == "postgresql" else 1
        async with asyncio.TaskGroup() as group:
            for _ in range(min(recorders, len(chunks))):
                group.create_task(recorder())
        outcomes = [ended[n] for n in sorted(ended)]
        return outcomes + [outcome for n in sorted(sends) if (outcome := sends[n].result()) is not None]

    async def _planned_elsewhere(self, plans: Sequence[DigestPlan | PlanFailure]) -> set[Window]:
        scheduled = [p.window for p in plans if p.window.kind is DigestKind.SCHEDULED]
        try:
            found = await self._store.ledger.scheduled_among([(w.subscription.ref, w.day) for w in scheduled])
        except Exception as error:  # recording finds out for itself
            log.warning("cannot read which digests other processes planned: %s", error)
            return set()
        return {w for w in scheduled if (w.subscription.ref, w.day) in found}

    def _recording_order(self, plans: Sequence[DigestPlan | PlanFailure]) -> list[int]:
        """The order to record plans in: the platforms taken in turn, so that each platform's sends (and its
        pace) are kept busy from the start. On PostgreSQL other processes may be recording the same channels:
        each starts at its own random place, so that they do not all queue for one channel after another."""
        by_platform: dict[Platform, list[int]] = {}
        for n, chosen in enumerate(plans):
            by_platform.setdefault(chosen.window.subscription.ref.platform, []).append(n)
        order = [n for turn in itertools.zip_longest(*by_platform.values()) for n in turn if n is not None]
        start = random.randrange(len(order)) if order and self._store.backend == "postgresql" else 0
        return order[start:] + order[:start]

    async def _record(self, chosen: DigestPlan) -> PlannedDigest | Outcome | None:
        """Record the plan; the digest to send, an outcome that ends here (nothing new, a database that would
        not take it), or None when another process planned the channel's scheduled digest meanwhile."""
        subscription, window = chosen.subscription, chosen.window
        try:
            planned = await self._store.ledger.plan(
                subscription.ref, window.day, chosen.paper_ids, chosen.left_out_ids, self._clock.now(),
                kind=window.kind, send_empty=subscription.post_empty,
            )  # fmt: skip
        except Exception as error:
            log.error("cannot record %s's digest for %s: %s", subscription.ref, window.day, error,
                      exc_info=_bug_details(error))  # fmt: skip
            return Outcome(subscription.ref, window.day, Result.RETRY, detail=f"not planned: {_detail(error)}")
        if planned is not None and planned.state is DigestState.EMPTY:
            DIGESTS.labels(subscription.ref.platform.value, Result.EMPTY.value).inc()
            return Outcome(subscription.ref, window.day, Result.EMPTY, detail="nothing new")
        return planned

    async def _plan_failed(self, failure: PlanFailure) -> Outcome:
        """A channel whose digest could not be planned: a filter that does not read pauses it until the filter
        is set again; anything else is paperboy's bug, and fails that day's digest only."""
        subscription, window, error = failure.window.subscription, failure.window, failure.error
        ref, now = subscription.ref, self._clock.now()
        try:
            if isinstance(error, QueryError):
                reason = (
                    f"its filter ({subscription.filter}) cannot be read: {error}; set a new one with /papers filter "
                    "or paperboy subscribe --filter (or clear it)"
                )
                await self._store.subscriptions.pause(ref, reason, PauseCause.FILTER, now)
                log.warning("%s paused: %s", ref, reason)
                return Outcome(ref, window.day, Result.PAUSED, detail=reason)
            log.error("cannot plan %s's digest for %s", ref, window.day, exc_info=error)
            detail = f"the digest of {window.day} could not be planned: {_detail(error)}"
            if window.kind is DigestKind.SCHEDULED:
                await self._store.ledger.record_failed(ref, window.day, now, detail)
            await self._store.subscriptions.note_problem(ref, detail)
        except Exception as store_error:  # the record is best effort; the log line above stands
            log.error("cannot record %s's planning failure: %s", ref, store_error)
            detail = f"could not be planned: {_detail(error)}"
        DIGESTS.labels(ref.platform.value, Result.FAILED.value).inc()
        return Outcome(ref, window.day, Result.FAILED, detail=detail)

    # --- sending ------------------------------------------------------------------------------------------

    async def _send_guarded(self, planned: PlannedDigest, subscription: Subscription, *, early: bool) -> Outcome | None:
        """`_deliver`, counted in the metrics; whatever goes wrong stays with this channel."""
        try:
            with QUEUE_DEPTH.track_inprogress():
                outcome = await self._deliver(planned, subscription, early=early)
        except Exception as error:  # e.g. the database failed while recording a failure
            log.error("digest for %s: %s", planned.ref, error, exc_info=_bug_details(error))
            outcome = Outcome(planned.ref, planned.day, Result.RETRY, detail=_detail(error))
        if outcome is None:
            return None
        platform = planned.ref.platform.value
        DIGESTS.labels(platform, outcome.result.value).inc()
        if outcome.result is Result.SENT:
            MESSAGES.labels(platform, "sent").inc(outcome.messages)
        elif outcome.result in (Result.FAILED, Result.PAUSED):
            MESSAGES.labels(platform, "failed").inc()
        return outcome

    async def _deliver(self, planned: PlannedDigest, subscription: Subscription, *, early: bool) -> Outcome | None:
        """Claim the digest, render it and hand it to the sink; None when it is not this process's to send."""
        ledger = self._store.ledger
        async with self._sending[planned.ref.platform]:
            now = self._clock.now()
            claimed = await ledger.claim(planned.id, self._claimant, now, self._lease, early=early)
            if claimed is None:
                return None
            self._tried.add(claimed.id)
            held = self._held[claimed.id] = _Held(now + self._lease)
            resent = claimed.state is DigestState.SENDING
            try:
                digest = await self._render(claimed, subscription, resent=resent)
                # the fence: a claim lost meanwhile (this process stalled past its lease) is not sent on
                if not await ledger.mark(claimed.id, DigestState.SENDING, attempts=claimed.attempts,
                                         holder=self._claimant):  # fmt: skip
                    log.warning("%s's digest for %s was taken over by another process before this one sent it",
                                claimed.ref, claimed.day)  # fmt: skip
                    return None
                # its own task, so that losing the claim stops this send and nothing else
                held.sending = asyncio.ensure_future(self._sinks[claimed.ref.platform].send(digest))
                message_ids = await held.sending
            except asyncio.CancelledError:
                if not held.stopped or _being_cancelled():
                    raise
                log.warning(
                    "stopped sending %s's digest for %s: this process could not renew its claim in time, so "
                    "another process may take it over (it goes out again marked resent)", claimed.ref, claimed.day,
                )  # fmt: skip
                return None
            except Exception as error:
                return await self._failed(claimed, subscription, error, resent=resent)
            finally:
                del self._held[claimed.id]
        await ledger.mark(claimed.id, DigestState.SENT, now=self._clock.now(), message_ids=message_ids,
                          attempts=claimed.attempts)  # fmt: skip
        if subscription.last_error:
            await self._store.subscriptions.note_problem(claimed.ref, None)
        log.info("sent %s's digest for %s: %d papers", claimed.ref, claimed.day, len(digest.items))
        return Outcome(claimed.ref, claimed.day, Result.SENT, len(digest.items), messages=len(message_ids),
                       resent=resent)  # fmt: skip

    # --- claims under a lease -----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        """One run: while the block runs, renew the claims on the digests being sent every third of the lease,
        so that another process takes a digest over only when this one is dead (or cut off from the database)."""
        if self._renewer is not None:  # an outer block renews already
            yield
            return
        self._tried = set()  # a new run
        stop = asyncio.Event()
        self._renewer = asyncio.create_task(self._renew_until(stop), name="paperboy-claims")
        try:
            yield
        finally:
            stop.set()
            await asyncio.shield(self._renewer)
            self._renewer = None

    async def _renew_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._renew_every.total_seconds()):
                    await stop.wait()
            if not stop.is_set():
                await self.renew_claims()

    async def renew_claims(self) -> None:
        """Renew the claims on the digests this runner is sending (done every third of the lease while it
        runs). Sends whose claim another process took over are stopped, and so are those whose claim could not
        be renewed and runs out before the next try (another process may take them over then): better a resend
        marked "(resent)" than two sends at once."""
        held = dict(self._held)
        if not held:
            return
        now = self._clock.now()
        try:
            lost = await self._store.ledger.renew(self._claimant, list(held), now + self._lease)
        except Exception as error:  # the database is out of reach: the claims hold until their leases end
            log.warning("cannot renew this process's claims on %d digests: %s", len(held), error)
            lost = {digest_id for digest_id, claim in held.items() if claim.until - now <= self._renew_every}
        else:
            for claim in held.values():
                claim.until = now + self._lease
        for digest_id in lost:
            claim = held[digest_id]
            if claim.sending is not None and not claim.sending.done():
                claim.stopped = True
                claim.sending.cancel()

    async def _failed(
        self, planned: PlannedDigest, subscription: Subscription, error: Exception, *, resent: bool
    ) -> Outcome:
        """One place decides what a failed send means, from the error's fault: pause, try later, or give up."""
        ledger, ref, now = self._store.ledger, planned.ref, self._clock.now()
        maybe_sent = resent or (isinstance(error, DeliveryError) and error.maybe_sent)
        attempts, limit = planned.attempts + 1, self._settings.digest_attempts
        detail, count = _detail(error), len(planned.paper_ids)
        if isinstance(error, ChannelUnavailable):
            await ledger.mark(planned.id, DigestState.FAILED, error=detail, attempts=attempts,
                              release_papers=not maybe_sent)  # fmt: skip
            workspace = isinstance(error, WorkspaceUnavailable)
            await self._store.subscriptions.pause(ref, detail, PauseCause.CHANNEL, now, workspace=workspace)
            log.error("digest for %s refused for good, subscription paused: %s", ref, detail)
            return Outcome(ref, planned.day, Result.PAUSED, count, detail)
        if fault_of(error) is Fault.RETRYABLE and attempts < limit:
            at = now + RETRY_WAITS[min(attempts, len(RETRY_WAITS)) - 1]
            state = DigestState.SENDING if maybe_sent else DigestState.PLANNED
            await ledger.mark(planned.id, state, error=detail, attempts=attempts, next_attempt_at=at)
            problem = (
                f"the digest of {planned.day} is not sent yet ({detail}); try {attempts + 1} of {limit} at "
                f"{at:%Y-%m-%d %H:%M} UTC"
            )
            await self._store.subscriptions.note_problem(ref, problem)
            log.warning("digest for %s not sent: %s; trying again at %s", ref, detail, f"{at:%H:%M} UTC")
            return Outcome(ref, planned.day, Result.RETRY, count, problem)
        await ledger.mark(planned.id, DigestState.FAILED, error=detail, attempts=attempts,
                          release_papers=not maybe_sent)  # fmt: skip
        tries = f" after {attempts} tries" if fault_of(error) is Fault.RETRYABLE else ""
        problem = f"the digest of {planned.day} failed{tries}: {detail}"
        await self._store.subscriptions.note_problem(ref, problem)
        log.error("digest for %s failed: %s", ref, problem, exc_info=_bug_details(error))
        return Outcome(ref, planned.day, Result.FAILED, count, problem)

    async def _render(self, planned: PlannedDigest, subscription: Subscription, *, resent: bool) -> Digest:
        # the values at send time: upvotes keep changing after a paper is planned
        papers = await self._store.papers.get_many(planned.paper_ids)
        reasons: dict[str, tuple[str, ...]] = {}
        if subscription.filter and papers:
            query, day = parse(subscription.filter), planned.day

            def explain() -> dict[str, tuple[str, ...]]:
                with CandidateIndex(papers) as index:
                    return {p.id: index.reasons(query, p.id, day) for p in papers}

            reasons = await asyncio.to_thread(explain)
        items = tuple(item(p, reasons.get(p.id, ())) for p in papers)
        digest_id = planned.id or None
        return Digest(planned.ref, planned.day, items, planned.left_out, subscription.filter, resent, digest_id,
                      weekly=subscription.schedule.weekly)  # fmt: skip


def _being_cancelled() -> bool:
    """Whether the current task itself is being cancelled (a shutdown), not only a send it awaits."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _detail(error: BaseException) -> str:
    """The error as the channel's members may read it: paperboy's own sentence, or a word that it is a bug."""
    if isinstance(error, PaperboyError) and fault_of(error) is not Fault.BUG:
        return str(error)
    if isinstance(error, PaperboyError):
        return f"{error} (paperboy's own bug; the details are in its log)"
    return f"unexpected {type(error).__name__} inside paperboy (a bug; the details are in its log)"


def _bug_details(error: BaseException) -> BaseException | None:
    """The exception to log with its traceback: only paperboy's own bugs need one."""
    return error if fault_of(error) is Fault.BUG else None
