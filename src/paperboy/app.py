"""`paperboy run`: everything configured, in one process, until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

import paperboy
from paperboy.config import Settings
from paperboy.health import serve_health
from paperboy.heartbeat import Heartbeat, Holds, beating, work_held
from paperboy.models import Platform
from paperboy.run_lock import hold_run_lock
from paperboy.runtime import Runtime
from paperboy.scheduler import build_scheduler
from paperboy.timespec import format_duration
from paperboy.wiring.discord import held_shards, serve_discord
from paperboy.wiring.runtime import open_runtime
from paperboy.wiring.slack import serve_slack

log = logging.getLogger(__name__)

#: how long in-flight work may take to wind down after a stop was asked for (Slack and Discord take up to 2 s
#: more each to close: a stop ends within 10 s whatever the state)
SHUTDOWN_GRACE_SECONDS = 5.0


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the fetch jobs and digests, and answer the chat platforms, until `stop` is set; then wind down:
    cancel running jobs (each day's write is one transaction, so a cancelled fetch leaves no half-written day),
    close the connections, the HTTP client and the database. One run per database (`run_lock`).

    A stop while starting (a platform being checked) cuts the start short: whatever state Slack or Discord are
    in, a stop never waits on them."""
    # SQLite: one run per file; PostgreSQL is made for several processes sharing it
    with hold_run_lock(None if settings.database.url else settings.database.path):
        started = asyncio.Event()
        running = asyncio.create_task(_serve(settings, stop, started), name="paperboy-run")
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
            if not running.done() and not started.is_set():
                log.info("stopping while starting")
                running.cancel()
            await _outcome(running)
        finally:
            stopped.cancel()
            if not running.done():  # serve itself is cancelled: so is the run, and its ending is waited for
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
    log.info("stopped")


async def _outcome(running: asyncio.Task[None]) -> None:
    """Await `running`; its cancellation by `serve` (a stop while starting) is a normal end."""
    try:
        await running
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # serve itself is being cancelled


async def _serve(settings: Settings, stop: asyncio.Event, started: asyncio.Event) -> None:
    async with (
        open_runtime(settings) as runtime,
        beating(Heartbeat(runtime.store, runtime.clock, lambda: holds(runtime))) as heartbeat,
        serve_health(runtime) as health,
    ):
        # fetching and digests go on whatever the chat platforms do
        scheduler = build_scheduler(runtime)
        scheduler.start()
        jobs_stopped = False
        try:
            async with serve_slack(runtime) as slack, serve_discord(runtime) as discord:
                log.info("%s; %s; %s; %s; press Ctrl-C to stop", await startup_summary(runtime), slack, discord, health)
                if (console := chat_platforms(runtime)) is not None:
                    log.info(console)
                started.set()
                heartbeat.beat_soon()  # with the Discord shards now connected
                await stop.wait()
                log.info("stopping")
                jobs_stopped = True
                await _stop_jobs(scheduler, runtime)
        finally:
            if not jobs_stopped:
                await _stop_jobs(scheduler, runtime)


async def holds(runtime: Runtime) -> Holds:
    """What this process holds, for its row in the process table: the Discord shards it connects, how many
    digests it is sending (the claims it holds), and the sources it is fetching."""
    held: Holds = {}
    shards = held_shards(runtime)
    if shards is not None:
        held["shards"] = shards
    return held | await work_held(runtime.store)


async def _stop_jobs(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """No new jobs; cancel the running ones and give them a moment to unwind."""
    scheduler.shutdown(wait=False)
    await runtime.jobs.wait_idle(SHUTDOWN_GRACE_SECONDS)


async def startup_summary(runtime: Runtime) -> str:
    """One line: version, database, sources, what is served, how many channels, and the next digest."""
    papers = await runtime.store.papers.count()
    sources = (
        ", ".join(f"{name} every {format_duration(runtime.interval(name))}" for name in runtime.sources)
        or "none enabled"
    )
    subscriptions = await runtime.store.subscriptions.list()
    served = [s for s in subscriptions if s.ref.platform in runtime.sinks and not s.paused]
    upcoming = await runtime.digests.next_due()
    next_digest = (
        f"next digest {upcoming[0]:%Y-%m-%d %H:%M} UTC for {upcoming[1]}" if upcoming else "no digest scheduled"
    )
    return (
        f"paperboy {paperboy.__version__} running: database {runtime.store.location} ({papers} papers); "
        f"sources: {sources}; digests for {len(served)} of {len(subscriptions)} subscribed channels "
        f"({', '.join(sorted(p.value for p in runtime.sinks))}); {next_digest}"
    )


def chat_platforms(runtime: Runtime) -> str | None:
    """None when Discord or Slack is configured; else a sentence saying digests go to the console."""
    if Platform.DISCORD in runtime.sinks or Platform.SLACK in runtime.sinks:
        return None
    return (
        "no chat platform is configured (discord.token, slack.bot_token or Slack OAuth): console subscriptions "
        "print their digests here, and webhook subscriptions are posted"
    )
