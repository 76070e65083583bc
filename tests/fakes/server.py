"""A small real HTTP server on 127.0.0.1 (aiohttp) with request recording and scripted faults."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted misbehaviour, used for the next request to a path instead of the normal answer.

    `delay` sleeps before answering normally (longer than the client's timeout: a timeout); `body` answers
    200 with those raw bytes (a truncated response); `text` answers `status` with that plain text (an outage
    page, a proxy's error); otherwise `status` with `headers` and a JSON error.
    """

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeServer:
    """Subclasses add routes in `routes()`; handlers call `await self.misbehave(request)` first."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def fail_next(self, path: str, *faults: Fault) -> None:
        self._faults[path].extend(faults)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    async def misbehave(self, request: web.Request) -> web.StreamResponse | None:
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.query), dict(request.headers)))
        queue = self._faults.get(request.path)
        if not queue:
            return None
        fault = queue.popleft()
        if fault.delay:
            await asyncio.sleep(fault.delay)
            return None
        if fault.body is not None:
            return web.Response(body=fault.body, content_type="application/json")
        if fault.text is not None:
            return web.Response(status=fault.status, text=fault.text, headers=fault.headers)
        return web.json_response({"error": f"scripted {fault.status}"}, status=fault.status, headers=fault.headers)

    async def start(self) -> FakeServer:
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
