"""The Discord bot: a discord.py client with the `/papers` command tree, started by `paperboy run`.

It asks for no privileged intents: only `guilds`, which discord.py's state relies on. Commands are
registered with Discord only when their definitions changed since the last registration (a hash kept in the
database), never on every start: Discord rate-limits registration, and a needless one can briefly hide
commands from servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.http import Route

from paperboy.adapters.coalesce import UPDATE_SPACING
from paperboy.adapters.discord import point_at
from paperboy.adapters.discord_commands import VIEW_TIMEOUT, answer_error, build_papers_group
from paperboy.adapters.discord_rating import DiscordRating
from paperboy.adapters.services import Markers, Services
from paperboy.config import DiscordSettings
from paperboy.errors import ConfigError, Fault, PaperboyError
from paperboy.reach import cannot_reach, no_answer
from paperboy.retry import RetryPolicy

log = logging.getLogger(__name__)

#: what the bot may do in a channel: see it, post digests with embeds, and continue long ones in threads
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
THREAD_PERMISSIONS = discord.Permissions(send_messages_in_threads=True, create_public_threads=True)
SCOPES = ("bot", "applications.commands")


def build_bot(
    services: Services,
    settings: DiscordSettings,
    *,
    view_timeout: float = VIEW_TIMEOUT,
    update_spacing: float = UPDATE_SPACING,
) -> tuple[discord.Client, app_commands.CommandTree[Any]]:
    """The client (sharded when `discord.shards` says so, connecting `discord.shard_ids` when set) and its command
    tree holding `/papers`; it answers the rating buttons of the digests too, editing a rated message at most once
    per `update_spacing` seconds."""
    point_at(settings.api_base_url, settings.gateway_url)
    # paperboy has no voice; without these, every start warns that voice's libraries are missing
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    # guilds only (not privileged): discord.py's state needs it; slash commands need nothing more
    intents = discord.Intents(guilds=True)
    client: discord.Client
    if settings.shard_ids:  # this process's share of the shards; other processes connect the others
        client = discord.AutoShardedClient(
            intents=intents, shard_ids=list(settings.shard_ids), shard_count=settings.shards
        )
    elif settings.shards == 1:
        client = discord.Client(intents=intents)
    else:
        client = discord.AutoShardedClient(intents=intents, shard_count=settings.shards or None)
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.add_command(build_papers_group(services, view_timeout))
    tree.on_error = answer_error  # type: ignore[method-assign]
    client.event(DiscordRating(services, update_spacing).on_interaction)
    return client, tree


def commands_hash(tree: app_commands.CommandTree[Any]) -> str:
    definitions = [command.to_dict(tree) for command in tree.get_commands()]
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


def _marker(guild: int | None) -> str:
    return f"discord.commands_hash.{guild or 'global'}"


async def sync_commands(
    tree: app_commands.CommandTree[Any], markers: Markers, guild: int | None = None, *, force: bool = False
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


#: how long one log-in may take before it counts as Discord being out of reach (discord.py sets no limit)
LOGIN_TIMEOUT_SECONDS = 30.0


async def log_in(client: discord.Client, token: str) -> None:
    """Log in over REST (no gateway yet), with Discord's refusal or absence said in words."""
    try:
        async with asyncio.timeout(LOGIN_TIMEOUT_SECONDS):
            await client.login(token)
    except discord.LoginFailure:
        raise ConfigError(
            "Discord does not accept discord.token; copy the bot token again from the Developer Portal (Bot → "
            "Reset Token)"
        ) from None
    except TimeoutError:
        raise DiscordUnreachable(
            f"{no_answer('Discord', LOGIN_TIMEOUT_SECONDS)} to log in; try again later, or check the network"
        ) from None
    except discord.HTTPException as error:  # Discord (or a proxy before it) failed, not the token
        raise DiscordUnreachable(f"Discord answered {error.status} to log in; try again later") from None
    except (aiohttp.ClientError, OSError) as error:
        raise DiscordUnreachable(
            f"{cannot_reach('Discord', Route.BASE, error)} to log in; check discord.api_base_url and the network"
        ) from None


class DiscordUnreachable(PaperboyError):
    """Discord did not answer (network, outage); unlike a refused token, waiting may fix it."""

    fault = Fault.RETRYABLE


#: waits between attempts to get the gateway connection back: the one backoff (5 s doubling, with jitter, up
#: to 5 minutes). Unlike a request, the connection is tried for as long as paperboy runs.
RECONNECT = RetryPolicy(attempts=1, backoff=5.0, max_wait=300.0)
#: how long `paperboy run` waits at start for Discord to take the token before going on without knowing
START_WAIT_SECONDS = 5.0
#: how long a stop waits for the gateway connection to close before cutting it
CLOSE_SECONDS = 2.0


