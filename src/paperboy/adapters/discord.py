"""The Discord bot's side of digests: embeds posted with discord.py's REST client (its rate-limit handling
included), one message per part. Every request passes one pace (`discord.requests_per_second`, the bot's
global rate limit), shared with the other paperboy processes on the same database (`paperboy.pace`).

Each part carries a message `nonce` made from (digest, part) with `enforce_nonce`: a part tried again after a
lost answer or a crash returns the message Discord already holds instead of posting it twice. Discord keeps
nonces for a few minutes only; a digest resent later than that goes out again marked "(resent)". discord.py
itself tries again after a 429 or a 5xx; a 400 (50035 Invalid Form Body) or a 413 is a message paperboy built
wrong (`PayloadRejected`), never blamed on the channel.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route

from paperboy.adapters.discord_embeds import DiscordMessage, discord_messages
from paperboy.adapters.text import cut
from paperboy.digest import Digest
from paperboy.errors import ChannelUnavailable, DeliveryError, PayloadRejected
from paperboy.pace import Pace

log = logging.getLogger(__name__)

#: Discord's error codes that will not get better by trying again, and what they mean for the channel's people
_GONE = {
    10003: "the channel no longer exists",
    50001: "paperboy cannot see the channel (Missing Access); give its role View Channel there",
    50013: "paperboy lacks a permission in the channel (Missing Permissions): Send Messages and Embed Links",
}
#: answers that call the message paperboy built malformed (50035 Invalid Form Body) or too large
_REJECTED = {400: "called the message malformed", 413: "called the message too large"}
THREAD_NAME = 100


def point_at(api_base_url: str, gateway_url: str | None = None) -> None:
    """Send discord.py's REST requests to `api_base_url` and its gateway connection to `gateway_url` (Discord
    itself, a proxy, or a test server). discord.py keeps both on classes, so this holds for the whole process."""
    Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def nonce(digest: Digest, part: int) -> str:
    """The part's nonce: the same for every try of that part, and at most 25 characters as Discord wants."""
    return f"pb{digest.id}.{part}"


class DiscordSink:
    def __init__(
        self, http: HTTPClient, token: str, *, continue_in_thread: bool = False, pace: Pace | None = None
    ) -> None:
        self._http = http
        self._token = token
        self._in_thread = continue_in_thread
        self._pace = pace
        self._login = asyncio.Lock()
        self._logged_in = False

    async def send(self, digest: Digest) -> tuple[str, ...]:
        await self._log_in()
        messages = discord_messages(digest, rating=True)  # the bot's digests can be rated: the bot hears clicks
        target = digest.ref.channel
        ids: list[str] = []
        for part, payload in enumerate(messages):
            body = payload | ({"nonce": nonce(digest, part), "enforce_nonce": True} if digest.id else {})
            ids.append(await self._post(target, body, digest))
            if part == 0 and self._in_thread and len(messages) > 1:
                target = await self._thread(target, ids[0], digest)
        return tuple(ids)

    async def close(self) -> None:
        await self._http.close()

    async def _paced(self) -> None:
        """Wait for this process's turn to make a request to Discord's API."""
        if self._pace is not None:
            await self._pace.wait()

    async def _log_in(self) -> None:
        async with self._login:
            if self._logged_in:
                return
            try:
                await self._paced()
                await self._http.static_login(self._token)
            except discord.LoginFailure:
                raise DeliveryError("Discord does not accept discord.token; copy the bot token again") from None
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
                raise DeliveryError(f"cannot reach Discord ({type(error).__name__})") from None
            self._logged_in = True

    async def _post(self, channel: str, payload: DiscordMessage, digest: Digest) -> str:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
        try:
            await self._paced()
            message = await self._http.request(route, json=payload)
        except (discord.Forbidden, discord.NotFound) as error:
            why = _GONE.get(error.code, f"Discord refused ({error.status} {error.text})")
            raise ChannelUnavailable(f"Discord refused the digest for {digest.ref}: {why}") from None
        except discord.DiscordServerError as error:
            # discord.py has tried again already; the nonce makes the next run's try safe
            raise DeliveryError(f"Discord failed ({error.status})", maybe_sent=True) from None
        except discord.HTTPException as error:
            if error.status in _REJECTED:
                raise _rejected(error, digest) from None
            raise DeliveryError(f"Discord refused the digest for {digest.ref} ({error.status} {error.text})") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"Discord did not answer ({type(error).__name__})", maybe_sent=True) from None
        return str(message["id"])

    async def _thread(self, channel: str, message_id: str, digest: Digest) -> str:
        """A thread under the digest's first message for the rest of it; the channel itself if that fails."""
        route = Route(
            "POST", "/channels/{channel_id}/messages/{message_id}/threads", channel_id=channel, message_id=message_id
        )
        try:
            await self._paced()
            thread = await self._http.request(route, json={"name": cut(digest.title, THREAD_NAME)})
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning(
                "cannot start a thread for %s's digest (%s); posting the rest in the channel", digest.ref, error
            )
            return channel
        return str(thread["id"])


def _rejected(error: discord.HTTPException, digest: Digest) -> PayloadRejected:
    """Paperboy's own bug: Discord's words go to the log, and the channel is not blamed."""
    log.error("Discord %s for %s: %s (code %s)", _REJECTED[error.status], digest.ref, error.text[:500], error.code)
    return PayloadRejected(
        f"Discord {_REJECTED[error.status]} for {digest.ref} ({error.status}: {error.text[:200]}); this is a bug in "
        "paperboy, not a problem with the channel, and the details are in paperboy's log"
    )
