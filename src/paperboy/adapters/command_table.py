"""The `/papers` sub-commands and their options, written once for Discord and Slack alike.

Both chat adapters answer the same sub-commands with the same options. This table is what their help texts,
Discord's command and option descriptions, Slack's reading of the words after a sub-command, and the README's
slash-command table are made from, so none of them drifts from the others. It names no platform library: each
adapter binds the table to its own API, and tests check that each binding offers exactly what the table says.

How an option is typed differs: Discord shows each option as a field by its name; Slack takes words after the
sub-command, where free text (a query, an id) is what is left over, a clock time, a time zone and days are
known by their shape, and every other option is written `name:value` (`max:5`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from paperboy.errors import UserInputError
from paperboy.models import Platform, Sort
from paperboy.subscriptions import MAX_MIN_UPVOTES, MAX_PAPERS
from paperboy.taste import MAX_WEIGHT

#: the platforms with a `/papers` command, in the order the README's columns show them
CHAT_PLATFORMS = (Platform.DISCORD, Platform.SLACK)
#: the first line of `/papers help`
INTRO = "paperboy posts new ML papers to this channel every day (or week), and searches every paper it has seen."
#: the help's last line: the one thing every query-taking command shares
QUERY_HINT = (
    'Filters and searches use the query language: `"flow matching" OR diffusion -video`, `title:…`, `author:…`, '
    "`upvotes:>20`."
)


class Kind(Enum):
    """What an option's value is, which is also how Slack tells it apart from the other words."""

    #: free text: a query or an arXiv id (in Slack, the words left over)
    TEXT = "text"
    #: a local time, HH:MM (in Slack, the word with a colon)
    CLOCK = "clock"
    #: an IANA time zone (in Slack, the word with a slash, or UTC)
    TIMEZONE = "timezone"
    #: days of the week, like mon-fri, or `weekly on mon` (in Slack, any other words)
    DAYS = "days"
    #: a number, whole unless said otherwise (in Slack, `name:N`)
    NUMBER = "number"
    #: one of a few words (in Slack, `name:word`)
    CHOICE = "choice"


#: how Slack's help shows a value it knows by its shape
_SHAPES = {Kind.CLOCK: "HH:MM", Kind.TIMEZONE: "time zone", Kind.DAYS: "days"}


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    kind: Kind
    #: Discord's description of the option (at most 100 characters)
    help: str
    required: bool = False
    #: the words a CHOICE takes, the first being its default
    choices: tuple[str, ...] = ()

    @property
    def bare(self) -> bool:
        """Whether Slack takes the value without the option's name: free text, and what is known by its shape."""
        return self.kind is Kind.TEXT or self.kind in _SHAPES

    @property
    def placeholder(self) -> str:
        """The value as the help shows it: `query`, `HH:MM`, `N`, `relevance|upvotes|newest`."""
        if self.kind is Kind.NUMBER:
            return "N"
        if self.kind is Kind.CHOICE:
            return "|".join(self.choices)
        return _SHAPES.get(self.kind, self.name)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A platform that cannot offer a sub-command, and why, as the help and the README say it."""

    platform: Platform
    reason: str


@dataclass(frozen=True, slots=True)
class Command:
    #: the words after `/papers`: `search`, or `filter set` (in Discord, a sub-command of the `filter` group)
    name: str
    #: what it does, as Discord's description (at most 100 characters), the help and the README say it
    summary: str
    options: tuple[Option, ...] = ()
    #: whether it changes the channel's feed: such commands need permission on every platform, and their
    #: answer goes to the whole channel, saying who changed what
    changes_feed: bool = False
    #: whether its answer holds a secret (the channel's feed address): only those who may change the feed may
    #: run it, and only the caller sees the answer (a change it makes is announced in the channel without it)
    secret: bool = False
    unavailable: tuple[Unavailable, ...] = ()

    @property
    def restricted(self) -> bool:
        """Whether only those who may change the channel's feed may run it."""
        return self.changes_feed or self.secret

    @property
    def reads_secret(self) -> bool:
        """Whether it is restricted only for the secret it shows: it changes nothing (`feed show`)."""
        return self.secret and not self.changes_feed

    @property
    def audience(self) -> str:
        """Who sees the answer, as the README's table says it."""
        if self.secret:
            return "the caller; the channel hears of the change" if self.changes_feed else "the caller"
        return "the channel" if self.changes_feed else "the caller"

    def offered_on(self, platform: Platform) -> bool:
        return all(missing.platform is not platform for missing in self.unavailable)

    def why_not_on(self, platform: Platform) -> str | None:
        return next((missing.reason for missing in self.unavailable if missing.platform is platform), None)

    def option(self, name: str) -> Option:
        return next(option for option in self.options if option.name == name)


_TIME = Option("time", Kind.CLOCK, "Local time of the digest, HH:MM (24 h)")
_TIMEZONE = Option("timezone", Kind.TIMEZONE, "IANA time zone, like Europe/Berlin")
_DAYS = Option(
    "days", Kind.DAYS, 'Days to post: "daily", "mon-fri", "mon,wed,fri", or "weekly on mon" for a weekly digest'
)
_ID = Option("id", Kind.TEXT, "The arXiv id, like 2401.12345 (a version or an arxiv.org link works too)", required=True)
_QUERY = Option("query", Kind.TEXT, 'A query, like "flow matching" OR diffusion -video', required=True)

