"""`/papers …` in Slack: the command text read as a sub-command and its options, and answered through the core's
services.

The sub-commands and options are the table's in `command_table`, shared with Discord; this module reads Slack's
words by it (`name:value`, or a time, a time zone and days as they are), calls a service, and says the result in
Block Kit. Every decision is the core's. Answers are for the caller alone (ephemeral); changes to a channel's
feed are also announced in the channel, so everyone there sees who changed what.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from paperboy.adapters.block_kit import plain_dicts
from paperboy.adapters.command_table import (
    INTRO,
    QUERY_HINT,
    Command,
    Kind,
    Option,
    address_refusal,
    commands_on,
    sort_order,
    syntax,
)
from paperboy.adapters.services import Services
from paperboy.adapters.slack_blocks import code, escape, hint_blocks, paper_blocks, search_blocks, slack_messages
from paperboy.errors import PaperboyError, UserInputError
from paperboy.feeds import FeedAddress
from paperboy.models import ChannelRef, Platform, Sort
from paperboy.query import hints
from paperboy.subscriptions import describe

#: the sub-commands Slack offers, by name
COMMANDS = {command.name: command for command in commands_on(Platform.SLACK)}
#: every sub-command in one line, for a sub-command Slack does not know
USAGE = " · ".join(code(syntax(command, Platform.SLACK)) for command in COMMANDS.values())
HELP = "\n".join(
    [
        INTRO,
        *(f"{code(syntax(c, Platform.SLACK))}: {escape(c.summary)}" for c in COMMANDS.values()),
        "Options shown as `[name:…]` are written so: `max:5`, `sort:newest`.",
        QUERY_HINT,
    ]
)
SEARCH_PAGE = 5
#: a whole-number option's value
_WHOLE = re.compile(r"[+-]?\d{1,9}")


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who typed what, where."""

    team_id: str
    channel_id: str
    user_id: str
    text: str

    @property
    def ref(self) -> ChannelRef:
        return ChannelRef(Platform.SLACK, self.channel_id, self.team_id)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer: blocks for the caller, and optionally a note for the whole channel. The blocks are typed
    as slack_bolt's `respond` asks (plain dicts); they are built as `block_kit` TypedDicts."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    announce: str | None = None


Handler = Callable[[Services, Invocation, Mapping[str, str]], Awaitable[Reply]]


async def answer(services: Services, invocation: Invocation) -> Reply:
    """The reply to `/papers <text>`; bad input gets the service's sentence and the usage line, never a trace."""
    command, rest = find_command(invocation.text)
    if command is None:
        name = invocation.text.strip().partition(" ")[0]
        what = f"I don't know {code(name)}." if name else "What should I do?"
        return _message(f"{what} Try: {USAGE}")
    try:
        if command.restricted and not await services.may_change(invocation.user_id):
            return _message(_refusal(command))
        return await HANDLERS[command.name](services, invocation, arguments(command, rest))
    except PaperboyError as error:
        return _message(f"{escape(str(error))}\n_Usage:_ {code(syntax(command, Platform.SLACK))}")


#: who may change a channel's feed when `slack.restrict_changes` is on (else anyone may, and nothing is refused)
_CHANGERS = "workspace admins and owners (and the people paperboy's operator named)"


def _refusal(command: Command) -> str:
    """Why a member may not run `command`: it changes the channel's feed, or it shows the feed's address."""
    if command.reads_secret:
        return address_refusal(_CHANGERS)
    return f"Only {_CHANGERS} may change this channel's papers; ask one of them."


def find_command(text: str) -> tuple[Command | None, str]:
    """The sub-command `text` starts with (`filter set` is two words), and the words after it."""
    first, _, rest = text.strip().partition(" ")
    second, _, after = rest.strip().partition(" ")
    for name, words in ((f"{first} {second}", after), (first, rest)):
        if name.lower() in COMMANDS:
            return COMMANDS[name.lower()], words.strip()
    if first.lower() == "filter":  # Slack's forms from before `filter set` and `filter show`, still understood
        return COMMANDS["filter set" if rest.strip() else "filter show"], rest.strip()
    if first.lower() == "feed" and not rest.strip():  # `/papers feed` alone shows it
        return COMMANDS["feed show"], ""
    if first.lower() == "taste" and not rest.strip():  # `/papers taste` alone shows it
        return COMMANDS["taste show"], ""
    return None, ""


