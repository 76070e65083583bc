"""Incoming webhooks: digests posted to a Discord or Slack channel with no bot installed.

The subscription's channel is the webhook URL; its path says which platform it is (`/api/webhooks/…` is
Discord, `/services/…` is Slack). A digest becomes Discord embeds or Slack Block Kit blocks, split into as
many messages as the platform's limits demand. Every request, to every webhook, passes one rate limiter
(`delivery.webhook_requests_per_second`), and a 429 is waited out as the platform asks.

Webhooks cannot make a retry idempotent: Discord's webhook endpoint takes no nonce, and a Slack webhook
answers only "ok". So a request whose answer was lost counts as maybe sent, and the ledger marks the
digest's next attempt "(resent)".

The URL holds the webhook's secret token: it is never logged or shown, only its host.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiolimiter import AsyncLimiter

from paperboy.config import DeliverySettings
from paperboy.digest import Digest, DigestItem
from paperboy.errors import ChannelUnavailable, DeliveryError

log = logging.getLogger(__name__)

# Discord: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
DISCORD_CONTENT = 2000
DISCORD_EMBEDS = 10
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096
DISCORD_EMBED_FOOTER = 2048
DISCORD_EMBEDS_TOTAL = 6000
# Slack Block Kit
SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_HEADER_TEXT = 150

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
        payloads = discord_payloads(digest) if kind == "discord" else slack_payloads(digest)
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


# --- Discord ---------------------------------------------------------------------------------------------


def discord_payloads(digest: Digest) -> list[dict[str, Any]]:
    """One message per at most 10 embeds and 6,000 embed characters; the title first, "and N more" last."""
    messages: list[dict[str, Any]] = []
    embeds: list[dict[str, Any]] = []
    size = 0
    for item in digest.items:
        embed = _discord_embed(item)
        length = _embed_length(embed)
        if embeds and (len(embeds) == DISCORD_EMBEDS or size + length > DISCORD_EMBEDS_TOTAL):
            messages.append({"embeds": embeds})
            embeds, size = [], 0
        embeds.append(embed)
        size += length
    if embeds or not messages:
        messages.append({"embeds": embeds})
    messages[0]["content"] = _cut(digest.title, DISCORD_CONTENT)
    if digest.more:
        last = messages[-1]
        last["content"] = _cut(
            f"{last['content']}\n{digest.more}" if "content" in last else digest.more, DISCORD_CONTENT
        )
    for message in messages:
        message["allowed_mentions"] = {"parse": []}  # a title that says @everyone pings nobody
    return messages


def _discord_embed(item: DigestItem) -> dict[str, Any]:
    links = [f"[Hugging Face]({item.url})", f"[arXiv]({item.arxiv_url})", f"[PDF]({item.pdf_url})"]
    if item.code_url:
        links.append(f"[code]({item.code_url})")
    lines = [item.summary, " · ".join(links)]
    if item.reasons:
        lines.append(f"matched: {'; '.join(item.reasons)}")
    return {
        "title": _cut(item.title, DISCORD_EMBED_TITLE),
        "url": item.url,
        "description": _cut("\n".join(line for line in lines if line), DISCORD_EMBED_DESCRIPTION),
        "footer": {"text": _cut(f"{item.authors} · ▲ {item.upvotes}", DISCORD_EMBED_FOOTER)},
    }


def _embed_length(embed: dict[str, Any]) -> int:
    return len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])


# --- Slack -----------------------------------------------------------------------------------------------


def slack_payloads(digest: Digest) -> list[dict[str, Any]]:
    """Block Kit messages of at most 50 blocks: a header, a section (and a context line) per paper."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(digest.title, SLACK_HEADER_TEXT)}}
    ]
    for item in digest.items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(item)}})
        if item.reasons:
            context = _cut(f"matched: {'; '.join(_escape(r) for r in item.reasons)}", SLACK_SECTION_TEXT)
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    if digest.more:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(digest.more)}]})
    return [{"text": _cut(digest.title, SLACK_SECTION_TEXT), "blocks": chunk} for chunk in _chunks(blocks)]


def _slack_item(item: DigestItem) -> str:
    links = [f"<{item.arxiv_url}|arXiv>", f"<{item.pdf_url}|PDF>"] + (
        [f"<{item.code_url}|code>"] if item.code_url else []
    )
    text = (
        f"*<{item.url}|{_escape(item.title)}>*\n{_escape(item.authors)} · ▲ {item.upvotes}\n"
        f"{_escape(item.summary)}\n{' · '.join(links)}"
    )
    return _cut(text, SLACK_SECTION_TEXT)


def _chunks(blocks: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(blocks), SLACK_BLOCKS):
        yield blocks[start : start + SLACK_BLOCKS]


def _escape(text: str) -> str:
    """Slack mrkdwn reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
