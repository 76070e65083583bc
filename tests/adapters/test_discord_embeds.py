"""Papers as Discord embeds: digests, search pages and single papers within every limit, markdown escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from paperboy.adapters.discord_embeds import (
    DISCORD_EMBEDS_TOTAL,
    RatingButton,
    discord_messages,
    paper_message,
    rating_click,
    rating_rows,
    search_message,
)
from paperboy.digest import Digest, item
from paperboy.models import (
    MARK_END,
    MARK_START,
    ChannelRef,
    PartialMatch,
    Platform,
    Rating,
    SearchHit,
    SearchPage,
    Snippet,
    VoteCount,
)
from tests.fakes.corpus import corpus_papers
from tests.fakes.digests import digest, items
from tests.fakes.discord import components_problem, embed_problem


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


CORPUS = corpus_papers()


def within_limits(message: dict[str, Any]) -> None:
    assert embed_problem(message) is None, embed_problem(message)


@pytest.mark.parametrize("size", [10, 25, 100])
def test_corpus_digests_stay_within_every_limit(size: int) -> None:
    papers = (CORPUS * 2)[:size]
    digest_ = Digest(
        ChannelRef(Platform.DISCORD, "1"), date(2025, 1, 16), tuple(item(p, ('"x" in the title',)) for p in papers), 7
    )
    messages = discord_messages(digest_)
    for message in messages:
        within_limits(message)
    assert sum(len(m["embeds"]) for m in messages) == size, "every paper is in some message"


def test_every_corpus_paper_renders_as_a_search_page_and_alone_within_limits() -> None:
    for start in range(0, len(CORPUS), 5):
        papers = CORPUS[start : start + 5]
        hits = tuple(
            SearchHit(p, 1.0, Snippet(f"{MARK_START}{p.abstract[:400]}{MARK_END} {p.abstract}")) for p in papers
        )
        page = search_message(SearchPage(hits, start, True), "query")
        within_limits(page)
        assert len(page["embeds"]) == len(papers)
        for paper in papers:
            within_limits(paper_message(paper))


def test_a_cut_through_a_marked_word_closes_the_bold() -> None:
    paper = CORPUS[0]
    hit = SearchHit(paper, 1.0, Snippet(f"{MARK_START}{'word ' * 400}{MARK_END}"))
    description = search_message(SearchPage((hit,), 0, False), "q")["embeds"][0]["description"]
    assert description.split("\n")[0].count("**") % 2 == 0


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    long = replace(CORPUS[0], title="word " * 100, abstract="sentence " * 1000)
    [embed] = paper_message(long)["embeds"]
    assert embed["title"].endswith("word…")
    assert embed["description"].split("\n")[0].endswith("sentence…")


@pytest.mark.parametrize("mark", ["*", "_", "~", "`", "|"])
def test_markdown_characters_in_titles_show_as_written(mark: str) -> None:
    paper = replace(CORPUS[0], title=f"{mark}{mark}bold{mark}{mark} and a{mark}b")
    digest_ = Digest(ChannelRef(Platform.DISCORD, "1"), date(2025, 1, 16), (item(paper),))
    title = discord_messages(digest_)[0]["embeds"][0]["title"]
    assert f"{mark}{mark}bold" not in title
    assert title.replace("\\", "") == paper.title


def test_a_title_cannot_ping_anyone() -> None:
    paper = replace(CORPUS[0], title="Attention @everyone is all you need")
    digest_ = Digest(ChannelRef(Platform.DISCORD, "1"), date(2025, 1, 16), (item(paper),))
    message = discord_messages(digest_)[0]
    assert "@everyone" not in message["embeds"][0]["title"]
    assert message["allowed_mentions"] == {"parse": []}


DISCORD_BOT = ChannelRef(Platform.DISCORD, "1100000000000000001", "1000000000000000001")


def test_a_webhook_digest_has_no_rating_buttons_nor_numbers() -> None:
    messages = discord_messages(digest("https://discord.com/api/webhooks/1/x", n=3))
    assert all("components" not in m for m in messages)
    assert not messages[0]["embeds"][0]["title"].startswith("1 · ")


def test_a_rated_digest_of_fifty_papers_stays_within_discords_message_limits() -> None:
    messages = discord_messages(digest("x", n=50, ref=DISCORD_BOT), rating=True)
    for message in messages:
        assert embed_problem(dict(message)) is None
        assert components_problem(dict(message)) is None
        buttons = [c for row in message["components"] for c in row["components"]]
        assert len(buttons) == 2 * len(message["embeds"])
    numbers = [int(e["title"].split(" · ")[0]) for m in messages for e in m["embeds"]]
    assert numbers == list(range(1, 51))


def test_a_rating_buttons_custom_id_names_channel_paper_number_and_rating() -> None:
    [message] = discord_messages(digest("x", n=1, ref=DISCORD_BOT), rating=True)
    up, down = message["components"][0]["components"]
    assert (up["label"], down["label"]) == ("1 👍", "1 👎")
    assert rating_click(up["custom_id"]) == (RatingButton(DISCORD_BOT, "2501.00001", 1), Rating.UP)
    assert rating_click(down["custom_id"]) == (RatingButton(DISCORD_BOT, "2501.00001", 1), Rating.DOWN)
    assert rating_click("pbr:nonsense") is None


def test_counts_show_on_the_rating_buttons() -> None:
    rows = rating_rows([RatingButton(DISCORD_BOT, "2501.00001", 7)], {"2501.00001": VoteCount(up=2, down=1)})
    assert [c["label"] for c in rows[0]["components"]] == ["7 👍 2", "7 👎 1"]


def test_each_partial_match_says_so_and_the_page_says_where_they_start() -> None:
    hits = (SearchHit(CORPUS[0], 1.0), SearchHit(CORPUS[1], 0.5, partial=PartialMatch(2, 3)))
    message = search_message(SearchPage(hits, 10, False), "a b c")
    assert message["content"].splitlines()[1:] == ["Partial matches (2 of 3 words) from 12"]
    footers = [embed["footer"]["text"] for embed in message["embeds"]]
    assert not footers[0].startswith("partial match")
    assert footers[1].startswith("partial match: 2 of 3 words · ")
    within_limits(message)
