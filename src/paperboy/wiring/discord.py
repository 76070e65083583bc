"""Discord, put together: the bot with `/papers`, connected while `paperboy run` runs. discord.py is imported
only when a Discord token is configured.

A gateway shard is connected by one process at a time, whichever processes share the database: a process
holds a lock per shard it connects (`discord.shard_ids`, else all of `discord.shards`) for as long as it
connects them. A process that finds one of them held stands by, and connects once that process has stopped or
died: two processes with the same shards are one connected and one ready to take over. On PostgreSQL a lock
ends with its database connection (the server restarted): the process connecting the shards checks every
`KEEP_SECONDS` that it still holds them, and when not, disconnects them and stands by; a process that takes
shards over waits `TAKEOVER_SECONDS` before connecting them, time for the one that lost them to let go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from paperboy.config import DiscordSettings
from paperboy.runtime import Runtime
from paperboy.store import Locks
from paperboy.wiring.services import chat_services

if TYPE_CHECKING:
    from paperboy.adapters.discord_app import Gateway

log = logging.getLogger(__name__)

#: how often a process standing by tries to take over the shards another process connects
STANDBY_SECONDS = 5.0
#: how often the process connecting shards makes sure that it still holds them
KEEP_SECONDS = 2.0
#: how long a process that took shards over waits before connecting them: longer than the process that lost
#: them takes to find out (`KEEP_SECONDS`, and a check of at most `store.postgres.locks.CHECK_SECONDS`)
TAKEOVER_SECONDS = 5.0
_SHARD_LOCK = "discord:shard:"


def shard_locks(settings: DiscordSettings) -> tuple[str, ...]:
    """The locks held while connecting the shards of `settings`. When Discord says how many shards there are
    (`shards = 0`), they are not known before connecting; shard 0 is among them whatever their number."""
    return tuple(f"{_SHARD_LOCK}{shard}" for shard in settings.connected_shards() or (0,))


def held_shards(runtime: Runtime) -> list[int] | str | None:
    """The shards this process connects, for the process table: their ids, "all" when Discord says how many,
    or None when it connects none (Discord off, or standing by)."""
    settings = runtime.settings.discord
    if not settings.token or not set(shard_locks(settings)) <= runtime.store.locks.held():
        return None
    shards = settings.connected_shards()
    return list(shards) if shards is not None else "all"


@asynccontextmanager
async def serve_discord(runtime: Runtime) -> AsyncIterator[str]:
    """Run the bot while the block is open, if a Discord token is configured; says how it went."""
    settings = runtime.settings.discord
    if not settings.token:
        yield "Discord off"
        return
    from paperboy.adapters.discord_app import Gateway, build_bot, hold_gateway

    services = chat_services(runtime.store, runtime.settings, runtime.clock, runtime.digests)

    def gateway() -> Gateway:
        return Gateway(lambda: build_bot(services, settings), settings.token.reveal(), runtime.store.markers)

    locks, names = runtime.store.locks, shard_locks(settings)
    async with locks.try_hold(*names) as shards:
        if shards:
            connected = gateway()
            async with hold_gateway(connected) as where, _keeping(locks, names, gateway, connected):
                yield where
            return
    shard = (shards.busy or names[0]).removeprefix(_SHARD_LOCK)
    log.info("Discord shard %s is connected by %s; standing by to take over", shard, shards.holder)
    async with _keeping(locks, names, gateway, None):
        yield f"Discord standing by (shard {shard} is connected by {shards.holder})"


@asynccontextmanager
async def _keeping(
    locks: Locks, names: tuple[str, ...], gateway: Callable[[], Gateway], connected: Gateway | None
) -> AsyncIterator[None]:
    """While the block runs, in the background: keep `connected` only while the shards are this process's,
    and stand by when they are not, to take them over and connect them once they are free."""
    gateways = [connected] if connected else []

    async def keep() -> None:
        if connected is not None:
            await _until_lost(locks, names, connected)
        while True:
            await asyncio.sleep(STANDBY_SECONDS)
            async with locks.try_hold(*names) as shards:
                if not shards:
                    continue
                await asyncio.sleep(TAKEOVER_SECONDS)  # the process that had them lets go meanwhile
                if not await locks.still_held(*names):
                    continue
                log.info("the Discord shards are free: connecting them")
                gateways.append(gateway())
                gateways[-1].in_background = True  # a refused token is logged: nobody is there to raise it
                if await _run_while_held(locks, names, gateways[-1]):
                    return  # the gateway gave up for good (a refused token)

    task = asyncio.create_task(keep(), name="discord-shards")
    try:
        yield
    finally:
        for each in gateways:
            await _close(each)
        task.cancel()
        await asyncio.wait([task], timeout=1.0)


async def _run_while_held(locks: Locks, names: tuple[str, ...], gateway: Gateway) -> bool:
    """Run `gateway` while the shards are this process's: True when it ended by itself, False when the
    shards were lost (it is then closed)."""
    running = asyncio.create_task(gateway.run(), name="discord-gateway")
    lost = asyncio.create_task(_until_lost(locks, names, gateway))
    try:
        await asyncio.wait([running, lost], return_when=asyncio.FIRST_COMPLETED)
        return running.done() and not lost.done()
    finally:
        lost.cancel()
        running.cancel()
        await asyncio.wait([running, lost])


async def _until_lost(locks: Locks, names: tuple[str, ...], gateway: Gateway) -> None:
    """Return once the shards are no longer this process's, having closed `gateway`."""
    while await locks.still_held(*names):  # noqa: ASYNC110 - the database has no event to wait on
        await asyncio.sleep(KEEP_SECONDS)
    log.warning("the database no longer holds the Discord shards for this process; disconnecting them and standing by")
    await _close(gateway)


async def _close(gateway: Gateway) -> None:
    from paperboy.adapters.discord_app import CLOSE_SECONDS

    # a gateway that stopped answering would hold discord.py's close for up to 30 s
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_SECONDS):
            await gateway.close()
