"""`/papers` for Discord: an `app_commands.Group` whose sub-commands call the core's services.

Search, paper and help work anywhere, DMs included; the feed commands need a server channel, and changing a
feed needs Manage Channels there. That is checked here, in the command: `default_permissions` is only a
default that server admins may change. Answers to one person are ephemeral; changes to a channel's feed are
answered in the channel, so everyone there sees who changed what. A `PaperboyError` becomes its sentence for
the caller; anything else is logged with its traceback and the caller gets a sentence too.
"""

from __future__ import annotations

import logging
import zoneinfo
from functools import cache
from typing import Any

import discord
from discord import app_commands

from paperboy.adapters.discord_embeds import DiscordMessage, discord_messages, escape, paper_message, search_message
from paperboy.adapters.services import Services
from paperboy.digest import Digest
from paperboy.errors import PaperboyError, UserInputError
from paperboy.models import ChannelRef, Platform, Sort
from paperboy.subscriptions import describe

log = logging.getLogger(__name__)

SEARCH_PAGE = 5
#: how long search buttons answer before they are taken away
VIEW_TIMEOUT = 600.0
DAYS = ("daily", "mon-fri", "mon-sun", "sat,sun", "mon,wed,fri", "tue,thu")
NO_MENTIONS = discord.AllowedMentions.none()
HELP = (
    "**paperboy** posts new ML papers to this channel every day, and searches every paper it has seen.\n"
    "`/papers search` · `/papers paper` · `/papers subscribe` · `/papers unsubscribe` · "
    "`/papers filter set|show|clear` · `/papers preview` · `/papers why` · `/papers settings` · `/papers help`\n"
    'Filters and searches use the query language: `"flow matching" OR diffusion -video`, `title:…`, '
    "`author:…`, `upvotes:>20`."
)


class NotHere(UserInputError):
    """A feed command outside a server channel, or by someone who may not change the channel's feed."""


def channel_ref(interaction: discord.Interaction[Any]) -> ChannelRef:
    if interaction.guild_id is None or interaction.channel_id is None:
        raise NotHere("Channel feeds live in server channels; run this in the channel that should get papers.")
    return ChannelRef(Platform.DISCORD, str(interaction.channel_id), str(interaction.guild_id))


def may_change(interaction: discord.Interaction[Any]) -> ChannelRef:
    """The channel, if the caller may change its feed: Manage Channels, checked here whatever the server's
    command permissions say."""
    ref = channel_ref(interaction)
    if not interaction.permissions.manage_channels:
        raise NotHere(
            "Changing this channel's papers needs the Manage Channels permission here; ask someone who has it."
        )
    return ref


class SearchView(discord.ui.View):
    """Previous / Next page and "Post to channel" under a search answer; only its asker sees it."""

    def __init__(
        self, services: Services, query: str, sort: Sort, offset: int, has_more: bool, timeout: float = VIEW_TIMEOUT
    ) -> None:
        super().__init__(timeout=timeout)
        self.services, self.query, self.sort, self.offset = services, query, sort, offset
        self.shown: discord.Interaction[Any] | None = None
        self.previous_page.disabled = offset == 0
        self.next_page.disabled = not has_more

    async def page(self, interaction: discord.Interaction[Any], offset: int) -> None:
        result = await self.services.papers.search(self.query, sort=self.sort, limit=SEARCH_PAGE, offset=offset)
        self.offset = offset
        self.previous_page.disabled = offset == 0
        self.next_page.disabled = not result.has_more
        message = search_message(result, self.query)
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
        result = await self.services.papers.search(self.query, sort=self.sort, limit=SEARCH_PAGE, offset=self.offset)
        message = search_message(result, self.query)
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


