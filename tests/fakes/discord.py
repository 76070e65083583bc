"""A fake Discord REST API over real HTTP, for discord.py's own HTTP client (pointed here via `Route.BASE`).

It answers what discord.py asks at login (`/users/@me`, `/oauth2/applications/@me`), channel messages (with
every embed limit enforced and `nonce` + `enforce_nonce` honoured as Discord does: the same nonce from the same
author in the same channel returns the first message instead of posting again), threads, interaction callbacks
and follow-ups, and command registration. It can answer 403/404 with Discord's error codes for a channel, and
429s with the `Via` header real Discord rate limits carry (without it, discord.py takes a 429 for a Cloudflare
ban).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from typing import Any

from aiohttp import web

from tests.fakes.rate import RateWindow
from tests.fakes.server import FakeServer

TOKEN = "discord-test-token"
APPLICATION_ID = "800000000000000001"
BOT_ID = "800000000000000002"
BOT_USER = {
    "id": BOT_ID,
    "username": "paperboy",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
LIMITS = {"content": 2000, "embeds": 10, "title": 256, "description": 4096, "fields": 25, "field_name": 256}
LIMITS |= {"field_value": 1024, "footer": 2048, "author": 256, "total": 6000}

#: Discord's JSON error codes for a channel paperboy cannot post to
MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
#: Discord's answers to a message it calls malformed or too large
INVALID_FORM_BODY = (400, 50035, "Invalid Form Body")
TOO_LARGE = (413, 40005, "Request entity too large")


class FakeDiscord(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(900_000_000_000_000_001)
        #: channel id → messages posted there (the payload, plus "id")
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: channel id → (status, code, message) every post there is answered with
        self.refuse: dict[str, tuple[int, int, str]] = {}
        #: how many of the next message posts get a 429 (with `Via`, as from Discord itself)
        self.rate_limit_next = 0
        #: the bot's requests (logins, messages, threads), and its global rate limit when one is set
        self.rate = RateWindow()
        #: channel id → the edits of messages there, in order (each message posted is changed too)
        self.edits: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: interaction id → the callback payloads it got (responses, deferrals, updates)
        self.callbacks: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: interaction token → follow-up messages and edits of the original response
        self.followups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: (application id, guild id or "") → the command definitions last registered
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.command_syncs = 0
        #: interaction token → the messages created by its response and follow-ups, as returned
        self.created: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        #: the gateway: the open WebSocket once a client identified, and the dispatch sequence number
        self.gateway: web.WebSocketResponse | None = None
        self.identified = asyncio.Event()
        self.identify: dict[str, Any] = {}
        #: every IDENTIFY payload, in order; the shards ([id, count]) identified on connections still open, and
        #: the most connections one shard ever had open at once (Discord would send each event to all of them)
        self.identifies: list[dict[str, Any]] = []
        self.open_shards: list[tuple[int, int]] = []
        self.most_per_shard: dict[tuple[int, int], int] = defaultdict(int)
        self._sequence = itertools.count(1)
        #: close codes to end the next gateway connections with, right after HELLO (4004: authentication failed)
        self.gateway_closes: list[int] = []
        #: how many of the next gateway connections are cut at once, before HELLO (a gateway that drops the bot)
        self.gateway_drops = 0
        self.gateway_connections = 0

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.url.replace('http', 'ws', 1)}/gateway"

    def routes(self) -> list[web.RouteDef]:
        base = "/api/v10"
        return [
            web.get(f"{base}/users/@me", self.me),
            web.get(f"{base}/oauth2/applications/@me", self.application),
            web.post(f"{base}/channels/{{channel}}/messages", self.post_message),
            web.patch(f"{base}/channels/{{channel}}/messages/{{message}}", self.edit_message),
            web.post(f"{base}/channels/{{channel}}/messages/{{message}}/threads", self.start_thread),
            web.post(f"{base}/interactions/{{id}}/{{token}}/callback", self.callback),
            web.post(f"{base}/webhooks/{{app}}/{{token}}", self.followup),
            web.patch(f"{base}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.followup),
            web.put(f"{base}/applications/{{app}}/commands", self.put_commands),
            web.put(f"{base}/applications/{{app}}/guilds/{{guild}}/commands", self.put_commands),
            web.get(f"{base}/gateway/bot", self.gateway_bot),
            web.get("/gateway", self.gateway_socket),
        ]

    async def gateway_bot(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def gateway_socket(self, request: web.Request) -> web.StreamResponse:
        """The gateway, as far as a bot without privileged intents needs it: HELLO, IDENTIFY → READY, heartbeats
        acknowledged. Frames are JSON text, which discord.py reads without decompressing."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.gateway_connections += 1
        if self.gateway_drops > 0:
            self.gateway_drops -= 1
            await socket.close(code=1011)
            return socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        if self.gateway_closes:
            await socket.close(code=self.gateway_closes.pop(0))
            return socket
        shard: tuple[int, int] | None = None
        try:
            async for message in socket:
                if message.type is not web.WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame["op"] == 1:  # heartbeat
                    await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif frame["op"] == 2:  # identify
                    shard = self._identified(frame["d"])
                    self.gateway = socket
                    await self.dispatch("READY", self._ready(shard))
                    self.identified.set()
        finally:
            if shard is not None:
                self.open_shards.remove(shard)
        return socket

    def _identified(self, payload: dict[str, Any]) -> tuple[int, int]:
        self.identify = payload
        self.identifies.append(payload)
        shard_id, count = payload.get("shard") or (0, 1)
        shard = (int(shard_id), int(count))
        self.open_shards.append(shard)
        self.most_per_shard[shard] = max(self.most_per_shard[shard], self.open_shards.count(shard))
        return shard

    def _ready(self, shard: tuple[int, int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": BOT_USER,
            "guilds": [],
            "session_id": f"session-{len(self.identifies)}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APPLICATION_ID, "flags": 0},
            "shard": list(shard),
        }

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (READY, INTERACTION_CREATE, …) to the identified client."""
        assert self.gateway is not None, "no client has identified"
        await self.gateway.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {TOKEN}"

    def _over_global_limit(self) -> web.StreamResponse | None:
        """Discord's answer to a bot past its global rate limit, when it is."""
        wait = self.rate.admit()
        if wait is None:
            return None
        return _json(
            {"message": "You are being rate limited.", "retry_after": wait, "global": True},
            status=429,
            headers={"Via": "1.1 google", "Retry-After": f"{wait:.3f}", "X-RateLimit-Global": "true"},
        )

    async def me(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        return self._over_global_limit() or _json(BOT_USER)

    async def application(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        return _json(
            {
                "id": APPLICATION_ID,
                "name": "paperboy",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": BOT_USER | {"id": "700000000000000001", "bot": False},
                "flags": 0,
            }
        )

    async def post_message(self, request: web.Request) -> web.StreamResponse:
        fault = await self.misbehave(request)
        if fault is not None:
            return fault
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        channel = request.match_info["channel"]
        if (limited := self._over_global_limit()) is not None:
            return limited
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
                status=429,
                headers={"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"},
            )
        if channel in self.refuse:
            return _error(*self.refuse[channel])
        payload = await request.json()
        problem = embed_problem(payload) or components_problem(payload)
        if problem:
            return _error(400, 50035, f"Invalid Form Body: {problem}")
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce") and (channel, str(nonce)) in self._nonces:
            return _json(self._nonces[(channel, str(nonce))])
        message = self._message(channel, payload)
        self.messages[channel].append(payload | {"id": message["id"]})
        if nonce is not None:
            self._nonces[(channel, str(nonce))] = message
        return _json(message)

    async def edit_message(self, request: web.Request) -> web.StreamResponse:
        """An edit of one of the bot's messages: the fields sent replace the message's."""
        await self.misbehave(request)
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        if (limited := self._over_global_limit()) is not None:
            return limited
        channel, message_id = request.match_info["channel"], request.match_info["message"]
        payload = await request.json()
        problem = embed_problem(payload) or components_problem(payload)
        if problem:
            return _error(400, 50035, f"Invalid Form Body: {problem}")
        found = next((m for m in self.messages.get(channel, []) if m["id"] == message_id), None)
        if found is None:
            return _error(404, 10008, "Unknown Message")
        found.update(payload)
        self.edits[channel].append(payload | {"id": message_id})
        return _json(self._message(channel, found) | {"id": message_id})

    async def start_thread(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        if (limited := self._over_global_limit()) is not None:
            return limited
        channel = request.match_info["channel"]
        payload = await request.json()
        thread = str(next(self._ids))
        return _json({"id": thread, "type": 11, "parent_id": channel, "name": payload.get("name", ""), "guild_id": "1"})

    async def callback(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        interaction = request.match_info["id"]
        payload = await request.json()
        self.callbacks[interaction].append(payload)
        data = payload.get("data") or {}
        message = self._message("0", data)
        self.created[request.match_info["token"]].append(message)
        return _json(
            {
                "interaction": {
                    "id": interaction,
                    "type": 2,
                    "response_message_id": message["id"],
                    "response_message_loading": payload.get("type") == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                },
                "resource": {"type": payload.get("type", 4), "message": message},
            }
        )

    async def followup(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        payload = await request.json()
        problem = embed_problem(payload)
        if problem:
            return _error(400, 50035, f"Invalid Form Body: {problem}")
        self.followups[request.match_info["token"]].append(payload)
        message = self._message("0", payload)
        self.created[request.match_info["token"]].append(message)
        return _json(message)

    async def put_commands(self, request: web.Request) -> web.StreamResponse:
        await self.misbehave(request)
        commands = await request.json()
        registered = [
            command | {"id": str(next(self._ids)), "application_id": request.match_info["app"], "version": "1"}
            for command in commands
        ]
        self.commands[(request.match_info["app"], request.match_info.get("guild", ""))] = registered
        self.command_syncs += 1
        return _json(registered)

    def returned(self, channel: str, posted: dict[str, Any]) -> dict[str, Any]:
        """A message posted to `channel` (as kept in `messages`) as Discord returns it, in an interaction say."""
        return self._message(channel, posted) | {"id": posted["id"]}

    def _message(self, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel,
            "author": BOT_USER,
            "content": payload.get("content", ""),
            "embeds": payload.get("embeds", []),
            "components": payload.get("components", []),
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "type": 0,
            "flags": payload.get("flags", 0),
            "timestamp": "2025-01-16T12:00:00.000000+00:00",
            "edited_timestamp": None,
        }


def embed_problem(payload: dict[str, Any]) -> str | None:
    """What in a message payload breaks one of Discord's limits, if anything."""
    if len(payload.get("content") or "") > LIMITS["content"]:
        return "content over 2000"
    embeds = payload.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        return "more than 10 embeds"
    total = 0
    for embed in embeds:
        parts = {
            "title": embed.get("title") or "",
            "description": embed.get("description") or "",
            "footer": (embed.get("footer") or {}).get("text") or "",
            "author": (embed.get("author") or {}).get("name") or "",
        }
        for name, text in parts.items():
            if len(text) > LIMITS[name]:
                return f"embed {name} over {LIMITS[name]}"
        fields = embed.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            return "more than 25 fields"
        for field in fields:
            if len(field.get("name", "")) > LIMITS["field_name"] or len(field.get("value", "")) > LIMITS["field_value"]:
                return "embed field over its limit"
            total += len(field.get("name", "")) + len(field.get("value", ""))
        total += sum(len(text) for text in parts.values())
    if total > LIMITS["total"]:
        return "embeds over 6000 characters together"
    return None


def components_problem(payload: dict[str, Any]) -> str | None:
    """What in a message's components breaks Discord's limits: 5 action rows of 5, custom_ids of 100 characters
    unique in the message, button labels of 80."""
    rows = payload.get("components") or []
    if len(rows) > 5:
        return "more than 5 action rows"
    ids: list[str] = []
    for row in rows:
        children = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(children) <= 5:
            return "an action row needs 1 to 5 components"
        for child in children:
            if len(child.get("custom_id", "")) > 100 or len(child.get("label", "")) > 80:
                return "a component's custom_id or label is too long"
            ids.append(child.get("custom_id", ""))
    if len(ids) != len(set(ids)):
        return "custom_ids repeat in one message"
    return None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.StreamResponse:
    """JSON with the bare `application/json` type: discord.py reads a body as JSON only with exactly that."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"} | (headers or {})
    )


def _error(status: int, code: int, message: str) -> web.StreamResponse:
    return _json({"code": code, "message": message}, status=status)


# --- interactions as the gateway delivers them (INTERACTION_CREATE), for dispatching through the command tree

GUILD_ID = "1000000000000000001"
CHANNEL_ID = "1100000000000000001"
USER = {"id": "1200000000000000001", "username": "ada", "discriminator": "0", "global_name": "Ada", "avatar": None}
MANAGE_CHANNELS = 1 << 4
#: what an ordinary member may do in a channel: view, send, embed, read history
MEMBER = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)
_interaction_ids = itertools.count(1_300_000_000_000_000_001)


def interaction(kind: int, data: dict[str, Any], *, guild: bool = True, permissions: int = MEMBER) -> dict[str, Any]:
    """An interaction payload: in a server channel by a member with `permissions`, or (`guild=False`) in a DM."""
    interaction_id = str(next(_interaction_ids))
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "data": data,
        "locale": "en-US",
        "attachment_size_limit": 8_000_000,
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID} if guild else {"1": USER["id"]},
        "app_permissions": str(MEMBER),
    }
    if guild:
        payload |= {
            "guild_id": GUILD_ID,
            "guild_locale": "en-US",
            "channel_id": CHANNEL_ID,
            "channel": {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "papers", "position": 0},
            "member": {
                "user": USER,
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            },
            "context": 0,
        }
    else:
        dm = "1100000000000000099"
        payload |= {"channel_id": dm, "channel": {"id": dm, "type": 1}, "user": USER, "context": 1}
    return payload


def _options(path: list[str], options: dict[str, Any], focused: str | None) -> list[dict[str, Any]]:
    leaf = [
        {"type": 4 if isinstance(value, int) else 3, "name": name, "value": value}
        | ({"focused": True} if name == focused else {})
        for name, value in options.items()
    ]
    for depth, name in reversed(list(enumerate(path))):
        leaf = [{"type": 1 if depth == len(path) - 1 else 2, "name": name, "options": leaf}]
    return leaf


def command(path: str, options: dict[str, Any] | None = None, **where: Any) -> dict[str, Any]:
    """`/papers <path> option:value…` (path like "search" or "filter set")."""
    data = {
        "id": "1400000000000000001",
        "name": "papers",
        "type": 1,
        "options": _options(path.split(), options or {}, None),
    }
    return interaction(2, data, **where)


def autocomplete(path: str, options: dict[str, Any], focused: str, **where: Any) -> dict[str, Any]:
    data = {
        "id": "1400000000000000001",
        "name": "papers",
        "type": 1,
        "options": _options(path.split(), options, focused),
    }
    return interaction(4, data, **where)


def button(custom_id: str, message: dict[str, Any], **where: Any) -> dict[str, Any]:
    """A press of the button `custom_id` on `message` (as the fake returned it)."""
    payload = interaction(3, {"custom_id": custom_id, "component_type": 2}, **where)
    return payload | {"message": message | {"channel_id": payload["channel_id"]}}
