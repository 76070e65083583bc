"""What a running paperboy holds open: settings, the store, one HTTP client, and the enabled sources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from discord.http import HTTPClient
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters import Sink
from paperboy.adapters.console import ConsoleSink
from paperboy.adapters.discord import DiscordSink, point_at
from paperboy.adapters.slack import SlackSink
from paperboy.adapters.slack_tokens import ConfiguredToken, InstalledTokens
from paperboy.adapters.webhook import WebhookSink
from paperboy.clock import Clock, SystemClock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner
from paperboy.http import make_client
from paperboy.models import IngestReport, Platform
from paperboy.sources import Source
from paperboy.sources.arxiv import ArxivSource
from paperboy.sources.huggingface import HuggingFaceSource
from paperboy.store import Store

T = TypeVar("T")


class JobTracker:
    """The background jobs under way, so that shutdown can cancel them and wait for them to finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    async def run(self, coro: Coroutine[object, object, T]) -> T:
        """Await `coro`, tracking the task that awaits it."""
        task = asyncio.current_task()
        assert task is not None, "JobTracker.run is awaited from a task"
        self._tasks.add(task)
        try:
            return await coro
        finally:
            self._tasks.discard(task)

    async def wait_idle(self, grace: float) -> None:
        """Cancel every tracked job and wait up to `grace` seconds for them to unwind."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace)
        self._tasks.clear()


@dataclass(frozen=True, slots=True)
class FetchStatus:
    """How a source's fetches have gone since start.

    A fetch succeeds when the source answered for at least one day: one day it keeps failing (a 500 for that
    date) is an error to log, not a sign that the source is down.
    """

    #: fetches that have finished since start
    fetches: int = 0
    #: when the last successful fetch finished
    last_success: datetime | None = None
    #: the newest error a fetch met ("2025-01-15: Hugging Face answered 500 …"), kept after later successes
    last_error: str | None = None

    def after(self, report: IngestReport, now: datetime) -> FetchStatus:
        """This status once the fetch that `report` describes has finished at `now`."""
        errors = report.errors
        return FetchStatus(
            fetches=self.fetches + 1,
            last_success=now if report.answered else self.last_success,
            last_error=f"{errors[0].day}: {errors[0].error}" if errors else self.last_error,
        )


@dataclass(slots=True)
class Runtime:
    settings: Settings
    store: Store
    client: httpx.AsyncClient
    sources: dict[str, Source] = field(default_factory=dict)
    jobs: JobTracker = field(default_factory=JobTracker)
    clock: Clock = field(default_factory=SystemClock)
    sinks: dict[Platform, Sink] = field(default_factory=dict)
    #: when each source was last fetched without errors
    last_fetched: dict[str, datetime] = field(default_factory=dict)
    #: how each source's scheduled fetches have gone since start (what /healthz reports)
    fetch_status: dict[str, FetchStatus] = field(default_factory=dict)

    @property
    def digests(self) -> DigestRunner:
        return DigestRunner(self.store, self.sinks, self.clock, self.settings.delivery)

    def interval(self, source: str) -> timedelta:
        """How often the source is fetched."""
        sources = self.settings.sources
        return sources.huggingface.every if source == "huggingface" else sources.arxiv.every

    def lookback_days(self, source: str) -> int:
        sources = self.settings.sources
        return sources.huggingface.lookback_days if source == "huggingface" else sources.arxiv.lookback_days


def build_sources(settings: Settings, client: httpx.AsyncClient, only: str | None = None) -> dict[str, Source]:
    """The sources the settings enable, by name; or just the source `only`, enabled or not."""
    hf, arxiv = settings.sources.huggingface, settings.sources.arxiv
    wanted = {"huggingface": hf.enabled, "arxiv": arxiv.enabled} if only is None else {only: True}
    sources: dict[str, Source] = {}
    if wanted.get("huggingface"):
        sources["huggingface"] = HuggingFaceSource(client, hf, settings.http)
    if wanted.get("arxiv"):
        sources["arxiv"] = ArxivSource(client, arxiv, settings.http)
    return sources


def build_sinks(settings: Settings, client: httpx.AsyncClient, store: Store) -> dict[Platform, Sink]:
    """Where digests can go with these settings: the console and incoming webhooks always, Slack channels
    with a bot token or OAuth installs, Discord channels with a bot token. `open_sinks` closes them after."""
    sinks: dict[Platform, Sink] = {
        Platform.CONSOLE: ConsoleSink(),
        Platform.WEBHOOK: WebhookSink(client, settings.delivery),
    }
    slack = settings.slack
    if slack.bot_token or slack.installs:
        web = slack_client(settings)
        tokens = (
            ConfiguredToken(web, slack.bot_token.reveal()) if slack.bot_token else InstalledTokens(store.installations)
        )
        sinks[Platform.SLACK] = SlackSink(
            web, tokens, continue_in_thread=slack.long_digests_in_thread, retry=settings.delivery
        )
    if settings.discord.token:
        point_at(settings.discord.api_base_url)
        sinks[Platform.DISCORD] = DiscordSink(
            HTTPClient(asyncio.get_running_loop()),
            settings.discord.token.reveal(),
            continue_in_thread=settings.discord.long_digests_in_thread,
        )
    return sinks


def slack_client(settings: Settings) -> AsyncWebClient:
    """slack_sdk's client for the API base URL (and the bot token, when there is one configured); a 429 is
    waited out as Slack asks."""
    return AsyncWebClient(
        token=settings.slack.bot_token.reveal() or None,
        base_url=settings.slack.api_base_url,
        timeout=max(1, int(settings.delivery.webhook_timeout.total_seconds())),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=settings.delivery.attempts)],
    )


@asynccontextmanager
async def open_sinks(
    settings: Settings, client: httpx.AsyncClient, store: Store
) -> AsyncIterator[dict[Platform, Sink]]:
    """`build_sinks`, closing what they hold open (Discord's HTTP session) when the block ends."""
    sinks = build_sinks(settings, client, store)
    try:
        yield sinks
    finally:
        discord_sink = sinks.get(Platform.DISCORD)
        if isinstance(discord_sink, DiscordSink):
            await discord_sink.close()


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    store = await Store.open(settings.database.path)
    try:
        async with make_client(settings.http) as client, open_sinks(settings, client, store) as sinks:
            sources = build_sources(settings, client)
            yield Runtime(settings, store, client, sources, sinks=sinks, clock=SystemClock.from_env())
    finally:
        await store.close()
