"""A fake arXiv API: `GET /api/query` answering Atom for `cat:` and `submittedDate:[… TO …]` queries."""

from __future__ import annotations

import re
import time
from datetime import datetime

from aiohttp import web

from tests.fakes.corpus import AtomEntry, atom_error_feed, atom_feed
from tests.fakes.server import FakeServer

PATH = "/api/query"
_CATEGORY = re.compile(r"cat:([\w.\-]+)")
_DATES = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


class FakeArxiv(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[AtomEntry] = []
        #: monotonic times at which requests arrived, for checking the request pacing
        self.arrivals: list[float] = []
        #: when set, the answer to every query instead of a feed of `entries` (a hostile document, say)
        self.document: str | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.query)]

    async def query(self, request: web.Request) -> web.StreamResponse:
        self.arrivals.append(time.monotonic())
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        if self.document is not None:
            return _atom(self.document)
        search = request.query.get("search_query", "")
        categories = set(_CATEGORY.findall(search))
        if not categories:
            return _atom(atom_error_feed("malformed query: no category"))
        matching = [e for e in self.entries if categories & set(e.categories)]
        dates = _DATES.search(search)
        if dates:
            low, high = (datetime.strptime(d, "%Y%m%d%H%M") for d in dates.groups())
            matching = [e for e in matching if low <= datetime.strptime(e.published, "%Y-%m-%dT%H:%M:%SZ") <= high]
        matching.sort(key=lambda e: e.published, reverse=True)
        start = int(request.query.get("start", "0"))
        size = int(request.query.get("max_results", "10"))
        return _atom(atom_feed(matching[start : start + size], total=len(matching), start=start))


def _atom(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/atom+xml")
