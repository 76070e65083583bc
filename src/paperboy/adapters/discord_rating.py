"""👍 / 👎 clicks on the papers of the Discord bot's digests.

A click is a component interaction whose custom_id names the digest's channel, the paper and the rating
(`discord_embeds.RatingButton`): it is understood without any state kept in the bot, so the buttons of a digest
posted before a restart still work. The click is deferred at once (DEFERRED_UPDATE_MESSAGE: Discord's 3 s are
met whatever the database does), the vote goes to the core (`RatingService`, which decides whether it counts),
and the message's buttons get the group's new counts by an edit of the message, coalesced per message
(`Coalescer`) so that a burst of clicks is a few edits within Discord's limits. A click that cannot count gets its
sentence, for the clicker alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any, cast

import discord
from discord.http import Route

from paperboy.adapters.coalesce import UPDATE_SPACING, Coalescer
from paperboy.adapters.discord_commands import tell_privately
from paperboy.adapters.discord_embeds import RatingButton, rating_click, rating_rows
from paperboy.adapters.services import Services
from paperboy.errors import PaperboyError
from paperboy.models import ChannelRef, Platform
from paperboy.ratings import Click

log = logging.getLogger(__name__)


class DiscordRating:
    """Answers rating clicks for one client (`on_interaction`, added as its event handler)."""

    def __init__(self, services: Services, update_spacing: float = UPDATE_SPACING) -> None:
        self._services = services
        self.updates = Coalescer(update_spacing)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py hands every interaction here too (after the command tree and the search views): only
        rating buttons are answered."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: Mapping[str, Any] = cast(Mapping[str, Any], interaction.data or {})
        clicked = rating_click(str(data.get("custom_id", "")))
        if clicked is None:
            return
        button, rating = clicked
        try:
            await interaction.response.defer()  # at once; the counts follow by an edit
            await self._count(
                interaction, Click(button.ref, button.paper_id, _member(interaction), rating, *_where(interaction))
            )
        except PaperboyError as error:
            await _tell(interaction, str(error))
        except Exception:
            log.error("a rating click failed", exc_info=True)
            await _tell(
                interaction, "Something went wrong on paperboy's side; it is in paperboy's log. Please try again."
            )

    async def _count(self, interaction: discord.Interaction[Any], click: Click) -> None:
        if self._services.ratings is None:
            raise PaperboyError("Rating papers is not available in this paperboy.")
        await self._services.ratings.click(click)
        message = interaction.message
        if message is not None:
            update = partial(self._show_counts, interaction.client, click.ref, message)
            self.updates.request((message.channel.id, message.id), update)

    async def _show_counts(self, client: discord.Client, ref: ChannelRef, message: discord.Message) -> None:
        """Edit the message's buttons to show its papers' counts as they are now."""
        assert self._services.ratings is not None
        buttons = _rating_buttons(message)
        counts = await self._services.ratings.counts(ref, [b.paper_id for b in buttons])
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=message.channel.id,
            message_id=message.id,
        )
        await client.http.request(route, json={"components": rating_rows(buttons, counts)})


def _member(interaction: discord.Interaction[Any]) -> str:
    return str(interaction.user.id)


def _where(interaction: discord.Interaction[Any]) -> tuple[ChannelRef, bool]:
    """The channel the click came from (a thread's: its channel, as a long digest continues in a thread under
    its first message), and whether the member may react there: Discord keeps a member who is timed out from
    reacting, so their rating does not count either."""
    guild = str(interaction.guild_id) if interaction.guild_id else ""
    channel = interaction.channel
    channel_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
    clicked_in = ChannelRef(Platform.DISCORD, str(channel_id or ""), guild)
    user = interaction.user
    return clicked_in, not (isinstance(user, discord.Member) and user.is_timed_out())


def _rating_buttons(message: discord.Message) -> list[RatingButton]:
    """The papers the message has rating buttons for, in its order (one entry per paper: its 👍 button)."""
    found: list[RatingButton] = []
    for row in message.components:
        for child in getattr(row, "children", ()):
            clicked = rating_click(str(getattr(child, "custom_id", "") or ""))
            if clicked is not None and all(b.paper_id != clicked[0].paper_id for b in found):
                found.append(clicked[0])
    return found


async def _tell(interaction: discord.Interaction[Any], text: str) -> None:
    await tell_privately(interaction, text, "the clicker why their rating did not count")
