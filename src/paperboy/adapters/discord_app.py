"""The Discord bot: a discord.py client with the `/papers` command tree, started by `paperboy run`.

It asks for no privileged intents: only `guilds`, which discord.py's state relies on. Commands are
registered with Discord only when their definitions changed since the last registration (a hash kept in the
database), never on every start: Discord rate-limits registration, and a needless one can briefly hide
commands from servers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
from discord import app_commands

from paperboy.adapters.discord import point_at
from paperboy.adapters.discord_commands import VIEW_TIMEOUT, answer_error, build_papers_group
from paperboy.adapters.services import Services
from paperboy.config import DiscordSettings
from paperboy.errors import ConfigError, PaperboyError
from paperboy.runtime import Runtime
from paperboy.service import PaperService
from paperboy.store import MarkerStore
from paperboy.subscriptions import SubscriptionService

log = logging.getLogger(__name__)

#: what the bot may do in a channel: see it, post digests with embeds, and continue long ones in threads
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
THREAD_PERMISSIONS = discord.Permissions(send_messages_in_threads=True, create_public_threads=True)
SCOPES = ("bot", "applications.commands")


def build_bot(
    services: Services, settings: DiscordSettings, *, view_timeout: float = VIEW_TIMEOUT
) -> tuple[discord.Client, app_commands.CommandTree[Any]]:
    """The client (sharded when `discord.shards` says so) and its command tree holding `/papers`."""
    point_at(settings.api_base_url, settings.gateway_url)
    # paperboy has no voice; without these, every start warns that voice's libraries are missing
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    # guilds only (not privileged): discord.py's state needs it; slash commands need nothing more
    intents = discord.Intents(guilds=True)
    client: discord.Client
    if settings.shards == 1:
        client = discord.Client(intents=intents)
    else:
        client = discord.AutoShardedClient(intents=intents, shard_count=settings.shards or None)
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.add_command(build_papers_group(services, view_timeout))
    tree.on_error = answer_error  # type: ignore[method-assign]
    return client, tree


def commands_hash(tree: app_commands.CommandTree[Any]) -> str:
    definitions = [command.to_dict(tree) for command in tree.get_commands()]
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


def _marker(guild: int | None) -> str:
    return f"discord.commands_hash.{guild or 'global'}"


async def sync_commands(
    tree: app_commands.CommandTree[Any], markers: MarkerStore, guild: int | None = None, *, force: bool = False
) -> int | None:
    """Register the commands with Discord (globally, or in one server at once) if they changed since the last
    time, or with `force`; the number registered, or None when nothing had changed."""
    current = commands_hash(tree)
    if not force and await markers.get(_marker(guild)) == current:
        return None
    target = discord.Object(id=guild) if guild else None
    if target:
        tree.copy_global_to(guild=target)
    registered = await tree.sync(guild=target)
    await markers.put(_marker(guild), current)
    return len(registered)


def invite_url(application_id: int, *, threads: bool) -> str:
    permissions = PERMISSIONS | THREAD_PERMISSIONS if threads else PERMISSIONS
    return discord.utils.oauth_url(application_id, permissions=permissions, scopes=SCOPES)


async def log_in(client: discord.Client, token: str) -> None:
    """Log in over REST (no gateway yet), with Discord's refusal or absence said in words."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise ConfigError(
            "Discord does not accept discord.token; copy the bot token again from the Developer Portal (Bot → "
            "Reset Token)"
        ) from None
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
        raise DiscordUnreachable(
            f"cannot reach Discord to log in ({type(error).__name__}); check the network"
        ) from None


class DiscordUnreachable(PaperboyError):
    """Discord did not answer (network, outage); unlike a refused token, waiting may fix it."""


#: waits between attempts to get the gateway connection back, doubling up to the last
RECONNECT_BACKOFF = (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0)


class Gateway:
    """The bot's connection to Discord, kept until `close()`: log in, register the commands if they changed,
    and hold the gateway. discord.py reconnects through passing failures itself; when it gives up (closing
    its client) or Discord cannot be reached, a fresh client tries again after a wait that grows with each
    failure, so that Discord being away for a while never stops digests or Slack."""

    def __init__(
        self,
        build: Callable[[], tuple[discord.Client, app_commands.CommandTree[Any]]],
        token: str,
        markers: MarkerStore,
    ) -> None:
        self.client, self._tree = build()
        self._build = build
        self._token = token
        self._markers = markers
        self._closing = False

    async def log_in(self) -> None:
        """Log in and register the commands if they changed; raises what `log_in` raises."""
        await log_in(self.client, self._token)
        synced = await sync_commands(self._tree, self._markers)
        if synced is not None:
            log.info("registered %d Discord command(s) with Discord", synced)

    async def run(self) -> None:
        failures = 0
        while not self._closing:
            try:
                if self.client.is_closed():
                    self.client, self._tree = self._build()
                if self.client.user is None:
                    await self.log_in()
                await self.client.connect(reconnect=True)
                failures = 0
            except Exception as error:  # whatever ended it, the answer is the same: wait, then again
                if self._closing:
                    return
                log.error("the Discord connection failed (%s); connecting again soon", error)
            if self._closing:
                return
            await asyncio.sleep(RECONNECT_BACKOFF[min(failures, len(RECONNECT_BACKOFF) - 1)])
            failures += 1

    async def close(self) -> None:
        self._closing = True
        await self.client.close()


@asynccontextmanager
async def serve_discord(runtime: Runtime) -> AsyncIterator[str]:
    """Run the bot while the block is open, if a Discord token is configured. A refused token is a ConfigError
    here, at start; Discord out of reach is tried again in the background while the rest runs. Says which."""
    settings = runtime.settings.discord
    if not settings.token:
        yield "Discord off"
        return
    services = Services(
        papers=PaperService(runtime.store, today=lambda: runtime.clock.now().date()),
        subscriptions=SubscriptionService(runtime.store, runtime.settings.digest, runtime.clock),
        digests=runtime.digests,
    )
    gateway = Gateway(lambda: build_bot(services, settings), settings.token.reveal(), runtime.store.markers)
    try:
        try:
            await gateway.log_in()
            where = f"Discord as {gateway.client.user}"
        except DiscordUnreachable as error:
            log.warning("%s; trying again in the background", error)
            where = "Discord unreachable, trying again"
        connection = asyncio.create_task(gateway.run(), name="discord-gateway")
        try:
            yield where
        finally:
            await gateway.close()
            await asyncio.wait([connection], timeout=5)
            connection.cancel()
    finally:
        await gateway.close()
