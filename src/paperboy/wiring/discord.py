"""Discord, put together: the bot with `/papers`, connected while `paperboy run` runs. discord.py is imported
only when a Discord token is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from paperboy.runtime import Runtime
from paperboy.wiring.services import chat_services


@asynccontextmanager
async def serve_discord(runtime: Runtime) -> AsyncIterator[str]:
    """Run the bot while the block is open, if a Discord token is configured; says how it went."""
    settings = runtime.settings.discord
    if not settings.token:
        yield "Discord off"
        return
    from paperboy.adapters.discord_app import Gateway, build_bot, hold_gateway

    services = chat_services(runtime.store, runtime.settings, runtime.clock, runtime.digests)
    gateway = Gateway(lambda: build_bot(services, settings), settings.token.reveal(), runtime.store.markers)
    async with hold_gateway(gateway) as where:
        yield where