def describe_failure(error: BaseException, *, ready: bool) -> str:
    """What ended a gateway connection, in words. discord.py's own errors for a gateway that drops the bot
    before READY are internal (an AttributeError on its missing socket), so whether the connection got that far
    says more than the error does."""
    if isinstance(error, DiscordUnreachable):
        return str(error)
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"the Discord gateway refused the connection (HTTP {error.status})"
    if isinstance(error, (aiohttp.ClientError, OSError)):
        return f"cannot reach the Discord gateway ({error})"
    if isinstance(error, TimeoutError):
        return "the Discord gateway did not answer in time"
    code = f" (code {error.code})" if isinstance(error, discord.ConnectionClosed) else ""
    if not ready:
        return f"the Discord gateway closed the connection before it was ready{code}"
    return f"the Discord gateway closed the connection{code}"


class Gateway:
    """The bot's connection to Discord, kept until `close()`: log in, register the commands if they changed,
    and hold the gateway. Each attempt is a fresh client (discord.py cannot reuse a closed one), logged in once;
    when the connection ends, the next attempt follows after a wait that grows with each failure, so that
    Discord being away for a while never stops digests or Slack. A refused token ends the attempts.

    discord.py's own reconnect loop (`reconnect=True`) is not used: when the very first connection fails it logs
    a traceback at ERROR and then fails on its missing socket. It still resumes by itself after the drops
    Discord asks it to resume from; any other end is a new attempt here."""

    def __init__(
        self,
        build: Callable[[], tuple[discord.Client, app_commands.CommandTree[Any]]],
        token: str,
        markers: Markers,
    ) -> None:
        self._build = build
        self._token = token
        self._markers = markers
        self._closing = asyncio.Event()
        self._client: discord.Client | None = None
        #: whom Discord knows the bot as, once a log-in went through
        self.user: str | None = None
        #: the refusal of the token, if Discord refused it (the attempts then stop)
        self.refused: ConfigError | None = None
        #: set when the first log-in was answered, either way, or could not be
        self.first_answer = asyncio.Event()
        #: set once start-up went on without waiting further: a refusal is then logged, as nobody raises it
        self.in_background = False

    async def run(self) -> None:
        failures = 0
        while not self._closing.is_set():
            error, ready = await self._attempt()
            if self._closing.is_set():
                return
            if isinstance(error, ConfigError):
                if self.in_background:
                    log.error("%s; Discord stays off until paperboy is restarted", error)
                return
            if ready:
                failures = 0
            wait = RECONNECT.wait(failures + 1)
            what = describe_failure(error, ready=ready) if error else "the Discord gateway closed the connection"
            log.warning("%s; trying again in %.0f s", what, wait)
            failures += 1
            await self._pause(wait)

    async def _attempt(self) -> tuple[Exception | None, bool]:
        """One client, from log-in to the end of its connection: what ended it (None: a clean close), and
        whether it got as far as READY."""
        client, tree = self._build()
        self._client = client
        ready: asyncio.Task[None] | None = None
        try:
            await self._log_in(client, tree)
            ready = asyncio.create_task(client.wait_until_ready())
            await client.connect(reconnect=False)
            return None, ready.done()
        except Exception as error:  # whatever ended it, the answer is the same: wait, then again
            log.debug("the Discord connection ended", exc_info=True)
            if isinstance(error, ConfigError):
                self.refused = error  # before `first_answer`: start-up reads it as soon as that is set
            return error, ready is not None and ready.done()
        finally:
            self.first_answer.set()
            if ready is not None:
                ready.cancel()
            await client.close()

    async def _log_in(self, client: discord.Client, tree: app_commands.CommandTree[Any]) -> None:
        """Log in (raises what `log_in` raises), then register the commands if they changed; a failed
        registration is tried again at the next log-in and does not keep the bot off the gateway."""
        await log_in(client, self._token)
        self.user = str(client.user)
        self.first_answer.set()
        try:
            synced = await sync_commands(tree, self._markers)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            log.warning("cannot register the Discord commands (%s); trying again at the next connection", error)
            return
        if synced is not None:
            log.info("registered %d Discord command(s) with Discord", synced)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if `close()` is called meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def close(self) -> None:
        self._closing.set()
        if self._client is not None:
            await self._client.close()


@asynccontextmanager
async def hold_gateway(gateway: Gateway) -> AsyncIterator[str]:
    """Keep `gateway` connected while the block is open, and say how the start went: a refused token is a
    ConfigError here, at start, if Discord answers within a few seconds; Discord out of reach or slow is
    tried again in the background while the rest runs."""
    connection = asyncio.create_task(gateway.run(), name="discord-gateway")
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gateway.first_answer.wait(), START_WAIT_SECONDS)
        gateway.in_background = True
        if gateway.refused is not None:
            raise gateway.refused
        if gateway.user is not None:
            yield f"Discord as {gateway.user}"
        elif gateway.first_answer.is_set():
            yield "Discord unreachable, trying again"
        else:
            yield "Discord not answering yet, trying in the background"
    finally:
        # a gateway that stopped answering would hold discord.py's close for up to 30 s
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                await gateway.close()
                await asyncio.wait([connection])
        connection.cancel()
