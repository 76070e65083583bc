"""`/papers` for Discord: an `app_commands.Group` whose sub-commands call the core's services.

The sub-commands, their options and their descriptions are the table's in `command_table`, shared with Slack.
Search, paper and help work anywhere, DMs included; the feed commands need a server channel, and changing a
feed needs Manage Channels there. That is checked here, in code, before every sub-command the table says
changes the feed: `default_permissions` is only a default that server admins may change, and Discord cannot
set it per sub-command anyway. The search buttons change no feed; "Post to channel" posts for the caller, so
it needs what posting there yourself needs. Answers to one person are ephemeral; changes to a channel's feed
are answered in the channel, so everyone there sees who changed what. A `PaperboyError` becomes its sentence
for the caller; anything else is logged with its traceback and the caller gets a sentence too.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import replace
from functools import cache
from typing import Any, Literal

import discord
from discord import app_commands
from discord.app_commands import Choice

from paperboy.adapters.command_table import (
    BY_NAME,
    INTRO,
    QUERY_HINT,
    Command,
    address_refusal,
    commands_on,
    sort_order,
    syntax,
)
from paperboy.adapters.discord_embeds import (
    DiscordMessage,
    discord_messages,
    escape,
    hint_lines,
    paper_message,
    search_message,
)
from paperboy.adapters.services import Services
from paperboy.digest import Digest
from paperboy.errors import PaperboyError, UserInputError
from paperboy.feeds import FeedAddress
from paperboy.models import ChannelRef, Platform, SearchPage, Sort
from paperboy.query import hints
from paperboy.subscriptions import MAX_MIN_UPVOTES, MAX_PAPERS, describe
from paperboy.taste import MAX_WEIGHT

log = logging.getLogger(__name__)

SEARCH_PAGE = 5
#: how long search buttons answer before they are taken away
VIEW_TIMEOUT = 600.0
DAYS = ("daily", "mon-fri", "mon-sun", "sat,sun", "mon,wed,fri", "tue,thu", "weekly on mon", "weekly on fri")
DEFAULT_SORT = Sort.RELEVANCE.value
#: how a Discord caller replaces a feed's address
REVOKE = "`/papers feed revoke`"
NO_MENTIONS = discord.AllowedMentions.none()
HELP = "\n".join(
    [
        f"**paperboy**{INTRO.removeprefix('paperboy')}",
        *(f"`{syntax(c, Platform.DISCORD)}`: {c.summary}" for c in commands_on(Platform.DISCORD)),
        QUERY_HINT,
    ]
)


def summary(name: str) -> str:
    """A sub-command's description, from the table."""
    return BY_NAME[name].summary


def helps(name: str) -> dict[str, str]:
    """A sub-command's option descriptions, from the table, for `app_commands.describe`."""
    return {option.name: option.help for option in BY_NAME[name].options}


class NotHere(UserInputError):
    """A feed command outside a server channel, or something the caller may not do in this channel."""


def channel_ref(interaction: discord.Interaction[Any]) -> ChannelRef:
    if interaction.guild_id is None or interaction.channel_id is None:
        raise NotHere("Channel feeds live in server channels; run this in the channel that should get papers.")
    return ChannelRef(Platform.DISCORD, str(interaction.channel_id), str(interaction.guild_id))


def may_change(interaction: discord.Interaction[Any], command: Command | None = None) -> ChannelRef:
    """The channel, if the caller may change its feed (or run `command`, which needs that): Manage Channels,
    checked here whatever the server's command permissions say."""
    ref = channel_ref(interaction)
    if not interaction.permissions.manage_channels:
        if command is not None and command.reads_secret:
            raise NotHere(address_refusal("members with the Manage Channels permission here"))
        raise NotHere(
            "Changing this channel's papers needs the Manage Channels permission here; ask someone who has it."
        )
    return ref


def may_post(interaction: discord.Interaction[Any]) -> None:
    """Sharing search results posts a page of embeds in the channel for the caller: only someone who may post
    embeds there themselves may, or the bot would speak for someone the channel has muted. A DM is the caller's own."""
    if interaction.guild_id is None:
        return
    allowed = interaction.permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    if not ((allowed.send_messages_in_threads if in_thread else allowed.send_messages) and allowed.embed_links):
        raise NotHere("Posting to this channel needs the Send Messages and Embed Links permissions here.")


