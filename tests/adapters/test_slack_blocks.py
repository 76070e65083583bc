"""Digests as Slack Block Kit messages within Slack's limits."""

from __future__ import annotations

from paperboy.adapters.slack_blocks import SLACK_BLOCKS, slack_messages
from tests.fakes.digests import digest


def test_slack_splits_at_fifty_blocks() -> None:
    payloads = slack_messages(digest("https://hooks.slack.com/services/T/B/x", n=40))
    assert all(len(p["blocks"]) <= SLACK_BLOCKS for p in payloads)
    assert sum(len(p["blocks"]) for p in payloads) == 1 + 40 * 2
