"""A fake Hugging Face Daily Papers API: `GET /api/daily_papers?date=&limit=&p=` over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiohttp import web

from tests.fakes.corpus import by_day, hf_item
from tests.fakes.server import FakeServer

PATH = "/api/daily_papers"


class FakeHuggingFace(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        #: date (YYYY-MM-DD) → the list of items, or any JSON value to answer as is (an error object, say)
        self.days: dict[str, Any] = {}
        #: answer the first page whatever `p` asks for, as a misbehaving server might
        self.ignore_paging = False
        #: date (YYYY-MM-DD) → a status answered on every request for that day (a day the API keeps failing on)
        self.failing_days: dict[str, int] = {}
        #: answer 404 with an HTML page, as a base_url pointing at the wrong server would
        self.missing = False
        #: requests are answered only while this is set (clear it to hold every fetch half way)
        self.gate = asyncio.Event()
        self.gate.set()
        #: requests being answered now, and the most there ever were at once
        self.in_flight = 0
        self.most_in_flight = 0

    def serve_corpus_day(self, day: date, **paper_overrides: Any) -> list[str]:
        """Serve the corpus papers of `day` (with `paper_overrides` applied to each); their distinct ids, sorted."""
        papers = by_day()[day]
        self.days[day.isoformat()] = [hf_item(p, **paper_overrides) for p in papers]
        return sorted({p.id for p in papers})

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.daily_papers)]

    async def daily_papers(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            return await self._daily_papers(request)
        finally:
            self.in_flight -= 1

    async def _daily_papers(self, request: web.Request) -> web.StreamResponse:
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        if self.missing:
            return web.Response(status=404, text="<html><body>Not Found</body></html>", content_type="text/html")
        day = request.query.get("date") or max(self.days, default="")
        if day in self.failing_days:
            status = self.failing_days[day]
            return web.json_response({"error": f"scripted {status} for {day}"}, status=status)
        answer = self.days.get(day, [])
        if not isinstance(answer, list):
            return web.json_response(answer)
        limit = int(request.query.get("limit", "50"))
        page = 0 if self.ignore_paging else int(request.query.get("p", "0"))
        return web.json_response(answer[page * limit : (page + 1) * limit])
