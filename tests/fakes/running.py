"""`paperboy run` (the `serve` coroutine) in the test's event loop, listening for Slack on a free local port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from paperboy.app import serve
from paperboy.config import Settings


def free_port() -> int:
    """A local port nobody listens on (a connection to it is refused), until someone binds it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HangingServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers a byte: a service that hangs."""

    def __init__(self) -> None:
        self.port = 0
        #: set once a client has connected
        self.connected = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.connected.set()
        await reader.read()  # until the client hangs up; nothing is ever sent back

    async def __aenter__(self) -> HangingServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


def without_sources(settings: Settings) -> Settings:
    """The settings with no paper source enabled, so that nothing is fetched while the test runs."""
    sources = replace(
        settings.sources,
        huggingface=replace(settings.sources.huggingface, enabled=False),
        arxiv=replace(settings.sources.arxiv, enabled=False),
    )
    return replace(settings, sources=sources)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    """`paperboy run` with `settings` in the background until the block ends (then stopped, and awaited)."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[str]:
    """Serve `settings` (Slack in HTTP mode on `slack.http_port`) until the block ends; yield its base URL once
    it answers. A failure to start is raised here, not left in a background task."""
    url = f"http://127.0.0.1:{settings.slack.http_port}"
    async with serving(settings) as task:
        async with httpx.AsyncClient() as client, asyncio.timeout(10):
            while True:
                if task.done():
                    task.result()
                    raise AssertionError("paperboy stopped before it answered")
                try:
                    await client.get(f"{url}/slack/events")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
        yield url
