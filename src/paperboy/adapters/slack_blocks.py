"""A digest as Slack Block Kit messages, within Slack's limits (used by webhooks and the Slack bot)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from paperboy.adapters.text import cut as _cut
from paperboy.digest import Digest, DigestItem

# Slack Block Kit
SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_HEADER_TEXT = 150


def slack_messages(digest: Digest) -> list[dict[str, Any]]:
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
