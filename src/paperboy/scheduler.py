"""APScheduler wiring: a fetch job per enabled source (at start, then at its interval) and a job that
sends due digests every minute, and also when another process's claim on a digest runs out (if that process
died, its digests are taken over then, not up to a minute later)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from paperboy.delivery import DigestRunner, Result
from paperboy.errors import Fault, fault_of
from paperboy.ingest import FRESH_FOR, fetch_days, fetch_turn, fetched_recently, ingest
from paperboy.metrics import FETCH_ERRORS, PAPERS_INGESTED
from paperboy.models import IngestReport
from paperboy.runtime import FetchStatus, Runtime

log = logging.getLogger(__name__)
#: after a claim's lease ends, so that it has surely run out on every clock when the job looks
TAKEOVER_MARGIN = timedelta(seconds=1)


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """A scheduler (not yet started): a fetch job per source in `runtime`, and the due-digest job."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for name in runtime.sources:
        scheduler.add_job(
            fetch_job,
            IntervalTrigger(seconds=runtime.interval(name).total_seconds(), timezone=UTC),
            args=(runtime, name),
            id=f"fetch:{name}",
            name=f"fetch {name}",
            next_run_time=datetime.now(UTC),
            # a run that is late (the machine slept, the previous run was slow) happens once, not once per miss
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        digest_job,
        # at each whole minute, so that a digest due at 09:00 goes out at 09:00, not up to a minute late
        CronTrigger(second=0, timezone=UTC),
        args=(runtime, _waker(scheduler, runtime)),
        id="digests",
        name="due digests",
        next_run_time=datetime.now(UTC),  # at start: anything missed while paperboy was down goes out now
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    return scheduler


def _waker(scheduler: AsyncIOScheduler, runtime: Runtime) -> Callable[[datetime], None]:
    """A function that brings the digest job's next run forward to a moment on paperboy's clock."""

    def wake(at: datetime) -> None:
        job = scheduler.get_job("digests")
        # paperboy's clock may be shifted (`clock.OFFSET_ENV`); the scheduler's is the machine's
        when = datetime.now(UTC) + (at - runtime.clock.now()) + TAKEOVER_MARGIN
        if job is not None and (job.next_run_time is None or when < job.next_run_time):
            job.modify(next_run_time=when)

    return wake


async def digest_job(runtime: Runtime, wake: Callable[[datetime], None] | None = None) -> None:
    """Send every digest that is due (and finish any a stopped process left unsent). A digest goes out with
    fresh papers: a source not fetched in the last `FRESH_FOR` is fetched first. Then `wake` the job again
    when the first claim another process holds on a digest runs out."""
    runner = runtime.digests
    try:
        if await runner.any_due():
            week = await runner.weekly_due()  # a weekly digest ranks papers up to a week old: fetch the week
            for name in runtime.sources:
                fetched = runtime.last_fetched.get(name)
                if not week and fetched is not None and runtime.clock.now() - fetched <= FRESH_FOR:
                    continue
                # the shared mark of a fetch is in real time, whatever this process's clock says
                if not await fetched_recently(runtime.store, name, datetime.now(UTC), week=week):  # by another?
                    await fetch_job(runtime, name, before_digests=True, week=week)
        outcomes = await runtime.jobs.run(runner.run_due())
    except asyncio.CancelledError:
        log.info("sending digests stopped: paperboy is shutting down")
        return
    except Exception as error:  # per channel, failures are outcomes; this is the database failing, or a bug
        log.error("sending digests failed: %s; the next run tries again", error, exc_info=fault_of(error) is Fault.BUG)
        return
    for outcome in outcomes:
        if outcome.result is Result.EMPTY:
            log.info("no new papers for %s on %s", outcome.ref, outcome.day)
    if wake is not None:
        await _wake_for_takeover(runner, wake)


async def _wake_for_takeover(runner: DigestRunner, wake: Callable[[datetime], None]) -> None:
    try:
        lapse = await runner.next_takeover()
    except asyncio.CancelledError:
        # shutdown cancelled the job here: returning keeps APScheduler from logging it as a crash
        log.info("sending digests stopped: paperboy is shutting down")
        return
    except Exception as error:  # the next whole minute looks again
        log.warning("cannot read other processes' claims on digests: %s", error)
        return
    if lapse is not None:
        wake(lapse)


async def fetch_job(runtime: Runtime, name: str, *, before_digests: bool = False, week: bool = False) -> None:
    """Re-fetch the source's lookback window (`week`: before a weekly digest, at least the week's days); upvotes
    change, so known days are fetched again on purpose.

    One process fetches a source at a time: a scheduled fetch that finds another process fetching it skips
    this round; the fetch `before_digests` waits for the other process instead, and then uses its papers."""
    try:
        report = await runtime.jobs.run(_fetch_alone(runtime, name, before_digests, week))
    except asyncio.CancelledError:
        # shutdown cancels this job's own task; each day is one transaction, so nothing is half-written,
        # and returning (not re-raising) keeps APScheduler from logging the cancellation as a crash
        log.info("fetching %s stopped: paperboy is shutting down", name)
        return
    now = runtime.clock.now()
    if report is None:  # another process was fetching it
        runtime.fetch_status[name] = runtime.fetch_status.get(name, FetchStatus()).skipped(now)
        return
    runtime.fetch_status[name] = runtime.fetch_status.get(name, FetchStatus()).after(report, now)
    if not report.errors:
        runtime.last_fetched[name] = now
    counts = report.counts
    PAPERS_INGESTED.labels(name, "new").inc(counts.new)
    PAPERS_INGESTED.labels(name, "updated").inc(counts.updated)
    FETCH_ERRORS.labels(name).inc(len(report.errors))
    log.info(
        "fetched %s: %d new, %d updated, %d unchanged, %d skipped; %d of %d days failed",
        name,
        counts.new,
        counts.updated,
        counts.unchanged,
        report.skipped,
        len(report.errors),
        len(report.days),
    )
    _log_failures(name, report)


async def _fetch_alone(runtime: Runtime, name: str, before_digests: bool, week: bool) -> IngestReport | None:
    """Fetch `name` holding its lock; None when it was not fetched (another process fetches or just did)."""

    def busy(holder: str) -> None:
        if before_digests:
            log.info("%s is being fetched by %s; waiting for it before the digests", name, holder)
        else:
            log.info("%s is being fetched by %s; skipped", name, holder)

    store = runtime.store
    async with fetch_turn(store, name, on_busy=busy, wait=before_digests) as ours:
        if not ours:
            return None
        if before_digests and await fetched_recently(store, name, datetime.now(UTC), week=week):
            return None  # by the process waited for
        days = fetch_days(runtime.lookback_days(name), runtime.clock.now().astimezone(UTC).date(), week=week)
        return await ingest(store, runtime.sources[name], days)


def _log_failures(name: str, report: IngestReport) -> None:
    for failed in report.errors:
        if failed.asked:
            log.error("fetching %s for %s failed: %s", name, failed.day, failed.error)
        else:
            log.error("fetching %s for %s: %s", name, failed.day, failed.error)
