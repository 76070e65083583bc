"""The Discord bot's set-up: commands registered only when they changed, the invite URL, a refused token."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from paperboy.adapters.discord_app import build_bot, invite_url, log_in, sync_commands
from paperboy.adapters.services import Services
from paperboy.clock import SystemClock
from paperboy.config import DigestSettings, DiscordSettings, Secret
from paperboy.delivery import DigestRunner
from paperboy.errors import ConfigError
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.discord import APPLICATION_ID, TOKEN, FakeDiscord


def services(store: Store) -> Services:
    return Services(
        PaperService(store), SubscriptionService(store, DigestSettings()), DigestRunner(store, {}, SystemClock())
    )


@pytest.mark.asyncio
async def test_commands_are_registered_once_and_again_only_when_they_change(
    store: Store, discord_server: FakeDiscord
) -> None:
    settings = DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url)
    client, tree = build_bot(services(store), settings)
    await log_in(client, TOKEN)
    try:
        assert await sync_commands(tree, store.markers) == 1
        assert await sync_commands(tree, store.markers) is None, "unchanged: not registered again"
        [papers] = discord_server.commands[(APPLICATION_ID, "")]
        assert papers["name"] == "papers"
        tree.get_commands()[0].description = "A changed description"
        assert await sync_commands(tree, store.markers) == 1
    finally:
        await client.close()
    assert discord_server.command_syncs == 2


@pytest.mark.asyncio
async def test_a_restart_does_not_register_unchanged_commands(db_path: Path, discord_server: FakeDiscord) -> None:
    settings = DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url)
    for _ in range(2):
        async with await Store.open(db_path) as store:
            client, tree = build_bot(services(store), settings)
            await log_in(client, TOKEN)
            await sync_commands(tree, store.markers)
            await client.close()
    assert discord_server.command_syncs == 1


@pytest.mark.asyncio
async def test_a_guild_sync_registers_in_that_server(store: Store, discord_server: FakeDiscord) -> None:
    client, tree = build_bot(services(store), DiscordSettings(api_base_url=discord_server.api_url))
    await log_in(client, TOKEN)
    try:
        assert await sync_commands(tree, store.markers, guild=42, force=True) == 1
    finally:
        await client.close()
    assert [c["name"] for c in discord_server.commands[(APPLICATION_ID, "42")]] == ["papers"]


@pytest.mark.asyncio
async def test_a_refused_token_is_a_clear_error_without_the_token(store: Store, discord_server: FakeDiscord) -> None:
    client, _ = build_bot(services(store), DiscordSettings(api_base_url=discord_server.api_url))
    with pytest.raises(ConfigError) as error:
        await log_in(client, "wrong-token")
    await client.close()
    assert str(error.value).startswith("Discord does not accept discord.token")
    assert "wrong-token" not in str(error.value)


def test_the_invite_asks_for_the_bot_and_commands_and_only_the_permissions_used() -> None:
    asked = parse_qs(urlsplit(invite_url(int(APPLICATION_ID), threads=False)).query)
    assert asked["client_id"] == [APPLICATION_ID]
    assert asked["scope"] == ["bot applications.commands"]
    # View Channel, Send Messages, Embed Links
    assert int(asked["permissions"][0]) == (1 << 10) | (1 << 11) | (1 << 14)


def test_the_invite_with_threads_adds_thread_permissions() -> None:
    asked = parse_qs(urlsplit(invite_url(int(APPLICATION_ID), threads=True)).query)
    # … plus Create Public Threads and Send Messages in Threads
    assert int(asked["permissions"][0]) == (1 << 10) | (1 << 11) | (1 << 14) | (1 << 35) | (1 << 38)
