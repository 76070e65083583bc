"""`/papers …` in Slack: the command text parsed into a sub-command and answered through the core's services.

Every decision is the core's; this module only reads Slack's text, calls a service, and says the result in
Block Kit. Answers are for the caller alone (ephemeral); changes to a channel's feed are also announced in the
channel, so everyone there sees who changed what.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from paperboy.adapters.block_kit import plain_dicts
from paperboy.adapters.services import Services
from paperboy.adapters.slack_blocks import code, escape, paper_blocks, search_blocks, slack_messages
from paperboy.errors import PaperboyError
from paperboy.models import ChannelRef, Platform
from paperboy.subscriptions import describe

USAGE = (
    "`/papers search <query>` · `/papers paper <id>` · `/papers subscribe [HH:MM] [time zone] [days]` · "
    "`/papers unsubscribe` · `/papers filter [<query> | clear]` · `/papers schedule [HH:MM] [time zone] [days]` · "
    "`/papers preview` · `/papers why <id>` · `/papers settings` · `/papers help`"
)
SEARCH_PAGE = 5


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


Handler = Callable[[Services, Invocation, str], Awaitable[Reply]]


async def answer(services: Services, invocation: Invocation) -> Reply:
    """The reply to `/papers <text>`; bad input gets the service's sentence and the usage line, never a trace."""
    name, _, rest = invocation.text.strip().partition(" ")
    handler = _HANDLERS.get(name.lower())
    if handler is None:
        what = f"I don't know {code(name)}." if name else "What should I do?"
        return _message(f"{what} Try: {USAGE}")
    try:
        changes = handler in _CHANGES and not (name.lower() == "filter" and not rest.strip())
        if changes and not await services.may_change(invocation.user_id):
            return _message(
                "Only workspace admins and owners (and the people paperboy's operator named) may change this "
                "channel's papers; ask one of them."
            )
        return await handler(services, invocation, rest.strip())
    except PaperboyError as error:
        return _message(f"{escape(str(error))}\n_Usage:_ {USAGE}")


def _message(text: str, announce: str | None = None) -> Reply:
    return Reply(text, plain_dicts([{"type": "section", "text": {"type": "mrkdwn", "text": text}}]), announce)


async def _help(services: Services, invocation: Invocation, rest: str) -> Reply:
    return _message(f"paperboy posts new ML papers to this channel, and searches them.\n{USAGE}")


async def _search(services: Services, invocation: Invocation, rest: str) -> Reply:
    return await search_page(services, rest, offset=0)


async def search_page(services: Services, query: str, offset: int) -> Reply:
    """One page of results, as the search answer or as the next page under "More results"."""
    page = await services.papers.search(query, limit=SEARCH_PAGE, offset=offset)
    blocks = plain_dicts(search_blocks(page, query))
    return Reply(f"{len(page.hits)} papers for {query}" if page.hits else f"No papers match {query}", blocks)


async def shared_paper(services: Services, paper_id: str, user_id: str) -> Reply:
    """A paper someone posts to the channel from their search results: visible to all, saying who."""
    paper = await services.papers.paper(paper_id)
    blocks = paper_blocks(paper)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"shared by <@{user_id}>"}]})
    return Reply(paper.title, plain_dicts(blocks))


async def _paper(services: Services, invocation: Invocation, rest: str) -> Reply:
    paper = await services.papers.paper(rest)
    return Reply(paper.title, plain_dicts(paper_blocks(paper)))


async def _subscribe(services: Services, invocation: Invocation, rest: str) -> Reply:
    time, timezone, days = _schedule_words(rest)
    subscription = await services.subscriptions.subscribe(
        invocation.ref, by=invocation.user_id, time=time, timezone=timezone, days=days
    )
    text = escape(describe(subscription))
    return _message(f"Subscribed: {text}", announce=f"<@{invocation.user_id}> subscribed this channel: {text}")


async def _unsubscribe(services: Services, invocation: Invocation, rest: str) -> Reply:
    await services.subscriptions.unsubscribe(invocation.ref)
    return _message("Unsubscribed.", announce=f"<@{invocation.user_id}> unsubscribed this channel from paperboy")


async def _filter(services: Services, invocation: Invocation, rest: str) -> Reply:
    ref, by = invocation.ref, invocation.user_id
    if not rest:
        current = (await services.subscriptions.get(ref)).filter
        return _message(f"Filter: {code(current)}" if current else "No filter: every new paper is posted.")
    if rest.lower() == "clear":
        await services.subscriptions.clear_filter(ref, by=by)
        return _message("Filter cleared.", announce=f"<@{by}> cleared this channel's filter")
    subscription = await services.subscriptions.set_filter(ref, rest, by=by)
    shown = code(subscription.filter or "")
    return _message(f"Filter set: {shown}", announce=f"<@{by}> set this channel's filter to {shown}")


async def _schedule(services: Services, invocation: Invocation, rest: str) -> Reply:
    time, timezone, days = _schedule_words(rest)
    subscription = await services.subscriptions.set_schedule(
        invocation.ref, by=invocation.user_id, time=time, timezone=timezone, days=days
    )
    when = subscription.schedule.describe()
    return _message(f"Schedule: {when}", announce=f"<@{invocation.user_id}> set this channel's digest to {when}")


async def _preview(services: Services, invocation: Invocation, rest: str) -> Reply:
    subscription = await services.subscriptions.get(invocation.ref)
    if subscription.paused_reason:
        return _message(escape(f"This channel's digest is paused: {subscription.paused_reason}"))
    digests = await services.digests.preview(invocation.ref)
    if not digests or not digests[0].items:
        return _message("The next digest would have nothing new.")
    digest = digests[0]
    return Reply(digest.title, plain_dicts([block for part in slack_messages(digest) for block in part["blocks"]][:50]))


async def _why(services: Services, invocation: Invocation, rest: str) -> Reply:
    verdict = await services.subscriptions.why(invocation.ref, rest)
    return _message(("Yes: " if verdict.posted else "No: ") + escape(verdict.reason))


async def _settings(services: Services, invocation: Invocation, rest: str) -> Reply:
    subscription = await services.subscriptions.get(invocation.ref)
    return _message(escape(describe(subscription)))


def _schedule_words(rest: str) -> tuple[str | None, str | None, str | None]:
    """`[HH:MM] [time zone] [days]` in any order: a clock time has a colon, a zone a slash (or is UTC)."""
    time = timezone = days = None
    for word in rest.split():
        if ":" in word:
            time = word
        elif "/" in word or word.upper() == "UTC":
            timezone = word
        else:
            days = word
    return time, timezone, days


_HANDLERS: dict[str, Handler] = {
    "help": _help,
    "search": _search,
    "paper": _paper,
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "filter": _filter,
    "schedule": _schedule,
    "preview": _preview,
    "why": _why,
    "settings": _settings,
}

#: the sub-commands `/papers` answers in Slack
SUB_COMMANDS = tuple(_HANDLERS)

#: sub-commands that change a channel's feed (showing the filter does not)
_CHANGES = {_subscribe, _unsubscribe, _filter, _schedule}