def arguments(command: Command, text: str) -> dict[str, str]:
    """The options given in `text`, by name: a word `name:value` is that option (unless free text is what the
    option is: `id:` and `title:` belong to the query language); a clock time, a time zone and days are known by
    their shape (the words of days together: `weekly on monday`); free text is the words left over, as typed. A
    word that is none of these is refused."""
    named = {option.name: option for option in command.options if option.kind is not Kind.TEXT}
    given: dict[str, str] = {}

    def take(word: re.Match[str]) -> str:
        name, colon, value = word[0].partition(":")
        option = named.get(name.lower().replace("-", "_")) if colon else None
        if option is None:
            return word[0]
        given[option.name] = value
        return ""

    rest = re.sub(r"\S+", take, text).strip()
    free = next((option for option in command.options if option.kind is Kind.TEXT), None)
    if free is not None:
        if rest:
            given[free.name] = rest
    else:
        for word in rest.split():
            option = _shaped(command, word)
            if option is None:
                raise UserInputError(f'"{word}" is none of the options of /papers {command.name}')
            # days may take words: `weekly on monday`
            given[option.name] = (
                f"{given[option.name]} {word}" if option.kind is Kind.DAYS and option.name in given else word
            )
    missing = [option.placeholder for option in command.options if option.required and not given.get(option.name)]
    if missing:
        raise UserInputError(f"/papers {command.name} needs {' and '.join(missing)}")
    return given


def _shaped(command: Command, word: str) -> Option | None:
    """The option a bare word is, by its shape: a clock time is a number with a colon, a time zone has a slash (or
    is UTC), and anything else is days (`weekly:mon` too), if the command takes these."""
    if ":" in word and word[:1].isdigit():
        kind = Kind.CLOCK
    else:
        kind = Kind.TIMEZONE if "/" in word or word.upper() == "UTC" else Kind.DAYS
    return next((option for option in command.options if option.kind is kind), None)


def _number(given: Mapping[str, str], name: str) -> int | None:
    if name not in given:
        return None
    if not _WHOLE.fullmatch(given[name]):
        raise UserInputError(f'{name} must be a whole number, like {name}:5, not "{given[name]}"')
    return int(given[name])


def _decimal(given: Mapping[str, str], name: str) -> float | None:
    if name not in given:
        return None
    try:
        return float(given[name])
    except ValueError:
        raise UserInputError(f'{name} must be a number, like {name}:1.5, not "{given[name]}"') from None


def _switch(given: Mapping[str, str], name: str) -> bool | None:
    if name not in given:
        return None
    word = given[name].strip().lower()
    if word not in ("on", "off"):
        raise UserInputError(f'{name} is on or off, like {name}:off, not "{given[name]}"')
    return word == "on"


def _message(text: str, announce: str | None = None) -> Reply:
    return Reply(text, plain_dicts([{"type": "section", "text": {"type": "mrkdwn", "text": text}}]), announce)


async def _help(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    return _message(HELP)


async def _search(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    order = sort_order(given["sort"]) if "sort" in given else Sort.RELEVANCE
    return await search_page(services, given["query"], offset=0, sort=order)


async def search_page(services: Services, query: str, offset: int, sort: Sort = Sort.RELEVANCE) -> Reply:
    """One page of results, as the search answer or as the next page under "More results"."""
    page = await services.papers.search(query, sort=sort, limit=SEARCH_PAGE, offset=offset)
    blocks = plain_dicts(search_blocks(page, query, sort))
    return Reply(f"{len(page.hits)} papers for {query}" if page.hits else f"No papers match {query}", blocks)


async def similar_page(services: Services, paper_id: str, offset: int) -> Reply:
    """One page of the papers like `paper_id`, as `/papers similar` answers or as the next page under "More
    results": a search page in all but its header."""
    page = await services.papers.similar(paper_id, limit=SEARCH_PAGE, offset=offset)
    blocks = plain_dicts(search_blocks(page, paper_id, like=True))
    return Reply(f"{len(page.hits)} papers like {paper_id}" if page.hits else f"No papers like {paper_id}", blocks)


async def shared_paper(services: Services, paper_id: str, user_id: str) -> Reply:
    """A paper someone posts to the channel from their search results: visible to all, saying who."""
    paper = await services.papers.paper(paper_id)
    blocks = paper_blocks(paper)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"shared by <@{user_id}>"}]})
    return Reply(paper.title, plain_dicts(blocks))