def build_papers_group(services: Services, view_timeout: float = VIEW_TIMEOUT) -> app_commands.Group:
    """The `/papers` group, bound to `services`; search buttons answer for `view_timeout` seconds."""
    _timezones()  # read the zone list now, at start, not on the event loop in the middle of an autocomplete
    papers = app_commands.Group(name="papers", description="New ML papers: search them, or get a daily digest")
    feed_filter = app_commands.Group(name="filter", description="This channel's topic filter", parent=papers)

    @papers.command(name="search", description="Search every paper paperboy has seen")
    @app_commands.describe(
        query='What to look for, like "flow matching" OR diffusion -video',
        sort="Order: relevance (default), upvotes or newest",
    )
    async def search(interaction: discord.Interaction[Any], query: str, sort: str = "relevance") -> None:
        order = _sort(sort)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await services.papers.search(query, sort=order, limit=SEARCH_PAGE)
        message = search_message(result, query)
        view = SearchView(services, query, order, 0, result.has_more, view_timeout) if result.hits else None
        kwargs: dict[str, Any] = {"view": view} if view else {}
        await interaction.followup.send(
            content=message["content"], embeds=_embeds(message), ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs
        )
        if view:
            view.shown = interaction

    @search.autocomplete("sort")
    async def sort_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s.value, value=s.value) for s in Sort if s.value.startswith(current.lower())]

    @papers.command(name="paper", description="One paper in full, by its arXiv id")
    @app_commands.describe(id="The arXiv id, like 2401.12345 (a version or an arxiv.org link works too)")
    async def paper(interaction: discord.Interaction[Any], id: str) -> None:
        found = await services.papers.paper(id)
        await interaction.response.send_message(embeds=_embeds(paper_message(found)), ephemeral=True)

    @papers.command(name="subscribe", description="Give this channel a daily digest, or change when it comes")
    @app_commands.describe(
        time="Local time of the digest, HH:MM (24 h)",
        timezone="IANA time zone, like Europe/Berlin",
        days='Days to post: "daily", "mon-fri", "mon,wed,fri"',
        max="Most papers per digest (1 to 50)",
        min_upvotes="Only papers with at least this many upvotes",
    )
    async def subscribe(
        interaction: discord.Interaction[Any],
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        max: app_commands.Range[int, 1, 50] | None = None,
        min_upvotes: app_commands.Range[int, 0, 100000] | None = None,
    ) -> None:
        ref = may_change(interaction)
        subscription = await services.subscriptions.subscribe(
            ref,
            by=_who(interaction),
            time=time,
            timezone=timezone,
            days=days,
            max_papers=max,
            min_upvotes=min_upvotes,
        )
        await _announce(interaction, f"subscribed this channel: {describe(subscription)}")

    @subscribe.autocomplete("timezone")
    async def timezone_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in matching_timezones(current)]

    @subscribe.autocomplete("days")
    async def days_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=d, value=d) for d in DAYS if current.lower() in d]

    @papers.command(name="unsubscribe", description="Stop this channel's digest")
    async def unsubscribe(interaction: discord.Interaction[Any]) -> None:
        await services.subscriptions.unsubscribe(may_change(interaction))
        await _announce(interaction, "unsubscribed this channel from paperboy")

    @feed_filter.command(name="set", description="Post only papers matching a query")
    @app_commands.describe(query='A query, like "flow matching" OR diffusion -video')
    async def filter_set(interaction: discord.Interaction[Any], query: str) -> None:
        subscription = await services.subscriptions.set_filter(may_change(interaction), query, by=_who(interaction))
        await _announce(interaction, f"set this channel's filter to {subscription.filter}")

    @feed_filter.command(name="show", description="Show this channel's filter")
    async def filter_show(interaction: discord.Interaction[Any]) -> None:
        current = (await services.subscriptions.get(channel_ref(interaction))).filter
        text = f"Filter: `{current}`" if current else "No filter: every new paper is posted."
        await interaction.response.send_message(text, ephemeral=True)

    @feed_filter.command(name="clear", description="Post every new paper again")
    async def filter_clear(interaction: discord.Interaction[Any]) -> None:
        await services.subscriptions.clear_filter(may_change(interaction), by=_who(interaction))
        await _announce(interaction, "cleared this channel's filter")

    @papers.command(name="preview", description="The digest this channel would get now")
    async def preview(interaction: discord.Interaction[Any]) -> None:
        ref = channel_ref(interaction)
        subscription = await services.subscriptions.get(ref)
        if subscription.paused_reason:
            paused = escape(f"This channel's digest is paused: {subscription.paused_reason}")
            await interaction.response.send_message(paused, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        digests: list[Digest] = await services.digests.preview(ref)
        if not digests or not digests[0].items:
            await interaction.followup.send("The next digest would have nothing new.", ephemeral=True)
            return
        first = discord_messages(digests[0])[0]
        await interaction.followup.send(
            content=str(first.get("content", "")), embeds=_embeds(first), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @papers.command(name="why", description="Would a paper be posted here, and why (not)?")
    @app_commands.describe(id="The paper's arXiv id")
    async def why(interaction: discord.Interaction[Any], id: str) -> None:
        verdict = await services.subscriptions.why(channel_ref(interaction), id)
        text = ("Yes: " if verdict.posted else "No: ") + escape(verdict.reason)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @papers.command(name="settings", description="This channel's digest settings")
    async def settings(interaction: discord.Interaction[Any]) -> None:
        subscription = await services.subscriptions.get(channel_ref(interaction))
        await interaction.response.send_message(escape(describe(subscription)), ephemeral=True)

    @papers.command(name="help", description="What paperboy does, and its commands")
    async def help(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(HELP, ephemeral=True)

    return papers


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
    if isinstance(original, PaperboyError):
        text = str(original)
    elif isinstance(original, app_commands.TransformerError):
        text = f"{original.value!r} is not a valid {original.type.name.lower()} here; check the option's hint."
    else:
        log.error("/papers failed", exc_info=original)
        text = "Something went wrong on paperboy's side; it is in paperboy's log. Please try again later."
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as failure:
        log.warning("could not tell the caller about an error (%s)", failure)


def _sort(text: str) -> Sort:
    try:
        return Sort(text.strip().lower())
    except ValueError:
        raise UserInputError(f'"{text}" is not a sort order; use relevance, upvotes or newest') from None


def _who(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.user.id}"


async def _announce(interaction: discord.Interaction[Any], what: str) -> None:
    """A change to the channel's feed, said in the channel: who did what."""
    await interaction.response.send_message(f"{interaction.user.mention} {escape(what)}", allowed_mentions=NO_MENTIONS)


def _embeds(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(embed) for embed in message["embeds"]]
