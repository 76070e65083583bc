"""`paperboy run`: everything configured, in one process, until asked to stop."""

from __future__ import annotations

import asyncio
import logging

import paperboy
from paperboy.adapters.discord_app import serve_discord
from paperboy.adapters.slack_app import serve_slack
from paperboy.config import Settings
from paperboy.health import serve_health
from paperboy.models import Platform
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
        log.info("%s; %s; %s; %s; press Ctrl-C to stop", await startup_summary(runtime), slack, discord, health)
        if (console := chat_platforms(runtime)) is not None:
            log.info(console)
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            scheduler.shutdown(wait=False)
            await runtime.jobs.wait_idle(SHUTDOWN_GRACE_SECONDS)
    log.info("stopped")


async def startup_summary(runtime: Runtime) -> str:
    """One line: version, database, sources, what is served, how many channels, and the next digest."""
    settings = runtime.settings
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
        f"paperboy {paperboy.__version__} running: database {settings.database.path} ({papers} papers); "
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
