"""`GET /healthz` and `GET /metrics` on a local port (`health.port`; off by default).

Healthy means: the database answers, and every enabled source is fetching. A source is failing once every
fetch since start has failed (a fetch succeeds when at least one of its days was fetched), or when its last
success is older than three of its intervals; before its first fetch has finished it is given three
intervals from the start. One process fetches a source at a time, whichever processes share the database: a
round skipped because another process was fetching the source counts as a fetch for staleness (that process's
own health says how its fetches go). The JSON body says which part failed and, for a source, its last error;
and it lists the live paperboy processes on the database, with when each was last seen and what it holds.

The same server serves each subscription's Atom feed at `/feeds/TOKEN.atom` (`feeds.py`): a token never issued
or revoked gets the same bare 404 as any unknown path, and no request line is logged (the path is a secret).
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
from paperboy.feeds import ATOM_TYPE, FEED_ROUTE, atom_feed
from paperboy.metrics import REGISTRY
from paperboy.runtime import FetchStatus, Runtime

log = logging.getLogger(__name__)

#: a source is stale after this many intervals without a clean fetch
STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class SourceHealth:
    ok: bool
    #: what the verdict rests on, in words ("every fetch since start failed", say)
    state: str
    #: when the last successful fetch finished
    last_fetched: str | None
    #: the newest error a fetch met, with its day
    last_error: str | None
    #: when the source counts as failing unless a fetch succeeds before
    stale_after: str


@dataclass(frozen=True, slots=True)
class ProcessHealth:
    """A live paperboy process on the database (`host:pid/space-nonce`), as its heartbeats say."""

    name: str
    #: when its last heartbeat was written
    seen: str
    holds: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    database: str
    sources: dict[str, SourceHealth]
    processes: list[ProcessHealth]


async def check_health(runtime: Runtime, started: datetime) -> Health:
    now = runtime.clock.now()
    processes: list[ProcessHealth] = []
    try:
        await runtime.store.papers.count()
        live = await runtime.store.processes.live(now)
        processes = [ProcessHealth(p.name, p.seen_at.isoformat(), p.holds) for p in live]
        database = "ok"
    except (PaperboyError, sqlite3.Error, ValueError) as error:  # ValueError: the connection is closed
        database = f"failing: {error}"
    sources = {name: _source_health(runtime, name, started, now) for name in runtime.sources}
    return Health(database == "ok" and all(s.ok for s in sources.values()), database, sources, processes)


def _source_health(runtime: Runtime, name: str, started: datetime, now: datetime) -> SourceHealth:
    status = runtime.fetch_status.get(name, FetchStatus())
    last = status.last_success
    handled = max((t for t in (last, status.fetched_elsewhere) if t is not None), default=None)
    deadline = (handled or started) + STALE_AFTER_INTERVALS * runtime.interval(name)
    if last is None and status.fetches:
        ok, state = False, f"no fetch since start succeeded ({status.fetches} failed)"
    elif now > deadline:
        since = f"since {last.isoformat()}" if last else "since start"
        ok, state = False, f"no successful fetch {since}, more than {STALE_AFTER_INTERVALS} intervals"
    elif handled is None:
        ok, state = True, "waiting for the first fetch"
    elif handled == status.fetched_elsewhere:
        ok, state = True, "fetched by another process"
    else:
        ok, state = True, "fetching"
    return SourceHealth(
        ok=ok,
        state=state,
        last_fetched=last.isoformat() if last else None,
        last_error=status.last_error,
        stale_after=deadline.isoformat(),
    )


class HealthPortUnavailable(ConfigError):
    """The health port cannot be listened on (taken, or not allowed). `setting` is where the port came from, for
    the message: `health.port` unless a caller knows better (`paperboy run --health-port`)."""

    def __init__(self, host: str, port: int, reason: str, setting: str = "health.port") -> None:
        super().__init__(f"cannot listen on {host}:{port} for health checks ({reason}); change {setting}")
        self.host, self.port, self.reason = host, port, reason

    def given_by(self, setting: str) -> HealthPortUnavailable:
        """The same error, naming `setting` as where the port came from."""
        return HealthPortUnavailable(self.host, self.port, self.reason, setting)


async def serve_feed(runtime: Runtime, token: str) -> web.StreamResponse:
    """A feed's Atom document; an unknown token gets aiohttp's own 404, like any path it has no route for, so a
    guess learns nothing. A failure is logged without the token, and answered 503 for the reader to retry."""
    try:
        document = await atom_feed(runtime.store, token)
    except (PaperboyError, sqlite3.Error, ValueError, OSError) as error:
        log.warning("a feed could not be made (%s: %s); its reader will retry", type(error).__name__, error)
        raise web.HTTPServiceUnavailable() from None
    if document is None:
        raise web.HTTPNotFound()
    # private: the document is for whoever holds the token, never for a shared cache
    headers = {"Cache-Control": "private, max-age=300"}
    return web.Response(body=document, content_type=ATOM_TYPE, charset="utf-8", headers=headers)


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

    async def feed(request: web.Request) -> web.StreamResponse:
        return await serve_feed(runtime, request.match_info["token"])

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics), web.get(FEED_ROUTE, feed)])
    runner = web.AppRunner(app, access_log=None)  # no access log: a feed's path is its secret token
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as error:
            raise HealthPortUnavailable(settings.host, settings.port, error.strerror or type(error).__name__) from None
        yield f"health at http://{settings.host}:{settings.port}/healthz and /metrics, Atom feeds at /feeds/"
    finally:
        await runner.cleanup()
