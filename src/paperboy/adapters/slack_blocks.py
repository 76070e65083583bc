"""A digest as Slack Block Kit messages, within Slack's limits (used by webhooks and the Slack bot).

Blocks are dict literals typed by the TypedDicts of `block_kit.py`, so mypy checks each one while the JSON
sent is exactly what is written here (slack_sdk's block classes would reorder it; see there).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from paperboy.adapters.block_kit import Block, Button, SlackMessage
from paperboy.adapters.text import cut as _cut
from paperboy.bylines import short_authors
from paperboy.digest import Digest, DigestItem
from paperboy.links import Link, paper_links
from paperboy.models import Paper, SearchPage, Sort

# Slack Block Kit
SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_HEADER_TEXT = 150
# private markers for matched words, swapped for mrkdwn bold after escaping
MARK_OPEN, MARK_CLOSE = "\x0e", "\x0f"


def slack_messages(digest: Digest) -> list[SlackMessage]:
    """Block Kit messages of at most 50 blocks: a header, a section (and a context line) per paper."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(digest.title, SLACK_HEADER_TEXT)}}
    ]
    for item in digest.items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(item)}})
        if item.reasons:
            context = _cut(f"matched: {'; '.join(escape(r) for r in item.reasons)}", SLACK_SECTION_TEXT)
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    if digest.more:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(digest.more)}]})
    return [{"text": _cut(digest.title, SLACK_SECTION_TEXT), "blocks": chunk} for chunk in _chunks(blocks)]


def _slack_item(item: DigestItem) -> str:
    text = (
        f"*<{item.url}|{escape(item.title)}>*\n{escape(item.authors)} · ▲ {item.upvotes}\n"
        f"{escape(item.summary)}\n{_links(paper_links(item))}"
    )
    return _cut(text, SLACK_SECTION_TEXT)


def _links(links: tuple[Link, ...]) -> str:
    return " · ".join(f"<{link.url}|{link.label}>" for link in links)


def _chunks(blocks: list[Block]) -> Iterator[list[Block]]:
    for start in range(0, len(blocks), SLACK_BLOCKS):
        yield blocks[start : start + SLACK_BLOCKS]


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


def search_blocks(page: SearchPage, query: str, sort: Sort = Sort.RELEVANCE) -> list[Block]:
    """A page of search results: a section per paper (title linked, authors, upvotes, marked snippet, and a
    "Post to channel" button), a context line of links, and "More results" when there are more (its value
    says which page of which search, in which order)."""
    if not page.hits:
        nothing: Block = {"type": "section", "text": {"type": "mrkdwn", "text": f"No papers match {code(query)}."}}
        return [nothing, *hint_blocks(page.hints)]
    first = page.offset + 1
    header = f"Papers {first}–{page.offset + len(page.hits)} for {code(query)}"
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
        asked: dict[str, str | int] = {"q": query, "offset": page.offset + len(page.hits)}
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
