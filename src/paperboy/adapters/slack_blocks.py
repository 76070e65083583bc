"""A digest as Slack Block Kit messages, within Slack's limits (used by webhooks and the Slack bot).

Blocks are dict literals typed by the TypedDicts of `block_kit.py`, so mypy checks each one while the JSON
sent is exactly what is written here (slack_sdk's block classes would reorder it; see there).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from paperboy.adapters.block_kit import Block, Button, SlackMessage
from paperboy.adapters.text import cut as _cut
from paperboy.bylines import short_authors
from paperboy.digest import Digest, DigestItem
from paperboy.links import SIMILAR, Link, paper_links, similar_command
from paperboy.models import ChannelRef, Paper, Platform, Rating, SearchPage, Sort, VoteCount

# Slack Block Kit
SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_HEADER_TEXT = 150
# private markers for matched words, swapped for mrkdwn bold after escaping
MARK_OPEN, MARK_CLOSE = "\x0e", "\x0f"


def slack_messages(digest: Digest, *, rating: bool = False) -> list[SlackMessage]:
    """Block Kit messages of at most 50 blocks: a header, a section (and a context line) per paper. With `rating`
    (the bot's digests: a webhook's message cannot be clicked back to paperboy), each paper also gets a row of
    👍 / 👎 buttons, and a message is cut between papers, never inside one."""
    header: Block = {"type": "header", "text": {"type": "plain_text", "text": _cut(digest.title, SLACK_HEADER_TEXT)}}
    groups: list[list[Block]] = [[header]]
    for item in digest.items:
        group: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(item)}}]
        if item.reasons:
            context = _cut(f"matched: {'; '.join(escape(r) for r in item.reasons)}", SLACK_SECTION_TEXT)
            group.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
        if rating:
            group.append(rating_block(digest.ref, item.paper_id, VoteCount()))
        groups.append(group)
    if digest.more:
        groups.append([{"type": "context", "elements": [{"type": "mrkdwn", "text": escape(digest.more)}]}])
    blocks = [block for group in groups for block in group]
    # without buttons the cut stays where it always was (a webhook's messages are as before)
    chunks = _packed(groups) if rating else _chunks(blocks)
    return [{"text": _cut(digest.title, SLACK_SECTION_TEXT), "blocks": chunk} for chunk in chunks]


def _slack_item(item: DigestItem) -> str:
    text = (
        f"*<{item.url}|{escape(item.title)}>*\n{escape(item.authors)} · ▲ {item.upvotes}\n"
        f"{escape(item.summary)}\n{_links(paper_links(item))} · {SIMILAR}: {code(similar_command(item.paper_id))}"
    )
    return _cut(text, SLACK_SECTION_TEXT)


def _links(links: tuple[Link, ...]) -> str:
    return " · ".join(f"<{link.url}|{link.label}>" for link in links)


def _chunks(blocks: list[Block]) -> Iterator[list[Block]]:
    for start in range(0, len(blocks), SLACK_BLOCKS):
        yield blocks[start : start + SLACK_BLOCKS]


def _packed(groups: list[list[Block]]) -> Iterator[list[Block]]:
    """Groups of blocks (a paper with its buttons) packed into messages of at most 50 blocks, a group never cut:
    a paper's buttons stay under it."""
    chunk: list[Block] = []
    for group in groups:
        if chunk and len(chunk) + len(group) > SLACK_BLOCKS:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk:
        yield chunk


# Rating from the digest. Buttons rather than an overflow menu: the group's counts show on them without a click,
# and one click votes (an overflow hides both behind a menu). They take an actions block per paper, so a digest
# with buttons is cut between papers (`_packed`): 16 papers of 3 blocks per message at most.
#: action ids of the 👍 and 👎 buttons under each paper of a bot digest
RATE_UP, RATE_DOWN = "papers_rate_up", "papers_rate_down"
RATE_ACTIONS = {RATE_UP: Rating.UP, RATE_DOWN: Rating.DOWN}
_THUMBS = {Rating.UP: "👍", Rating.DOWN: "👎"}


def rating_block(ref: ChannelRef, paper_id: str, counts: VoteCount) -> Block:
    """👍 and 👎 under a paper, each with the group's count; the value names the channel and the paper (a click
    is then understood without asking anything), as JSON far below Slack's 2,000 characters."""
    value = json.dumps({"w": ref.workspace, "c": ref.channel, "p": paper_id})
    return {
        "type": "actions",
        "elements": [
            _button(rating_label(Rating.UP, counts.up), RATE_UP, value),
            _button(rating_label(Rating.DOWN, counts.down), RATE_DOWN, value),
        ],
    }


def rating_label(rating: Rating, count: int) -> str:
    """`👍 3`, or the thumb alone while nobody gave that rating."""
    return f"{_THUMBS[rating]} {count}" if count else _THUMBS[rating]


def rated(value: str) -> tuple[ChannelRef, str]:
    """The channel and the paper a rating button's value names; ValueError when it names none."""
    named = json.loads(value)
    if not isinstance(named, dict) or not all(isinstance(named.get(k), str) for k in ("w", "c", "p")):
        raise ValueError(f"not a rating button's value: {value[:100]!r}")
    return ChannelRef(Platform.SLACK, named["c"], named["w"]), named["p"]


