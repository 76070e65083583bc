"""`GET /healthz` and `GET /metrics` on a local port (`health.port`; off by default).

Healthy means: the database answers, and every enabled source has fetched without errors within three of its
intervals (counted from the start while it has not yet). The JSON body says which part failed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from paperboy.errors import ConfigError, PaperboyError
from paperboy.metrics import REGISTRY
from paperboy.runtime import Runtime

log = logging.getLogger(__name__)

#: a source is stale after this many intervals without a clean fetch
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class SourceHealth:
    ok: bool
    last_fetched: str | None
    stale_after: str


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    database: str
    sources: dict[str, SourceHealth]


async def check_health(runtime: Runtime, started: datetime) -> Health:
    try:
        await runtime.store.papers.count()
        database = "ok"
    except (PaperboyError, sqlite3.Error, ValueError) as error:  # ValueError: the connection is closed
        database = f"failing: {error}"
    now = runtime.clock.now()
    sources = {}
    for name in runtime.sources:
        last = runtime.last_fetched.get(name)
        deadline = (last or started) + STALE_AFTER_INTERVALS * runtime.interval(name)
        sources[name] = SourceHealth(now <= deadline, last.isoformat() if last else None, deadline.isoformat())
    return Health(database == "ok" and all(s.ok for s in sources.values()), database, sources)


@asynccontextmanager
async def serve_health(runtime: Runtime) -> AsyncIterator[str]:
    """Serve `/healthz` and `/metrics` while the block is open, if `health.port` is set; says where."""
    settings = runtime.settings.health
    if not settings.port:
        yield "health checks off"
        return
    started = runtime.clock.now()

    async def healthz(request: web.Request) -> web.StreamResponse:
        health = await check_health(runtime, started)
        body: dict[str, Any] = asdict(health)
        return web.json_response(body, status=200 if health.ok else 503)

    async def metrics(request: web.Request) -> web.StreamResponse:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {settings.host}:{settings.port} for health checks ({error.strerror}); "
                "change health.port"
            ) from None
        yield f"health at http://{settings.host}:{settings.port}/healthz and /metrics"
    finally:
        await runner.cleanup()