async def _paper(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    paper = await services.papers.paper(given["id"])
    return Reply(paper.title, plain_dicts(paper_blocks(paper)))


async def _similar(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    return await similar_page(services, given["id"], offset=0)


async def _subscribe(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    subscription = await services.subscriptions.subscribe(
        invocation.ref,
        by=invocation.user_id,
        time=given.get("time"),
        timezone=given.get("timezone"),
        days=given.get("days"),
        max_papers=_number(given, "max"),
        min_upvotes=_number(given, "min_upvotes"),
        taste=_switch(given, "taste"),
        taste_weight=_decimal(given, "taste_weight"),
    )
    text = escape(describe(subscription))
    return _message(f"Subscribed: {text}", announce=f"<@{invocation.user_id}> subscribed this channel: {text}")


async def _schedule(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    subscription = await services.subscriptions.set_schedule(
        invocation.ref,
        by=invocation.user_id,
        time=given.get("time"),
        timezone=given.get("timezone"),
        days=given.get("days"),
    )
    when = subscription.schedule.describe()
    return _message(f"Schedule: {when}", announce=f"<@{invocation.user_id}> set this channel's digest to {when}")


async def _unsubscribe(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    await services.subscriptions.unsubscribe(invocation.ref)
    return _message("Unsubscribed.", announce=f"<@{invocation.user_id}> unsubscribed this channel from paperboy")


async def _filter_set(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    by = invocation.user_id
    subscription = await services.subscriptions.set_filter(invocation.ref, given["query"], by=by)
    shown = code(subscription.filter or "")
    reply = _message(f"Filter set: {shown}", announce=f"<@{by}> set this channel's filter to {shown}")
    # the hints are for the caller alone: the channel is told what the filter is
    return replace(reply, blocks=[*reply.blocks, *plain_dicts(hint_blocks(hints(given["query"])))])


async def _filter_show(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    current = (await services.subscriptions.get(invocation.ref)).filter
    return _message(f"Filter: {code(current)}" if current else "No filter: every new paper is posted.")


async def _filter_clear(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    await services.subscriptions.clear_filter(invocation.ref, by=invocation.user_id)
    return _message("Filter cleared.", announce=f"<@{invocation.user_id}> cleared this channel's filter")


#: how a Slack caller replaces a feed's address
_REVOKE = code("/papers feed revoke")


def _describe(address: FeedAddress) -> str:
    """The feed's address in mrkdwn: the URL as a link (escaping would put zero-width spaces inside it)."""
    return address.describe(_REVOKE, link=lambda url: f"<{url}>", literal=code)


async def _feed_show(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    address = await services.subscriptions.feed(invocation.ref)
    return _message(_describe(address))


async def _feed_revoke(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    address = await services.subscriptions.replace_feed(invocation.ref, by=invocation.user_id)
    # the new address is for the caller alone; the channel hears that the old one stopped working
    return _message(
        f"The old feed address no longer works. {_describe(address)}",
        announce=f"<@{invocation.user_id}> gave this channel's Atom feed a new address; the old one no longer works",
    )


async def _taste_show(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    report = await services.subscriptions.taste(invocation.ref)
    return _message(escape(report.describe()))


async def _taste_reset(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    forgotten = await services.subscriptions.reset_taste(invocation.ref, by=invocation.user_id)
    what = f"forgot this channel's {forgotten} vote{'s' if forgotten != 1 else ''}: the digest is ordered by upvotes"
    return _message(f"Taste reset: {what}.", announce=f"<@{invocation.user_id}> {what}")


async def _preview(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    subscription = await services.subscriptions.get(invocation.ref)
    if subscription.paused_reason:
        return _message(escape(f"This channel's digest is paused: {subscription.paused_reason}"))
    digests = await services.digests.preview(invocation.ref)
    if not digests or not digests[0].items:
        return _message("The next digest would have nothing new.")
    digest = digests[0]
    return Reply(digest.title, plain_dicts([block for part in slack_messages(digest) for block in part["blocks"]][:50]))


async def _why(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    verdict = await services.subscriptions.why(invocation.ref, given["id"])
    return _message(("Yes: " if verdict.posted else "No: ") + escape(verdict.reason))


async def _settings(services: Services, invocation: Invocation, given: Mapping[str, str]) -> Reply:
    subscription = await services.subscriptions.get(invocation.ref)
    return _message(escape(describe(subscription)))


#: how each of the table's sub-commands is answered (tests check that these are exactly the table's)
HANDLERS: dict[str, Handler] = {
    "search": _search,
    "paper": _paper,
    "similar": _similar,
    "subscribe": _subscribe,
    "schedule": _schedule,
    "unsubscribe": _unsubscribe,
    "filter set": _filter_set,
    "filter show": _filter_show,
    "filter clear": _filter_clear,
    "feed show": _feed_show,
    "feed revoke": _feed_revoke,
    "taste show": _taste_show,
    "taste reset": _taste_reset,
    "preview": _preview,
    "why": _why,
    "settings": _settings,
    "help": _help,
}