class Refused(app_commands.CheckFailure):
    """A feed command refused before it ran; discord.py hands only its own errors to the error handler."""

    def __init__(self, reason: PaperboyError) -> None:
        super().__init__(str(reason))
        self.reason = reason


class SearchView(discord.ui.View):
    """Previous / Next page and "Post to channel" under a search answer, or under the papers like one paper
    (`like`: `query` is its id); only its asker sees it."""

    def __init__(
        self,
        services: Services,
        query: str,
        sort: Sort,
        offset: int,
        has_more: bool,
        timeout: float = VIEW_TIMEOUT,
        *,
        like: bool = False,
    ) -> None:
        super().__init__(timeout=timeout)
        self.services, self.query, self.sort, self.offset, self.like = services, query, sort, offset, like
        self.shown: discord.Interaction[Any] | None = None
        self.previous_page.disabled = offset == 0
        self.next_page.disabled = not has_more

    async def fetch(self, offset: int) -> SearchPage:
        """The page at `offset` of what this view pages through."""
        if self.like:
            return await self.services.papers.similar(self.query, limit=SEARCH_PAGE, offset=offset)
        return await self.services.papers.search(self.query, sort=self.sort, limit=SEARCH_PAGE, offset=offset)

    async def page(self, interaction: discord.Interaction[Any], offset: int) -> None:
        result = await self.fetch(offset)
        self.offset = offset
        self.previous_page.disabled = offset == 0
        self.next_page.disabled = not result.has_more
        message = search_message(result, self.query, like=self.like)
        await interaction.response.edit_message(
            content=message["content"], embeds=_embeds(message), view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_page(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self.page(interaction, max(0, self.offset - SEARCH_PAGE))

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self.page(interaction, self.offset + SEARCH_PAGE)

    @discord.ui.button(label="Post to channel", style=discord.ButtonStyle.primary)
    async def post(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        may_post(interaction)
        # the hints were for the asker alone
        message = search_message(replace(await self.fetch(self.offset), hints=()), self.query, like=self.like)
        await interaction.response.send_message(
            content=f"{interaction.user.mention} shared: {message['content']}",
            embeds=_embeds(message),
            allowed_mentions=NO_MENTIONS,
        )

    async def on_timeout(self) -> None:
        if self.shown is None:
            return
        try:
            await self.shown.edit_original_response(view=None)
        except discord.HTTPException as error:
            log.debug("could not take the buttons off an old search (%s)", error)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await answer_error(interaction, error)


class Papers(app_commands.Group, name="papers", description="New ML papers: search them, or get a daily digest"):
    """`/papers`, bound to the core's services; the table in `command_table` names its sub-commands and says
    which change a channel's feed. Search buttons answer for `view_timeout` seconds."""

    feed_filter = app_commands.Group(name="filter", description="This channel's topic filter")
    atom_feed = app_commands.Group(name="feed", description="This channel's digests as an Atom feed")
    taste = app_commands.Group(name="taste", description="What this channel's votes taught paperboy")

    def __init__(self, services: Services, view_timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__()
        self.services = services
        self.view_timeout = view_timeout
        _timezones()  # read the zone list now, at start, not on the event loop in the middle of an autocomplete

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Runs before every sub-command: one that the table says changes the feed (or that the table does not
        know) is refused here without Manage Channels, so a new command cannot forget to ask."""
        invoked = interaction.command
        name = invoked.qualified_name.removeprefix(f"{self.name} ") if invoked else ""
        entry = BY_NAME.get(name)
        if entry is None or entry.restricted:
            try:
                may_change(interaction, entry)
            except NotHere as refusal:
                raise Refused(refusal) from refusal
        return True

    @app_commands.command(name="search", description=summary("search"))
    @app_commands.describe(**helps("search"))
    async def search(self, interaction: discord.Interaction[Any], query: str, sort: str = DEFAULT_SORT) -> None:
        order = sort_order(sort)
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = SearchView(self.services, query, order, 0, False, self.view_timeout)
        await self._first_page(interaction, view)

    async def _first_page(self, interaction: discord.Interaction[Any], view: SearchView) -> None:
        """The first page of what `view` pages through, with its buttons when there is something to page."""
        result = await view.fetch(0)
        view.next_page.disabled = not result.has_more
        message = search_message(result, view.query, like=view.like)
        kwargs: dict[str, Any] = {"view": view} if result.hits else {}
        await interaction.followup.send(
            content=message["content"], embeds=_embeds(message), ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs
        )
        if result.hits:
            view.shown = interaction

    @app_commands.command(name="similar", description=summary("similar"))
    @app_commands.describe(**helps("similar"))
    async def similar(self, interaction: discord.Interaction[Any], id: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = SearchView(self.services, id, Sort.RELEVANCE, 0, False, self.view_timeout, like=True)
        await self._first_page(interaction, view)

    @search.autocomplete("sort")
    async def sort_choices(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        orders = BY_NAME["search"].option("sort").choices
        return [Choice(name=order, value=order) for order in orders if order.startswith(current.lower())]

    @app_commands.command(name="paper", description=summary("paper"))
    @app_commands.describe(**helps("paper"))
    async def paper(self, interaction: discord.Interaction[Any], id: str) -> None:
        found = await self.services.papers.paper(id)
        await interaction.response.send_message(embeds=_embeds(paper_message(found)), ephemeral=True)

    @app_commands.command(name="subscribe", description=summary("subscribe"))
    @app_commands.describe(**helps("subscribe"))
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        max: app_commands.Range[int, 1, MAX_PAPERS] | None = None,
        min_upvotes: app_commands.Range[int, 0, MAX_MIN_UPVOTES] | None = None,
        taste: Literal["on", "off"] | None = None,
        taste_weight: app_commands.Range[float, 0.0, MAX_WEIGHT] | None = None,
    ) -> None:
        subscription = await self.services.subscriptions.subscribe(
            may_change(interaction),
            by=_who(interaction),
            time=time,
            timezone=timezone,
            days=days,
            max_papers=max,
            min_upvotes=min_upvotes,
            taste=None if taste is None else taste == "on",
            taste_weight=taste_weight,
        )
        await _announce(interaction, f"subscribed this channel: {describe(subscription)}")

    @app_commands.command(name="schedule", description=summary("schedule"))
    @app_commands.describe(**helps("schedule"))
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
    ) -> None:
        subscription = await self.services.subscriptions.set_schedule(
            may_change(interaction), by=_who(interaction), time=time, timezone=timezone, days=days
        )
        await _announce(interaction, f"set this channel's digest to {subscription.schedule.describe()}")

    @subscribe.autocomplete("timezone")
    @schedule.autocomplete("timezone")
    async def timezone_choices(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return [Choice(name=name, value=name) for name in matching_timezones(current)]

    @subscribe.autocomplete("days")
    @schedule.autocomplete("days")
    async def days_choices(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return [Choice(name=d, value=d) for d in DAYS if current.lower() in d]

    @app_commands.command(name="unsubscribe", description=summary("unsubscribe"))
    async def unsubscribe(self, interaction: discord.Interaction[Any]) -> None:
        await self.services.subscriptions.unsubscribe(may_change(interaction))
        await _announce(interaction, "unsubscribed this channel from paperboy")

    @feed_filter.command(name="set", description=summary("filter set"))
    @app_commands.describe(**helps("filter set"))
    async def filter_set(self, interaction: discord.Interaction[Any], query: str) -> None:
        ref = may_change(interaction)
        subscription = await self.services.subscriptions.set_filter(ref, query, by=_who(interaction))
        await _announce(interaction, f"set this channel's filter to {subscription.filter}")
        noticed = hint_lines(hints(query)).strip()
        if noticed:  # for the caller alone: the channel is told what the filter is
            await interaction.followup.send(noticed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feed_filter.command(name="show", description=summary("filter show"))
    async def filter_show(self, interaction: discord.Interaction[Any]) -> None:
        current = (await self.services.subscriptions.get(channel_ref(interaction))).filter
        text = f"Filter: `{current}`" if current else "No filter: every new paper is posted."
        await interaction.response.send_message(text, ephemeral=True)

    @feed_filter.command(name="clear", description=summary("filter clear"))
    async def filter_clear(self, interaction: discord.Interaction[Any]) -> None:
        await self.services.subscriptions.clear_filter(may_change(interaction), by=_who(interaction))
        await _announce(interaction, "cleared this channel's filter")

    @atom_feed.command(name="show", description=summary("feed show"))
    async def feed_show(self, interaction: discord.Interaction[Any]) -> None:
        address = await self.services.subscriptions.feed(may_change(interaction, BY_NAME["feed show"]))
        await interaction.response.send_message(_describe(address), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @atom_feed.command(name="revoke", description=summary("feed revoke"))
    async def feed_revoke(self, interaction: discord.Interaction[Any]) -> None:
        address = await self.services.subscriptions.replace_feed(may_change(interaction), by=_who(interaction))
        await _announce(interaction, "gave this channel's Atom feed a new address; the old one no longer works")
        # the new address is for the caller alone
        await interaction.followup.send(_describe(address), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @taste.command(name="show", description=summary("taste show"))
    async def taste_show(self, interaction: discord.Interaction[Any]) -> None:
        report = await self.services.subscriptions.taste(channel_ref(interaction))
        await interaction.response.send_message(escape(report.describe()), ephemeral=True)

    @taste.command(name="reset", description=summary("taste reset"))
    async def taste_reset(self, interaction: discord.Interaction[Any]) -> None:
        forgotten = await self.services.subscriptions.reset_taste(may_change(interaction), by=_who(interaction))
        votes = f"{forgotten} vote{'s' if forgotten != 1 else ''}"
        await _announce(interaction, f"forgot this channel's {votes}: the digest is ordered by upvotes")

    @app_commands.command(name="preview", description=summary("preview"))
    async def preview(self, interaction: discord.Interaction[Any]) -> None:
        ref = channel_ref(interaction)
        subscription = await self.services.subscriptions.get(ref)
        if subscription.paused_reason:
            paused = escape(f"This channel's digest is paused: {subscription.paused_reason}")
            await interaction.response.send_message(paused, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        digests: list[Digest] = await self.services.digests.preview(ref)
        if not digests or not digests[0].items:
            await interaction.followup.send("The next digest would have nothing new.", ephemeral=True)
            return
        first = discord_messages(digests[0])[0]
        await interaction.followup.send(
            content=str(first.get("content", "")), embeds=_embeds(first), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="why", description=summary("why"))
    @app_commands.describe(**helps("why"))
    async def why(self, interaction: discord.Interaction[Any], id: str) -> None:
        verdict = await self.services.subscriptions.why(channel_ref(interaction), id)
        text = ("Yes: " if verdict.posted else "No: ") + escape(verdict.reason)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="settings", description=summary("settings"))
    async def settings(self, interaction: discord.Interaction[Any]) -> None:
        subscription = await self.services.subscriptions.get(channel_ref(interaction))
        await interaction.response.send_message(escape(describe(subscription)), ephemeral=True)

    @app_commands.command(name="help", description=summary("help"))
    async def help_(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(HELP, ephemeral=True)


def build_papers_group(services: Services, view_timeout: float = VIEW_TIMEOUT) -> Papers:
    """The `/papers` group, bound to `services`; search buttons answer for `view_timeout` seconds."""
    return Papers(services, view_timeout)


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def matching_timezones(typed: str, most: int = 25) -> list[str]:
    """IANA names containing what was typed (case-insensitive), those starting with it first; at most 25, as
    Discord allows."""
    typed = typed.strip().lower().replace(" ", "_")
    names = _timezones()
    starting = [n for n in names if n.lower().startswith(typed)]
    containing = [n for n in names if typed in n.lower() and n not in starting]
    return (starting + containing)[:most]


async def answer_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """Tell the caller what went wrong, in words; a traceback only goes to the log."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    original = original.reason if isinstance(original, Refused) else original
    if isinstance(original, PaperboyError):
        text = str(original)
    elif isinstance(original, app_commands.TransformerError):
        text = f"{original.value!r} is not a valid {original.type.name.lower()} here; check the option's hint."
    else:
        log.error("/papers failed", exc_info=original)
        text = "Something went wrong on paperboy's side; it is in paperboy's log. Please try again later."
    await tell_privately(interaction, text, "the caller about an error")


async def tell_privately(interaction: discord.Interaction[Any], text: str, whom: str) -> None:
    """`text` to the member behind `interaction` alone, whether or not it was answered already; a failure to
    tell `whom` (the caller about an error, say) is logged, never raised."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as failure:
        log.warning("could not tell %s (%s)", whom, failure)


def _describe(address: FeedAddress) -> str:
    """The feed's address as Discord shows it: the URL bare (Discord links it; escaping would put backslashes
    in it), the path and setting names as code."""
    return address.describe(REVOKE, literal=lambda text: f"`{text}`")


def _who(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.user.id}"


async def _announce(interaction: discord.Interaction[Any], what: str) -> None:
    """A change to the channel's feed, said in the channel: who did what."""
    await interaction.response.send_message(f"{interaction.user.mention} {escape(what)}", allowed_mentions=NO_MENTIONS)


def _embeds(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(embed) for embed in message["embeds"]]
