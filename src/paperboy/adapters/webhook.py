"""Incoming webhooks: digests posted to a Discord or Slack channel with no bot installed.

The subscription's channel is the webhook URL; its path says which platform it is (`/api/webhooks/…` is
Discord, `/services/…` is Slack). A digest becomes Discord embeds (`discord_embeds.py`) or Slack Block Kit
(`slack_blocks.py`), split into as many messages as the platform's limits demand. Every request, to every
webhook, passes one rate limiter (`delivery.webhook_requests_per_second`), and a 429 is waited out as the
platform asks.

Webhooks cannot make a retry idempotent: Discord's webhook endpoint takes no nonce, and a Slack webhook
answers only "ok". So a request whose answer was lost counts as maybe sent, and the ledger marks the
digest's next attempt "(resent)".

The URL holds the webhook's secret token: it is never logged or shown, only its host.
"""

from __future__ import annotations

import asyncio
import logging
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiolimiter import AsyncLimiter

from paperboy.adapters.discord_embeds import discord_messages
from paperboy.adapters.slack_blocks import slack_messages
from paperboy.config import DeliverySettings
from paperboy.digest import Digest
from paperboy.errors import ChannelUnavailable, DeliveryError

log = logging.getLogger(__name__)


#: refusals that will not get better by trying again: the webhook was deleted, or never was one
_GONE = {400: "refused the message", 401: "refused the token", 403: "is forbidden", 404: "no longer exists",
         410: "was removed"}  # fmt: skip
_MAX_RETRY_AFTER = 60.0


def webhook_kind(url: str) -> str:
    """`discord` or `slack`, from the URL's path; ValueError for anything else."""
    path = urlsplit(url).path
    if path.startswith("/api/webhooks/"):
        return "discord"
    if path.startswith("/services/"):
        return "slack"
    raise ValueError("not a Discord (…/api/webhooks/…) or Slack (…/services/…) incoming-webhook URL")


class WebhookSink:
    def __init__(self, client: httpx.AsyncClient, settings: DeliverySettings) -> None:
        self._client = client
        self._settings = settings
        # capacity 1: requests evenly spaced, never a burst above the rate
        self._limiter = AsyncLimiter(1, 1 / settings.webhook_requests_per_second)
        self._ids = count(1)

    async def send(self, digest: Digest) -> tuple[str, ...]:
        url = digest.ref.channel
        where = digest.ref.shown_channel
        try:
            kind = webhook_kind(url)
        except ValueError as error:
            raise ChannelUnavailable(f"{where} is {error}; subscribe the channel again with its webhook URL") from None
        payloads = discord_messages(digest) if kind == "discord" else slack_messages(digest)
        sent: list[str] = []
        for payload in payloads:
            sent.append(await self._post(url, where, kind, payload, some_sent=bool(sent)))
        return tuple(sent)

    async def _post(self, url: str, where: str, kind: str, payload: dict[str, Any], *, some_sent: bool) -> str:
        params = {"wait": "true"} if kind == "discord" else None
        timeout = self._settings.webhook_timeout.total_seconds()
        problem = ""
        for attempt in range(1, self._settings.attempts + 1):
            async with self._limiter:
                try:
                    response = await self._client.post(url, json=payload, params=params, timeout=timeout)
                except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                    problem = f"cannot connect ({type(error).__name__})"
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                except httpx.TransportError as error:
                    # the request may have arrived; only its answer is lost
                    raise DeliveryError(
                        f"the webhook at {where} did not answer ({type(error).__name__})", maybe_sent=True
                    ) from None
            if response.status_code == 429:
                wait = _retry_after(response)
                log.warning("webhook at %s is rate limited; waiting %.1fs", where, wait)
                await asyncio.sleep(wait)
                problem = "rate limited"
                continue
            if response.status_code in _GONE:
                raise ChannelUnavailable(
                    f"the webhook at {where} {_GONE[response.status_code]} ({response.status_code}); "
                    "subscribe the channel again with a new webhook URL"
                )
            if response.status_code >= 500:
                problem = f"answered {response.status_code}"
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.is_success:
                return _message_id(response, kind, next(self._ids))
            problem = f"answered {response.status_code}"
        raise DeliveryError(
            f"the webhook at {where} {problem} on all {self._settings.attempts} tries; the next run tries again",
            maybe_sent=some_sent,
        )

    def _backoff(self, attempt: int) -> float:
        return float(self._settings.backoff.total_seconds() * 2.0 ** (attempt - 1))


def _retry_after(response: httpx.Response) -> float:
    value: object = response.headers.get("Retry-After")
    if value is None:
        try:
            value = response.json().get("retry_after")
        except (ValueError, AttributeError):
            value = None
    try:
        return min(max(float(str(value)), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return 1.0


def _message_id(response: httpx.Response, kind: str, n: int) -> str:
    if kind == "discord":
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            pass
    return f"{kind}-webhook-{n}"
