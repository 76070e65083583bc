"""Digests as webhook payloads: Discord embeds and Slack blocks, split where the platforms' limits say."""

from __future__ import annotations

from datetime import date

import pytest

from paperboy.adapters.webhook import DISCORD_EMBEDS_TOTAL, SLACK_BLOCKS, discord_payloads, slack_payloads, webhook_kind
from paperboy.digest import Digest
from paperboy.models import ChannelRef, Platform
from tests.fakes.digests import digest, items


def test_the_url_says_which_platform() -> None:
    assert webhook_kind("https://discord.com/api/webhooks/1/abc") == "discord"
    assert webhook_kind("https://hooks.slack.com/services/T/B/x") == "slack"
    with pytest.raises(ValueError, match="not a Discord"):
        webhook_kind("https://example.com/hook")


def test_discord_splits_at_ten_embeds() -> None:
    payloads = discord_payloads(digest("https://discord.com/api/webhooks/1/x", n=25))
    assert [len(p["embeds"]) for p in payloads] == [10, 10, 5]
    assert "content" in payloads[0] and "content" not in payloads[1]


def test_discord_splits_at_six_thousand_embed_characters() -> None:
    long = Digest(ChannelRef(Platform.WEBHOOK, "u"), date(2025, 1, 16), items(8, summary="x" * 1400))
    payloads = discord_payloads(long)
    assert len(payloads) > 1
    for payload in payloads:
        total = sum(len(e["title"]) + len(e["description"]) + len(e["footer"]["text"]) for e in payload["embeds"])
        assert total <= DISCORD_EMBEDS_TOTAL


def test_slack_splits_at_fifty_blocks() -> None:
    payloads = slack_payloads(digest("https://hooks.slack.com/services/T/B/x", n=40))
    assert all(len(p["blocks"]) <= SLACK_BLOCKS for p in payloads)
    assert sum(len(p["blocks"]) for p in payloads) == 1 + 40 * 2


def test_an_empty_digest_is_one_message() -> None:
    empty = Digest(ChannelRef(Platform.WEBHOOK, "u"), date(2025, 1, 17), ())
    assert discord_payloads(empty) == [
        {"embeds": [], "content": "Papers for Fri 17 Jan 2025: nothing new", "allowed_mentions": {"parse": []}}
    ]
