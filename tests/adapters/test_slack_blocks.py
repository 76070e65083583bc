"""Digests as Slack Block Kit messages within Slack's limits."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from paperboy.adapters.slack_blocks import (
    RATE_DOWN,
    RATE_UP,
    SLACK_BLOCKS,
    SLACK_HEADER_TEXT,
    SLACK_SECTION_TEXT,
    escape,
    paper_blocks,
    rated,
    rated_papers,
    search_blocks,
    slack_messages,
    with_counts,
)
from paperboy.digest import Digest, item
from paperboy.models import ChannelRef, PartialMatch, Platform, SearchHit, SearchPage, Snippet, VoteCount
from tests.fakes.corpus import corpus_papers
from tests.fakes.digests import digest


def test_slack_splits_at_fifty_blocks() -> None:
    payloads = slack_messages(digest("https://hooks.slack.com/services/T/B/x", n=40))
    assert all(len(p["blocks"]) <= SLACK_BLOCKS for p in payloads)
    assert sum(len(p["blocks"]) for p in payloads) == 1 + 40 * 2


CORPUS = corpus_papers()


def within_limits(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= SLACK_BLOCKS
    for block in blocks:
        texts = [block["text"]["text"]] if "text" in block else [e["text"] for e in block.get("elements", [])]
        limit = SLACK_HEADER_TEXT if block["type"] == "header" else SLACK_SECTION_TEXT
        assert all(len(text) <= limit for text in texts)


@pytest.mark.parametrize("size", [10, 25, 100])
def test_corpus_digests_stay_within_every_limit(size: int) -> None:
    papers = (CORPUS * 2)[:size]
    digest_ = Digest(
        ChannelRef(Platform.SLACK, "C1"),
        date(2025, 1, 16),
        tuple(item(p, ('"x" in the title',)) for p in papers),
        7,
        "x",
    )
    messages = slack_messages(digest_)
    for message in messages:
        within_limits(message)
    shown = [b for m in messages for b in m["blocks"] if b["type"] == "section"]
    assert len(shown) == size, "every paper is in some message"


def test_every_corpus_paper_renders_as_a_search_result_within_limits() -> None:
    for start in range(0, len(CORPUS), 10):
        hits = tuple(SearchHit(p, 1.0, Snippet(p.abstract[:300])) for p in CORPUS[start : start + 10])
        within_limits({"blocks": search_blocks(SearchPage(hits, 0, False), "query")})
        for paper in CORPUS[start : start + 10]:
            within_limits({"blocks": paper_blocks(paper)})


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    long = replace(CORPUS[0], title="word " * 100, abstract="sentence " * 1000)
    [header, section, _] = paper_blocks(long)
    assert header["text"]["text"].endswith("word…")
    assert section["text"]["text"].endswith("sentence…")


@pytest.mark.parametrize("mark", ["*", "_", "~", "`"])
def test_formatting_characters_in_titles_show_as_written(mark: str) -> None:
    paper = replace(CORPUS[0], title=f"{mark}bold{mark} and a{mark}b")
    text = slack_messages(Digest(ChannelRef(Platform.SLACK, "C1"), date(2025, 1, 16), (item(paper),)))[0]["blocks"][1][
        "text"
    ]["text"]
    assert f"{mark}bold{mark}" not in text
    assert text.replace("\u200b", "").count(f"{mark}bold{mark}") == 1


def test_entities_are_escaped() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_rendering_blocks_loads_no_platform_sdk() -> None:
    # the blocks are typed by TypedDicts of paperboy's own: rendering a digest for a webhook needs no Slack SDK
    script = (
        "import sys, paperboy.adapters.slack_blocks\n"
        "print(sorted({'slack_sdk', 'slack_bolt', 'discord'} & set(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


SLACK_BOT = ChannelRef(Platform.SLACK, "C0123", "T0456")


def test_a_webhook_digest_has_no_rating_buttons() -> None:
    payloads = slack_messages(digest("https://hooks.slack.com/services/T/B/x", n=3))
    assert not [b for p in payloads for b in p["blocks"] if b["type"] == "actions"]


def test_a_bot_digest_has_thumbs_under_each_paper_naming_channel_and_paper() -> None:
    [message] = slack_messages(digest("C0123", n=3, ref=SLACK_BOT), rating=True)
    rows = [b for b in message["blocks"] if b["type"] == "actions"]
    assert len(rows) == 3
    buttons = [e for row in rows for e in row["elements"]]
    assert [b["action_id"] for b in buttons[:2]] == [RATE_UP, RATE_DOWN]
    assert [b["text"]["text"] for b in buttons[:2]] == ["👍", "👎"]
    assert rated(buttons[0]["value"]) == (SLACK_BOT, "2501.00001")
    assert all(len(b["value"]) <= 2000 for b in buttons)


def test_a_rated_digest_of_fifty_papers_keeps_each_paper_with_its_buttons_within_fifty_blocks() -> None:
    payloads = slack_messages(digest("C0123", n=50, left_out=3, ref=SLACK_BOT), rating=True)
    assert all(len(p["blocks"]) <= SLACK_BLOCKS for p in payloads)
    for payload in payloads:
        kinds = [b["type"] for b in payload["blocks"] if b["type"] != "header"]
        if kinds[-1] == "context" and len(kinds) % 3 == 1:  # the "and N more" line closes the last message
            kinds = kinds[:-1]
        assert kinds == ["section", "context", "actions"] * (len(kinds) // 3)
    assert sum(1 for p in payloads for b in p["blocks"] if b["type"] == "actions") == 50


def test_counts_show_on_the_buttons_of_the_blocks_slack_hands_back() -> None:
    [message] = slack_messages(digest("C0123", n=2, ref=SLACK_BOT), rating=True)
    blocks = [dict(b) for b in message["blocks"]]
    assert rated_papers(blocks) == ["2501.00001", "2501.00002"]
    shown = with_counts(blocks, {"2501.00002": VoteCount(up=3, down=1)})
    labels = [e["text"]["text"] for b in shown if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["👍", "👎", "👍 3", "👎 1"]


def test_partial_matches_start_under_a_divider_saying_how_many_words_they_hold() -> None:
    two, one = PartialMatch(2, 3), PartialMatch(1, 3)
    hits = (SearchHit(CORPUS[0], 1.0), SearchHit(CORPUS[1], 0.5, partial=two), SearchHit(CORPUS[2], 0.4, partial=one))
    blocks = search_blocks(SearchPage(hits, 0, False), "a b c")
    shown = [b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in blocks]
    dividers = [i for i, text in enumerate(shown) if text.startswith("*Partial matches")]
    assert [shown[i] for i in dividers] == ["*Partial matches (2 of 3 words)*", "*Partial matches (1 of 3 words)*"]
    assert CORPUS[1].url in shown[dividers[0] + 1] and CORPUS[2].url in shown[dividers[1] + 1]


def test_a_page_of_partial_matches_only_opens_with_their_divider() -> None:
    hits = (
        SearchHit(CORPUS[1], 0.5, partial=PartialMatch(2, 3)),
        SearchHit(CORPUS[2], 0.4, partial=PartialMatch(2, 3)),
    )
    blocks = search_blocks(SearchPage(hits, 5, False), "a b c")
    texts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert texts[1] == "*Partial matches (2 of 3 words)*"
    assert sum(text.startswith("*Partial") for text in texts) == 1
