"""A TCP server on 127.0.0.1 that accepts every connection, reads what is sent, and never answers: what a
service behind a stuck proxy or a black-holed port looks like to a client. It counts the connections, and
the most it held open at once."""

from __future__ import annotations

import asyncio


class HangingServer:
    def __init__(self) -> None:
        self.connections = 0
        self.most_open = 0
        self._server: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()
        self.url = ""

    async def start(self) -> HangingServer:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.add(writer)
        self.most_open = max(self.most_open, len(self._held))
        try:
            while await reader.read(65536):  # until the client gives up and closes
                pass
        finally:
            self._held.discard(writer)
            writer.close()

    async def stop(self) -> None:
        for writer in list(self._held):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
