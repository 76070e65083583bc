"""A fake Slack over real HTTP: the Web API methods paperboy calls, Block Kit limits, per-channel pacing, the
OAuth code exchange, and a Socket Mode WebSocket.

slack_sdk's AsyncWebClient talks to it through `base_url`. Every call is recorded; messages are kept per
channel with their metadata and the workspace whose token posted them, so `conversations.history` can answer
the way Slack does. Each bot token belongs to one workspace (`tokens`); OAuth installs add tokens.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict
from typing import Any

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.server import FakeServer

TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
CLIENT_ID = "1234.5678"
CLIENT_SECRET = "client-secret-for-tests"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.team_id = "T0456"
        #: bot token → the workspace (team id) it belongs to
        self.tokens: dict[str, str] = {TOKEN: self.team_id}
        #: OAuth codes Slack would hand a browser after "Allow": code → team id to install into
        self.codes: dict[str, str] = {}
        self._installs = itertools.count(1)
        #: Socket Mode: the open WebSocket, and the answers (acks) to envelopes sent down it, by envelope id
        self.socket: web.WebSocketResponse | None = None
        self.socket_connected = asyncio.Event()
        #: where apps.connections.open sends the app, when not to this server's own socket (a dead or hanging one)
        self.socket_url: str | None = None
        #: Socket Mode connections asked for, and whether they are answered 503 instead (Slack's end is down)
        self.socket_attempts = 0
        self.socket_down = False
        self.acks: dict[str, dict[str, Any]] = {}
        self._ack_arrived = asyncio.Condition()
        self._envelopes = itertools.count(1)
        #: channel id → messages posted there (the request's fields plus "ts")
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: channel id → the error chat.postMessage answers there (channel_not_found, not_in_channel, …)
        self.refuse: dict[str, str] = {}
        #: the most blocks a message may have; more is answered `invalid_blocks`, as Slack does past 50
        self.max_blocks = MAX_BLOCKS
        #: seconds between two messages to one channel; faster ones get 429 with Retry-After
        self.channel_interval = 0.0
        #: seconds chat.postMessage takes to answer after it posted (a slow Slack, or one about to be cut off)
        self.answer_delay = 0.0
        #: when set, chat.postMessage answers (after it posted) only once this event is set
        self.hold: asyncio.Event | None = None
        self._last_post: dict[str, float] = {}
        self._ts = 1_700_000_000.0
        #: user id → fields users.info tells (is_admin, is_owner)
        self.users: dict[str, dict[str, Any]] = {}
        #: channel id → the chat.update calls made there, in order (each message's blocks are replaced too)
        self.updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: what was posted to each response_url (the answers to slash commands)
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/api/{method}", self.api),
            web.post("/response/{name}", self.respond),
            web.get("/socket", self.socket_mode),
        ]

    async def respond(self, request: web.Request) -> web.StreamResponse:
        self.responses[request.match_info["name"]].append(await request.json())
        return web.Response(text="ok")

    async def api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            # read first: a scripted delay may outlast the client, which then hangs up
            body |= await request.json() if request.content_type == "application/json" else dict(await request.post())
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == "oauth.v2.access":
            if request.headers.get("Authorization", "").startswith("Basic "):
                credentials = base64.b64decode(token.removeprefix("Basic ")).decode()
                body["client_id"], _, body["client_secret"] = credentials.partition(":")
            return await self.oauth_access(body)
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            url = self.socket_url or f"{self.url.replace('http', 'ws', 1)}/socket"
            return web.json_response({"ok": True, "url": url})
        if token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        body["_team"] = self.tokens[token]
        handler = {
            "users.info": self.users_info,
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update_message,
            "conversations.history": self.history,
        }.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return await handler(body)

    async def oauth_access(self, body: dict[str, Any]) -> web.StreamResponse:
        """Slack's code exchange: a valid code and the app's credentials give the workspace a new bot token."""
        if (body.get("client_id"), body.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        team = self.codes.pop(str(body.get("code", "")), None)
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        token = f"xoxb-installed-{next(self._installs)}"
        self.tokens[token] = team
        return web.json_response(
            {
                "ok": True,
                "app_id": "A0001",
                "access_token": token,
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": "UBOT",
                "team": {"id": team, "name": f"Team {team}"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "UINSTALLER"},
            }
        )

    def revoke(self, team: str) -> None:
        """The workspace uninstalled the app: its tokens stop working."""
        for token in [t for t, owner in self.tokens.items() if owner == team]:
            del self.tokens[token]

    async def socket_mode(self, request: web.Request) -> web.StreamResponse:
        self.socket_attempts += 1
        if self.socket_down:
            return web.Response(status=503, text="down")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        self.socket_connected.set()
        async for message in socket:
            if message.type is web.WSMsgType.TEXT:
                ack = json.loads(message.data)
                async with self._ack_arrived:
                    self.acks[str(ack.get("envelope_id"))] = ack
                    self._ack_arrived.notify_all()
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one Socket Mode envelope (`slash_commands`, `interactive`, …) and return the app's ack."""
        async with asyncio.timeout(10):
            await self.socket_connected.wait()
            assert self.socket is not None
            envelope_id = f"envelope-{next(self._envelopes)}"
            await self.socket.send_json(
                {"envelope_id": envelope_id, "type": kind, "accepts_response_payload": True, "payload": payload}
            )
            async with self._ack_arrived:
                await self._ack_arrived.wait_for(lambda: envelope_id in self.acks)
            return self.acks[envelope_id]

    async def users_info(self, body: dict[str, Any]) -> web.StreamResponse:
        user = str(body.get("user", ""))
        if user not in self.users:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response({"ok": True, "user": {"id": user} | self.users[user]})

    async def auth_test(self, body: dict[str, Any]) -> web.StreamResponse:
        return web.json_response({"ok": True, "team_id": body["_team"], "user_id": "UBOT", "bot_id": "BBOT"})

    async def post_message(self, body: dict[str, Any]) -> web.StreamResponse:
        channel = body.get("channel", "")
        if channel in self.refuse:
            return web.json_response({"ok": False, "error": self.refuse[channel]})
        problem = _block_problem(body.get("blocks") or [], self.max_blocks)
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
        message = {k: v for k, v in body.items() if k != "_team"} | {"ts": f"{self._ts:.6f}", "team": body["_team"]}
        self.messages[channel].append(message)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if self.hold is not None:
            await self.hold.wait()
        return web.json_response({"ok": True, "channel": channel, "ts": message["ts"]})

    async def update_message(self, body: dict[str, Any]) -> web.StreamResponse:
        """chat.update: the message with that ts in the channel gets the new text and blocks."""
        channel, ts = body.get("channel", ""), body.get("ts", "")
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        problem = _block_problem(blocks, self.max_blocks)
        if problem:
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": [problem]})
        found = next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)
        if found is None:
            return web.json_response({"ok": False, "error": "message_not_found"})
        found["blocks"], found["text"] = blocks, body.get("text", found.get("text"))
        self.updates[channel].append({"ts": ts, "blocks": blocks})
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    async def history(self, body: dict[str, Any]) -> web.StreamResponse:
        channel = body.get("channel", "")
        include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {"type": "message", "ts": m["ts"], "text": m.get("text", "")}
            | ({"metadata": m["metadata"]} if include and m.get("metadata") else {})
            for m in reversed(self.messages.get(channel, []))
        ]
        return web.json_response({"ok": True, "messages": messages, "has_more": False})


def _block_problem(blocks: list[dict[str, Any]], max_blocks: int) -> str | None:
    if len(blocks) > max_blocks:
        return f"more than {max_blocks} blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
            return f"section text over {MAX_SECTION_TEXT}"
        if block.get("type") == "header" and len(text) > MAX_HEADER_TEXT:
            return f"header text over {MAX_HEADER_TEXT}"
    return None


def signed_headers(body: str | bytes, secret: str, age: float = 0) -> dict[str, str]:
    """The headers Slack sends with a request body, signed with `secret`, `age` seconds ago. A body in bytes
    is signed as it is (it need not be UTF-8: a forged or broken request)."""
    timestamp = str(int(time.time() - age))
    if isinstance(body, str):
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    else:
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
