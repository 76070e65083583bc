"""`open_runtime`: the database, the HTTP client, the sources and the sinks of one `paperboy run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from paperboy.clock import SystemClock
from paperboy.config import Settings
from paperboy.http import make_client
from paperboy.runtime import Runtime, build_sources
from paperboy.store import Store
from paperboy.wiring.sinks import open_sinks


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    store = await Store.open(settings.database.target)
    try:
        await store.refuse_unfinished_copy()
        clock = SystemClock.from_env()
        async with make_client(settings.http) as client, open_sinks(settings, client, store, clock) as sinks:
            sources = build_sources(settings, client)
            yield Runtime(settings, store, client, sources, sinks=sinks, clock=clock)
    finally:
        await store.close()
