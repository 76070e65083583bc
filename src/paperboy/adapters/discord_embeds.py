"""A digest as Discord messages with embeds, within Discord's limits (used by webhooks and, later, the bot)."""

from __future__ import annotations

from typing import Any

from paperboy.adapters.text import cut as _cut
from paperboy.digest import Digest, DigestItem

# Discord: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
DISCORD_CONTENT = 2000
DISCORD_EMBEDS = 10
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096
DISCORD_EMBED_FOOTER = 2048
DISCORD_EMBEDS_TOTAL = 6000


def discord_messages(digest: Digest) -> list[dict[str, Any]]:
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