COMMANDS: tuple[Command, ...] = (
    Command(
        "search",
        "Search every paper paperboy has seen",
        (
            Option("query", Kind.TEXT, 'What to look for, like "flow matching" OR diffusion -video', required=True),
            Option(
                "sort",
                Kind.CHOICE,
                "Order: relevance (default), upvotes or newest",
                choices=tuple(s.value for s in Sort),
            ),
        ),
    ),
    Command("paper", "One paper in full, by its arXiv id: summary, authors, upvotes, links", (_ID,)),
    Command("similar", "The papers most like one paper, by its arXiv id", (_ID,)),
    Command(
        "subscribe",
        "Give this channel a daily (or weekly) digest, or change its settings",
        (
            _TIME,
            _TIMEZONE,
            _DAYS,
            Option("max", Kind.NUMBER, f"Most papers per digest (1 to {MAX_PAPERS})"),
            Option("min_upvotes", Kind.NUMBER, f"Only papers with at least this many upvotes (0 to {MAX_MIN_UPVOTES})"),
            Option(
                "taste",
                Kind.CHOICE,
                "Order the digest by this channel's votes too: on (default) or off",
                choices=("on", "off"),
            ),
            Option(
                "taste_weight",
                Kind.NUMBER,
                f"How much taste counts, 0 to {MAX_WEIGHT:g} (1, the default: as much as upvotes)",
            ),
        ),
        changes_feed=True,
    ),
    Command("schedule", "Change when this channel's digest comes", (_TIME, _TIMEZONE, _DAYS), changes_feed=True),
    Command("unsubscribe", "Stop this channel's digest", changes_feed=True),
    Command("filter set", "Post only papers matching a query", (_QUERY,), changes_feed=True),
    Command("filter show", "Show this channel's filter"),
    Command("filter clear", "Post every new paper again", changes_feed=True),
    Command("feed show", "This channel's digests as an Atom feed: its secret address, for feed readers", secret=True),
    Command(
        "feed revoke",
        "Give this channel's feed a new address; the old one stops working",
        changes_feed=True,
        secret=True,
    ),
    Command("taste show", "What this channel's votes taught paperboy: words for and against, votes, members"),
    Command("taste reset", "Forget this channel's votes: the digest is ordered by upvotes again", changes_feed=True),
    Command("preview", "The digest this channel would get now"),
    Command("why", "Would a paper be posted here, and why (not)?", (_ID,)),
    Command("settings", "This channel's digest settings: schedule, filter, limits"),
    Command("help", "What paperboy does, and its commands"),
)

#: the commands by name
BY_NAME = {command.name: command for command in COMMANDS}


def address_refusal(who: str) -> str:
    """What `feed show` says, on every platform, to someone who may not change the channel's feed (`who` says
    who may): showing is a read, but the address lets anyone holding it read the channel's digests."""
    return (
        f"Only {who} may see this channel's feed address, since anyone holding it can read the channel's "
        "digests; ask one of them for it."
    )


def commands_on(platform: Platform) -> tuple[Command, ...]:
    """The sub-commands a platform offers, in the table's order."""
    return tuple(command for command in COMMANDS if command.offered_on(platform))


def syntax(command: Command, platform: Platform) -> str:
    """`/papers …` as the help shows it on `platform`: in Discord, `<name>` for a required option and `[name]`
    for an optional one; in Slack, the value's shape where Slack knows it, else `name:value`."""
    words = [f"/papers {command.name}"]
    for option in command.options:
        if platform is Platform.DISCORD:
            words.append(f"<{option.name}>" if option.required else f"[{option.name}]")
        else:
            value = option.placeholder if option.bare else f"{option.name}:{option.placeholder}"
            words.append(f"<{value}>" if option.required else f"[{value}]")
    return " ".join(words)


def sort_order(text: str) -> Sort:
    """The order a search's `sort` option names."""
    try:
        return Sort(text.strip().lower())
    except ValueError:
        raise UserInputError(f'"{text}" is not a sort order; use relevance, upvotes or newest') from None


def readme_table() -> str:
    """The README's slash-command table: each sub-command as each platform takes it, and who sees the answer."""
    names = " | ".join(platform.value.capitalize() for platform in CHAT_PLATFORMS)
    lines = [f"| what it does | {names} | who sees the answer |", "|---|" + "---|" * len(CHAT_PLATFORMS) + "---|"]
    for command in COMMANDS:
        cells = [readme_cell(command, platform) for platform in CHAT_PLATFORMS]
        lines.append(f"| {command.summary} | {' | '.join(cells)} | {command.audience} |")
    return "\n".join(lines)


def readme_cell(command: Command, platform: Platform) -> str:
    """One platform's column of the README's table: the syntax, or why the platform does without it."""
    missing = command.why_not_on(platform)
    if missing is not None:
        return f"not offered: {missing}"
    return "`" + syntax(command, platform).replace("|", "\\|") + "`"


if __name__ == "__main__":  # `python -m paperboy.adapters.command_table` prints the README's table
    print(readme_table())
