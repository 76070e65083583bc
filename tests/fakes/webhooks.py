"""A fake receiver of Discord and Slack incoming webhooks, over real HTTP, that can enforce a rate limit."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from aiohttp import web

from tests.fakes.rate import RateWindow
from tests.fakes.server import FakeServer


class FakeWebhooks(FakeServer):
    def __init__(self, per_second: int | None = None) -> None:
        super().__init__()
        #: payloads received, by webhook path
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: webhook paths that answer 404, as a deleted webhook does
        self.gone: set[str] = set()
        #: requests taken (and refused with 429 past `per_second` in any one second)
        self.rate = RateWindow(per_second)
        #: seconds to wait, after taking a message, before answering (a sender killed meanwhile never hears)
        self.stall = 0.0
        #: when set, answers wait (after the message is taken) until this event is set
        self.hold: asyncio.Event | None = None
        #: request bodies larger than this many bytes are refused with 413, as the platforms do past their limits
        self.max_bytes: int | None = None
        #: Discord messages with more embeds are refused with 400 50035 Invalid Form Body, as Discord does
        self.max_embeds = 10
        self._ids = 1000

    def discord_url(self, name: str = "1") -> str:
        return f"{self.url}/api/webhooks/{name}/token-{name}"

    def slack_url(self, name: str = "1") -> str:
        return f"{self.url}/services/T0/B{name}/token{name}"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/webhooks/{id}/{token}", self.discord), web.post("/services/{t}/{b}/{token}", self.slack)]

    def payloads(self, url: str) -> list[dict[str, Any]]:
        return self.received[url.removeprefix(self.url)]

    @property
    def per_second(self) -> int | None:
        return self.rate.per_second

    @per_second.setter
    def per_second(self, value: int | None) -> None:
        self.rate.per_second = value

    @property
    def limited(self) -> int:
        """Requests refused with 429 because they came too fast."""
        return self.rate.limited

    @property
    def accepted(self) -> int:
        return self.rate.accepted

    def first_and_last(self) -> tuple[float, float]:
        """When the first and the last accepted request arrived (monotonic seconds)."""
        return self.rate.first_and_last()

    def most_in_one_second(self) -> int:
        return self.rate.most_in_one_second()

    async def _accept(self, request: web.Request) -> web.StreamResponse | dict[str, Any]:
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        if request.path in self.gone:
            return web.json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        malformed = await self._malformed(request)
        if malformed is not None:
            return malformed
        wait = self.rate.admit()
        if wait is not None:
            return web.json_response(
                {"message": "You are being rate limited.", "retry_after": wait, "global": False},
                status=429,
                headers={"Retry-After": f"{wait:.3f}"},
            )
        payload: dict[str, Any] = await request.json()
        self.received[request.path].append(payload)
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.hold is not None:
            await self.hold.wait()
        return payload

    async def _malformed(self, request: web.Request) -> web.StreamResponse | None:
        """The platform's refusal of a payload beyond its limits, if this one is."""
        discord = request.path.startswith("/api/webhooks/")
        if self.max_bytes is not None and len(await request.read()) > self.max_bytes:
            if discord:
                return web.json_response({"message": "Request entity too large", "code": 40005}, status=413)
            return web.Response(status=413, text="request_too_large")
        embeds = (await request.json()).get("embeds") or []
        if discord and len(embeds) > self.max_embeds:
            errors = {"embeds": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer."}]}}
            return web.json_response({"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400)
        return None

    async def discord(self, request: web.Request) -> web.StreamResponse:
        accepted = await self._accept(request)
        if isinstance(accepted, web.StreamResponse):
            return accepted
        self._ids += 1
        if request.query.get("wait") == "true":
            return web.json_response({"id": str(self._ids), "content": accepted.get("content", "")})
        return web.Response(status=204)

    async def slack(self, request: web.Request) -> web.StreamResponse:
        accepted = await self._accept(request)
        if isinstance(accepted, web.StreamResponse):
            return accepted
        return web.Response(text="ok")