def rated_papers(blocks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The papers a message has rating buttons for, in its order (from the blocks as Slack hands them back)."""
    found: list[str] = []
    for element in _rating_buttons(blocks):
        with contextlib.suppress(ValueError):
            paper = rated(str(element.get("value", "")))[1]
            if paper not in found:
                found.append(paper)
    return found


def with_counts(blocks: list[dict[str, Any]], counts: Mapping[str, VoteCount]) -> list[dict[str, Any]]:
    """The message's blocks (as Slack hands them back with a click) with each rating button showing `counts`;
    everything else is left as it is."""
    for element in _rating_buttons(blocks):
        with contextlib.suppress(ValueError):
            paper = rated(str(element.get("value", "")))[1]
            count = counts.get(paper, VoteCount())
            rating = RATE_ACTIONS[element["action_id"]]
            element["text"] = {"type": "plain_text", "text": rating_label(rating, _count(count, rating))}
    return blocks


def _count(counts: VoteCount, rating: Rating) -> int:
    return counts.up if rating is Rating.UP else counts.down


def _rating_buttons(blocks: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") in RATE_ACTIONS:
                yield element


def escape(text: str) -> str:
    """Text shown as written in Slack mrkdwn: `&`, `<` and `>` as entities (Slack reads them as markup), and
    `*`, `_`, `~` and backticks fenced with zero-width spaces, which Slack cannot escape otherwise (a title
    like `*-CLIP` or `snake_case_names` would turn bold or italic)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mark in "*_~`":
        text = text.replace(mark, f"\u200b{mark}\u200b")
    return text


def code(text: str) -> str:
    """Text as inline code: formatting characters mean nothing there, so only the entities are needed."""
    return "`" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'") + "`"


#: action ids of the buttons under search results
MORE_RESULTS, POST_TO_CHANNEL = "papers_more", "papers_post"


def search_blocks(page: SearchPage, query: str, sort: Sort = Sort.RELEVANCE, *, like: bool = False) -> list[Block]:
    """A page of search results: a section per paper (title linked, authors, upvotes, marked snippet, and a
    "Post to channel" button), a context line of links, and "More results" when there are more (its value
    says which page of which search, in which order). With `like`, `query` is a paper's id and the page is
    the papers like it (`/papers similar`)."""
    if not page.hits:
        empty = f"No other papers are like {code(query)} yet." if like else f"No papers match {code(query)}."
        return [{"type": "section", "text": {"type": "mrkdwn", "text": empty}}, *hint_blocks(page.hints)]
    first = page.offset + 1
    header = f"Papers {first}–{page.offset + len(page.hits)} {'like' if like else 'for'} {code(query)}"
    blocks: list[Block] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": header}]}]
    blocks += hint_blocks(page.hints)
    for at, hit in enumerate(page.hits):
        if (partial := page.divider(at)) is not None:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{partial.label}*"}]})
        paper = hit.paper
        snippet = escape(hit.snippet.marked(MARK_OPEN, MARK_CLOSE)).replace(MARK_OPEN, "*").replace(MARK_CLOSE, "*")
        text = (
            f"*<{paper.url}|{escape(paper.title)}>*\n{escape(short_authors(paper.authors))} · ▲ {paper.upvotes or 0}"
            f"\n{snippet}"
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut(text, SLACK_SECTION_TEXT)},
                "accessory": _button("Post to channel", POST_TO_CHANNEL, paper.id),
            }
        )
        links = _links(paper_links(paper, page=False))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    if page.has_more:
        asked: dict[str, str | int] = {"like" if like else "q": query, "offset": page.offset + len(page.hits)}
        if sort is not Sort.RELEVANCE:  # left out for relevance: a button from before `sort` means relevance
            asked["sort"] = sort.value
        more = json.dumps(asked)
        blocks.append({"type": "actions", "elements": [_button("More results", MORE_RESULTS, more)]})
    return blocks[:SLACK_BLOCKS]


def hint_blocks(hints: Iterable[str]) -> list[Block]:
    """What paperboy noticed about a query (`did you mean OR?`), a context line each, for whoever typed it."""
    return [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _cut(f"_Hint:_ {escape(hint)}", SLACK_SECTION_TEXT)}],
        }
        for hint in hints
    ]


def _button(label: str, action_id: str, value: str) -> Button:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": value}


def paper_blocks(paper: Paper) -> list[Block]:
    """One paper in full: title, authors, numbers, summary and links."""
    facts = f"{escape(short_authors(paper.authors, most=8))} · ▲ {paper.upvotes or 0}"
    if paper.daily_date:
        facts += f" · {paper.daily_date}"
    summary = escape(paper.ai_summary or paper.abstract)
    return [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(paper.title, SLACK_HEADER_TEXT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"{facts}\n{summary}", SLACK_SECTION_TEXT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _links(paper_links(paper))}]},
    ]
