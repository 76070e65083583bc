"""`paperboy run`: everything configured, in one process, until asked to stop."""

from __future__ import annotations

import asyncio
import logging

import paperboy
from paperboy.adapters.discord_app import serve_discord
from paperboy.adapters.slack_app import serve_slack
from paperboy.config import Settings
from paperboy.health import serve_health
from paperboy.runtime import Runtime, open_runtime
from paperboy.scheduler import build_scheduler
from paperboy.timespec import format_duration

log = logging.getLogger(__name__)

#: how long in-flight work may take to wind down after a stop was asked for
SHUTDOWN_GRACE_SECONDS = 8.0


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the fetch jobs until `stop` is set, then wind down: cancel running jobs (each day's write is one
    transaction, so a cancelled fetch leaves no half-written day), close the HTTP client and the database."""
    async with (
        open_runtime(settings) as runtime,
        serve_health(runtime) as health,
        serve_slack(runtime) as slack,
        serve_discord(runtime) as discord,
    ):
        scheduler = build_scheduler(runtime)
        scheduler.start()
        log.info("%s; %s; %s; %s", await startup_summary(runtime), slack, discord, health)
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            scheduler.shutdown(wait=False)
            await runtime.jobs.wait_idle(SHUTDOWN_GRACE_SECONDS)
    log.info("stopped")


async def startup_summary(runtime: Runtime) -> str:
    settings = runtime.settings
    papers = await runtime.store.papers.count()
    sources = (
        ", ".join(f"{name} every {format_duration(runtime.interval(name))}" for name in runtime.sources)
        or "none enabled"
    )
    subscriptions = await runtime.store.subscriptions.list()
    served = [s for s in subscriptions if s.ref.platform in runtime.sinks]
    return (
        f"paperboy {paperboy.__version__} running: database {settings.database.path} ({papers} papers); "
        f"sources: {sources}; digests for {len(served)} of {len(subscriptions)} subscribed channels "
        f"({', '.join(sorted(p.value for p in runtime.sinks))}); press Ctrl-C to stop"
    )
