"""Papers as Discord embeds within Discord's limits: digests (for webhooks and the bot), search pages and one
paper. Text from papers is markdown-escaped, so a title with `*` or `_` shows as written.

Embeds are typed by discord.py's own `discord.types.embed.Embed` TypedDict (the API's JSON shape), messages by
`DiscordMessage` below: mypy checks every key, and the JSON sent is exactly the dict literals written here.
discord.py's types are imported for mypy only: at run time `discord.types` would load all of discord.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

from paperboy.adapters.text import cut as _cut
from paperboy.bylines import short_authors
from paperboy.digest import Digest, DigestItem
from paperboy.links import SIMILAR, Link, paper_links, similar_command
from paperboy.models import MARK_END, MARK_START, ChannelRef, Paper, Platform, Rating, SearchPage, VoteCount

if TYPE_CHECKING:
    from discord.types.components import ActionRow, ButtonComponent
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
    #: the bot's digests: 👍 / 👎 for each paper
    components: NotRequired[list[ActionRow]]


def escape(text: str) -> str:
    """Text shown as written: markdown characters escaped, and no @mention that could ping anyone."""
    # imported here: `discord` loads all of discord.py (most of a second), which a digest to Slack webhooks
    # only, or the console, never needs; after the first call the import is a dictionary look-up
    from discord.utils import escape_markdown, escape_mentions

    return escape_mentions(escape_markdown(text))


def discord_messages(digest: Digest, *, rating: bool = False) -> list[DiscordMessage]:
    """One message per at most 10 embeds and 6,000 embed characters; the title first, "and N more" last. With
    `rating` (the bot's digests: a webhook's message cannot be clicked back to paperboy), the papers are numbered
    and each message has 👍 / 👎 buttons for each of its papers."""
    messages: list[DiscordMessage] = []
    embeds: list[Embed] = []
    rated: list[RatingButton] = []
    size = 0
    for number, item in enumerate(digest.items, start=1):
        embed = _discord_embed(item, number if rating else None)
        length = _embed_length(embed)
        if embeds and (len(embeds) == DISCORD_EMBEDS or size + length > DISCORD_EMBEDS_TOTAL):
            messages.append(_message(embeds, rated))
            embeds, rated, size = [], [], 0
        embeds.append(embed)
        if rating:
            rated.append(RatingButton(digest.ref, item.paper_id, number))
        size += length
    if embeds or not messages:
        messages.append(_message(embeds, rated))
    messages[0]["content"] = _cut(escape(digest.title), DISCORD_CONTENT)
    if digest.more:
        last = messages[-1]
        more = escape(digest.more)
        last["content"] = _cut(f"{last['content']}\n{more}" if "content" in last else more, DISCORD_CONTENT)
    for message in messages:
        message["allowed_mentions"] = {"parse": []}  # a title that says @everyone pings nobody
    return messages


def _message(embeds: list[Embed], rated: list[RatingButton]) -> DiscordMessage:
    if not rated:
        return {"embeds": embeds}
    return {"embeds": embeds, "components": rating_rows(rated, {})}


def _discord_embed(item: DigestItem, number: int | None = None) -> Embed:
    lines = [escape(item.summary), f"{_links(paper_links(item))} · {SIMILAR}: `{similar_command(item.paper_id)}`"]
    if item.reasons:
        lines.append(escape(f"matched: {'; '.join(item.reasons)}"))
    title = escape(item.title) if number is None else f"{number} · {escape(item.title)}"
    return {
        "title": _cut(title, DISCORD_EMBED_TITLE),
        "url": item.url,
        "description": _cut("\n".join(line for line in lines if line), DISCORD_EMBED_DESCRIPTION),
        "footer": {"text": _cut(f"{item.authors} · ▲ {item.upvotes}", DISCORD_EMBED_FOOTER)},
    }


def _links(links: tuple[Link, ...]) -> str:
    return " · ".join(f"[{link.label}]({link.url})" for link in links)


def _embed_length(embed: Embed) -> int:
    return len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])


def search_message(page: SearchPage, query: str, *, like: bool = False) -> DiscordMessage:
    """A page of search results: a line saying which, and an embed per paper (title linked, marked snippet,
    links; authors and upvotes in the footer). With `like`, `query` is a paper's id and the page is the papers
    like it (`/papers similar`)."""
    if not page.hits:
        empty = f"No other papers are like `{_code(query)}` yet." if like else f"No papers match `{_code(query)}`."
        return {"content": _cut(empty + hint_lines(page.hints), DISCORD_CONTENT), "embeds": []}
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
    which = f"{'like' if like else 'for'} `{_code(query)}`"
    content = f"Papers {first}–{last} {which}" + (" (more on the next page)" if page.has_more else "")
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


# Rating from the digest. Buttons on the message rather than a select menu: the group's counts show on them
# without a click, and one click votes (a select needs two, and shows no counts). A message holds at most 10
# embeds, so 10 papers; at two buttons a paper and two papers a row, that is 5 rows of 4: within Discord's 5 rows
# of 5. The papers are numbered in their embed titles and on their buttons, so each button says which paper.
DISCORD_ROWS = 5
DISCORD_ROW_BUTTONS = 5
DISCORD_CUSTOM_ID = 100
PAPERS_PER_ROW = 2
_RATING_ID = "pbr"
_THUMBS = {Rating.UP: "👍", Rating.DOWN: "👎"}
_LETTERS = {Rating.UP: "u", Rating.DOWN: "d"}


@dataclass(frozen=True, slots=True)
class RatingButton:
    """Which channel's digest, which paper, and its number in the digest: what a rating button's custom_id says."""

    ref: ChannelRef
    paper_id: str
    number: int

    def custom_id(self, rating: Rating) -> str:
        """`pbr:<guild>:<channel>:<number>:<u|d>:<paper>`: the paper last, as it is the only part that may hold
        a colon; at most 100 characters (ids of 20 digits and an arXiv id take about 60)."""
        ref = self.ref
        made = f"{_RATING_ID}:{ref.workspace}:{ref.channel}:{self.number}:{_LETTERS[rating]}:{self.paper_id}"
        if len(made) > DISCORD_CUSTOM_ID:
            raise ValueError(f"a rating button's custom_id would be {len(made)} characters, over Discord's 100")
        return made


def rating_click(custom_id: str) -> tuple[RatingButton, Rating] | None:
    """The button and the rating a custom_id names; None when it is no rating button's."""
    parts = custom_id.split(":", 5)
    if len(parts) != 6 or parts[0] != _RATING_ID or not parts[3].isdigit():
        return None
    rating = next((r for r, letter in _LETTERS.items() if letter == parts[4]), None)
    if rating is None or not parts[5]:
        return None
    return RatingButton(ChannelRef(Platform.DISCORD, parts[2], parts[1]), parts[5], int(parts[3])), rating


def rating_rows(buttons: list[RatingButton], counts: Mapping[str, VoteCount]) -> list[ActionRow]:
    """Two papers a row, 👍 then 👎 of each, labelled with the paper's number and the group's counts."""
    rows: list[ActionRow] = []
    for start in range(0, len(buttons), PAPERS_PER_ROW):
        row: list[ButtonComponent] = []
        for button in buttons[start : start + PAPERS_PER_ROW]:
            count = counts.get(button.paper_id, VoteCount())
            row.append(_rating_button(button, Rating.UP, count.up))
            row.append(_rating_button(button, Rating.DOWN, count.down))
        rows.append({"type": 1, "components": list(row)})
    if len(rows) > DISCORD_ROWS:
        raise ValueError(f"{len(buttons)} papers need {len(rows)} rows of buttons, over Discord's 5")
    return rows


def _rating_button(button: RatingButton, rating: Rating, count: int) -> ButtonComponent:
    label = f"{button.number} {_THUMBS[rating]}" + (f" {count}" if count else "")
    return {"type": 2, "style": 2, "label": label, "custom_id": button.custom_id(rating)}
