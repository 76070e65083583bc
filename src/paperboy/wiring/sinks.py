"""The sinks the settings enable: the console and incoming webhooks always, Slack with a bot token or OAuth
installs, Discord with a bot token. Each platform's adapter (and SDK) is imported only when it is enabled.

The webhook and Discord sinks pace their requests with a budget shared by every live process on the database
(`paperboy.pace`): the adapters get a function that counts them, never the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from paperboy.adapters.console import ConsoleSink
from paperboy.adapters.webhook import WebhookSink
from paperboy.clock import Clock, SystemClock
from paperboy.config import Settings
from paperboy.models import Platform
from paperboy.pace import Pace, Sharers
from paperboy.sinks import Sink
from paperboy.store import Store
from paperboy.store.locks import this_process


def build_sinks(
    settings: Settings, client: httpx.AsyncClient, store: Store, clock: Clock | None = None
) -> dict[Platform, Sink]:
    """Where digests can go with these settings. `open_sinks` closes them after."""
    sharers = live_processes(store, clock or SystemClock.from_env())
    webhooks = Pace(settings.delivery.webhook_requests_per_second, sharers, what="webhook requests")
    sinks: dict[Platform, Sink] = {
        Platform.CONSOLE: ConsoleSink(),
        Platform.WEBHOOK: WebhookSink(client, settings.delivery, webhooks),
    }
    slack = settings.slack
    if slack.bot_token or slack.installs:
        sinks[Platform.SLACK] = _slack_sink(settings, store)
    if settings.discord.token:
        sinks[Platform.DISCORD] = _discord_sink(settings, sharers)
    return sinks


def live_processes(store: Store, clock: Clock) -> Sharers:
    """How many processes share the rate budgets: the live ones in the process table, this one included
    whether or not it writes heartbeats there."""
    me = this_process()  # as the process table names this process

    async def count() -> int:
        return len({process.name for process in await store.processes.live(clock.now())} | {me})

    return count


def _slack_sink(settings: Settings, store: Store) -> Sink:
    from paperboy.adapters.slack import SlackSink
    from paperboy.adapters.slack_tokens import ConfiguredToken, InstalledTokens, WorkspaceTokens
    from paperboy.wiring.slack import slack_client

    slack = settings.slack
    web = slack_client(settings)
    tokens: WorkspaceTokens = (
        ConfiguredToken(web, slack.bot_token.reveal()) if slack.bot_token else InstalledTokens(store.installations)
    )
    return SlackSink(web, tokens, continue_in_thread=slack.long_digests_in_thread, retry=settings.delivery)


def _discord_sink(settings: Settings, sharers: Sharers) -> Sink:
    from discord.http import HTTPClient

    from paperboy.adapters.discord import DiscordSink, point_at

    point_at(settings.discord.api_base_url)
    return DiscordSink(
        HTTPClient(asyncio.get_running_loop()),
        settings.discord.token.reveal(),
        continue_in_thread=settings.discord.long_digests_in_thread,
        pace=Pace(settings.discord.requests_per_second, sharers, what="Discord API requests"),
    )


@asynccontextmanager
async def open_sinks(
    settings: Settings, client: httpx.AsyncClient, store: Store, clock: Clock | None = None
) -> AsyncIterator[dict[Platform, Sink]]:
    """`build_sinks`, closing what they hold open (Discord's HTTP session) when the block ends."""
    sinks = build_sinks(settings, client, store, clock)
    try:
        yield sinks
    finally:
        for sink in sinks.values():
            # a sink that holds a connection open (Discord's HTTP session) has `close`; the others have nothing
            close = getattr(sink, "close", None)
            if close is not None:
                await close()
