"""Digests as Discord messages: embeds within Discord's limits."""

from __future__ import annotations

from datetime import date

from paperboy.adapters.discord_embeds import DISCORD_EMBEDS_TOTAL, discord_messages
from paperboy.digest import Digest
from paperboy.models import ChannelRef, Platform
from tests.fakes.digests import digest, items


def test_discord_splits_at_ten_embeds() -> None:
    payloads = discord_messages(digest("https://discord.com/api/webhooks/1/x", n=25))
    assert [len(p["embeds"]) for p in payloads] == [10, 10, 5]
    assert "content" in payloads[0] and "content" not in payloads[1]


def test_discord_splits_at_six_thousand_embed_characters() -> None:
    long = Digest(ChannelRef(Platform.WEBHOOK, "u"), date(2025, 1, 16), items(8, summary="x" * 1400))
    payloads = discord_messages(long)
    assert len(payloads) > 1
    for payload in payloads:
        total = sum(len(e["title"]) + len(e["description"]) + len(e["footer"]["text"]) for e in payload["embeds"])
        assert total <= DISCORD_EMBEDS_TOTAL


def test_an_empty_digest_is_one_message() -> None:
    empty = Digest(ChannelRef(Platform.WEBHOOK, "u"), date(2025, 1, 17), ())
    assert discord_messages(empty) == [
        {"embeds": [], "content": "Papers for Fri 17 Jan 2025: nothing new", "allowed_mentions": {"parse": []}}
    ]
