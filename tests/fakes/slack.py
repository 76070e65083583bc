"""A fake Slack Web API over real HTTP: the methods paperboy calls, Block Kit limits, and per-channel pacing.

slack_sdk's AsyncWebClient talks to it through `base_url`. Every call is recorded; messages are kept per
channel with their metadata, so `conversations.history` can answer the way Slack does.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.server import FakeServer

TOKEN = "xoxb-test-token"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.team_id = "T0456"
        #: channel id → messages posted there (the request's fields plus "ts")
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: channel id → the error chat.postMessage answers there (channel_not_found, not_in_channel, …)
        self.refuse: dict[str, str] = {}
        #: seconds between two messages to one channel; faster ones get 429 with Retry-After
        self.channel_interval = 0.0
        self._last_post: dict[str, float] = {}
        self._ts = 1_700_000_000.0
        #: user id → fields users.info tells (is_admin, is_owner)
        self.users: dict[str, dict[str, Any]] = {}
        #: what was posted to each response_url (the answers to slash commands)
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/api/{method}", self.api), web.post("/response/{name}", self.respond)]

    async def respond(self, request: web.Request) -> web.StreamResponse:
        self.responses[request.match_info["name"]].append(await request.json())
        return web.Response(text="ok")

    async def api(self, request: web.Request) -> web.StreamResponse:
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            body |= await request.json() if request.content_type == "application/json" else dict(await request.post())
        handler = {
            "users.info": self.users_info,
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "conversations.history": self.history,
        }.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return await handler(body)

    async def users_info(self, body: dict[str, Any]) -> web.StreamResponse:
        user = str(body.get("user", ""))
        if user not in self.users:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response({"ok": True, "user": {"id": user} | self.users[user]})

    async def auth_test(self, body: dict[str, Any]) -> web.StreamResponse:
        return web.json_response({"ok": True, "team_id": self.team_id, "user_id": "UBOT", "bot_id": "BBOT"})

    async def post_message(self, body: dict[str, Any]) -> web.StreamResponse:
        channel = body.get("channel", "")
        if channel in self.refuse:
            return web.json_response({"ok": False, "error": self.refuse[channel]})
        problem = _block_problem(body.get("blocks") or [])
        if problem:
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": [problem]})
        now = time.monotonic()
        last = self._last_post.get(channel)
        if last is not None and now - last < self.channel_interval:
            wait = self.channel_interval - (now - last)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(max(1, round(wait)))}
            )
        self._last_post[channel] = now
        self._ts += 1
        message = dict(body) | {"ts": f"{self._ts:.6f}"}
        self.messages[channel].append(message)
        return web.json_response({"ok": True, "channel": channel, "ts": message["ts"]})

    async def history(self, body: dict[str, Any]) -> web.StreamResponse:
        channel = body.get("channel", "")
        include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {"type": "message", "ts": m["ts"], "text": m.get("text", "")}
            | ({"metadata": m["metadata"]} if include and m.get("metadata") else {})
            for m in reversed(self.messages.get(channel, []))
        ]
        return web.json_response({"ok": True, "messages": messages, "has_more": False})


def _block_problem(blocks: list[dict[str, Any]]) -> str | None:
    if len(blocks) > MAX_BLOCKS:
        return f"more than {MAX_BLOCKS} blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
            return f"section text over {MAX_SECTION_TEXT}"
        if block.get("type") == "header" and len(text) > MAX_HEADER_TEXT:
            return f"header text over {MAX_HEADER_TEXT}"
    return None


def signed_headers(body: str, secret: str, age: float = 0) -> dict[str, str]:
    """The headers Slack sends with a request body, signed with `secret`, `age` seconds ago."""
    timestamp = str(int(time.time() - age))
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body),
    }
