"""Papers as Discord embeds within Discord's limits: digests (for webhooks and the bot), search pages and one
paper. Text from papers is markdown-escaped, so a title with `*` or `_` shows as written.

Embeds are typed by discord.py's own `discord.types.embed.Embed` TypedDict (the API's JSON shape), messages by
`DiscordMessage` below: mypy checks every key, and the JSON sent is exactly the dict literals written here.
discord.py's types are imported for mypy only: at run time `discord.types` would load all of discord.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

from paperboy.adapters.text import cut as _cut
from paperboy.bylines import short_authors
from paperboy.digest import Digest, DigestItem
from paperboy.links import Link, paper_links
from paperboy.models import MARK_END, MARK_START, Paper, SearchPage

if TYPE_CHECKING:
    from discord.types.embed import Embed

# Discord: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
DISCORD_CONTENT = 2000
DISCORD_EMBEDS = 10
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096
DISCORD_EMBED_FOOTER = 2048
DISCORD_EMBEDS_TOTAL = 6000
#: embeds per search page: 5 of up to ~1,100 characters stay well inside 6,000 together
SEARCH_EMBED_DESCRIPTION = 700


class AllowedMentions(TypedDict):
    """Which mentions may ping; paperboy's messages allow none (discord.py's own type needs every key)."""

    parse: list[Literal["roles", "users", "everyone"]]


class DiscordMessage(TypedDict):
    """The JSON of one message paperboy posts (`POST /channels/{id}/messages`, or to a webhook)."""

    embeds: list[Embed]
    content: NotRequired[str]
    allowed_mentions: NotRequired[AllowedMentions]
    #: set by the bot for a digest, so a retried post is not shown twice
    nonce: NotRequired[str]
    enforce_nonce: NotRequired[bool]


def escape(text: str) -> str:
    """Text shown as written: markdown characters escaped, and no @mention that could ping anyone."""
    # imported here: `discord` loads all of discord.py (most of a second), which a digest to Slack webhooks
    # only, or the console, never needs; after the first call the import is a dictionary look-up
    from discord.utils import escape_markdown, escape_mentions

    return escape_mentions(escape_markdown(text))


def discord_messages(digest: Digest) -> list[DiscordMessage]:
    """One message per at most 10 embeds and 6,000 embed characters; the title first, "and N more" last."""
    messages: list[DiscordMessage] = []
    embeds: list[Embed] = []
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
    messages[0]["content"] = _cut(escape(digest.title), DISCORD_CONTENT)
    if digest.more:
        last = messages[-1]
        more = escape(digest.more)
        last["content"] = _cut(f"{last['content']}\n{more}" if "content" in last else more, DISCORD_CONTENT)
    for message in messages:
        message["allowed_mentions"] = {"parse": []}  # a title that says @everyone pings nobody
    return messages


def _discord_embed(item: DigestItem) -> Embed:
    lines = [escape(item.summary), _links(paper_links(item))]
    if item.reasons:
        lines.append(escape(f"matched: {'; '.join(item.reasons)}"))
    return {
        "title": _cut(escape(item.title), DISCORD_EMBED_TITLE),
        "url": item.url,
        "description": _cut("\n".join(line for line in lines if line), DISCORD_EMBED_DESCRIPTION),
        "footer": {"text": _cut(f"{item.authors} · ▲ {item.upvotes}", DISCORD_EMBED_FOOTER)},
    }


def _links(links: tuple[Link, ...]) -> str:
    return " · ".join(f"[{link.label}]({link.url})" for link in links)


def _embed_length(embed: Embed) -> int:
    return len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])


def search_message(page: SearchPage, query: str) -> DiscordMessage:
    """A page of search results: a line saying which, and an embed per paper (title linked, marked snippet,
    links; authors and upvotes in the footer)."""
    if not page.hits:
        return {
            "content": _cut(f"No papers match `{_code(query)}`.{hint_lines(page.hints)}", DISCORD_CONTENT),
            "embeds": [],
        }
    first, last = page.offset + 1, page.offset + len(page.hits)
    embeds: list[Embed] = []
    partials = ""
    for at, hit in enumerate(page.hits):
        paper = hit.paper
        snippet = escape(hit.snippet.marked(MARK_START, MARK_END)).replace(MARK_START, "**").replace(MARK_END, "**")
        body = _cut(snippet or escape(paper.abstract), SEARCH_EMBED_DESCRIPTION)
        if body.count("**") % 2:  # a cut through a marked word would leave the bold open
            body += "**"
        embed = _paper_embed(paper, body, paper_links(paper, page=False))
        if hit.partial is not None:  # embeds cannot be divided: each partial match says so in its footer
            partial_note = f"partial match: {hit.partial.held} of {hit.partial.of} words · "
            embed["footer"]["text"] = _cut(partial_note + embed["footer"]["text"], DISCORD_EMBED_FOOTER)
        if (partial := page.divider(at)) is not None:
            partials += f"\n{partial.label} from {first + at}"
        embeds.append(embed)
    content = f"Papers {first}–{last} for `{_code(query)}`" + (" (more on the next page)" if page.has_more else "")
    content += partials
    return {"content": _cut(content + hint_lines(page.hints), DISCORD_CONTENT), "embeds": embeds}


def hint_lines(hints: Iterable[str]) -> str:
    """What paperboy noticed about a query (`did you mean OR?`), a line each after a newline, for whoever typed it."""
    return "".join(f"\n*Hint:* {escape(hint)}" for hint in hints)


def paper_message(paper: Paper) -> DiscordMessage:
    """One paper in full: title, summary, links, authors and numbers."""
    body = escape(paper.ai_summary or paper.abstract)
    return {"embeds": [_paper_embed(paper, body, paper_links(paper), most_authors=8)]}


def _paper_embed(paper: Paper, body: str, links: tuple[Link, ...], most_authors: int = 3) -> Embed:
    line = _links(links)
    facts = f"{short_authors(paper.authors, most=most_authors)} · ▲ {paper.upvotes or 0}"
    if paper.daily_date:
        facts += f" · {paper.daily_date}"
    room = DISCORD_EMBED_DESCRIPTION - len(line) - 1
    return {
        "title": _cut(escape(paper.title), DISCORD_EMBED_TITLE),
        "url": paper.url,
        "description": f"{_cut(body, room)}\n{line}",
        "footer": {"text": _cut(facts, DISCORD_EMBED_FOOTER)},
    }


def _code(text: str) -> str:
    """`text` inside inline code: backticks cannot be escaped there, so they become look-alikes."""
    return text.replace("`", "ˋ")
