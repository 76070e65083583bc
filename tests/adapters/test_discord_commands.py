"""`/papers` in Discord: interactions built from payloads, dispatched through discord.py's command tree, answered
to a fake Discord REST API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands

from paperboy.adapters import discord_commands
from paperboy.adapters.command_table import COMMANDS, commands_on, syntax
from paperboy.adapters.discord_app import build_bot
from paperboy.adapters.services import Services
from paperboy.config import DigestSettings, DiscordSettings, Secret
from paperboy.delivery import DigestRunner
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Platform, Rating, Subscription
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.commands import BEFORE, discord_options
from tests.fakes.corpus import corpus_papers
from tests.fakes.discord import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER,
    TOKEN,
    FakeDiscord,
    autocomplete,
    button,
    command,
)

pytestmark = pytest.mark.asyncio
REF = ChannelRef(Platform.DISCORD, CHANNEL_ID, GUILD_ID)
EPHEMERAL = 64
ADMIN = MEMBER | MANAGE_CHANNELS
SEND_MESSAGES, EMBED_LINKS = 1 << 11, 1 << 14
EVERY_COMMAND = [command.name for command in commands_on(Platform.DISCORD)]
FEED_COMMANDS = [command.name for command in commands_on(Platform.DISCORD) if command.changes_feed]
REFUSED = "Changing this channel's papers needs the Manage Channels permission"
ADDRESS_REFUSED = (
    "Only members with the Manage Channels permission here may see this channel's feed address, since anyone "
    "holding it can read the channel's digests; ask one of them for it."
)
FEEDS = "https://paperboy.example.org"
PAPERS = corpus_papers()


@dataclass
class Answer:
    """What Discord received for one interaction: the callback, then any follow-ups."""

    callback: dict[str, Any]
    followups: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)

    @property
    def message(self) -> dict[str, Any]:
        """The message the caller sees: the follow-up after a deferral, else the callback's data."""
        return self.followups[-1] if self.callback["type"] == 5 else self.callback.get("data", {})

    @property
    def text(self) -> str:
        return str(self.message.get("content", ""))

    @property
    def ephemeral(self) -> bool:
        return bool(self.message.get("flags", 0) & EPHEMERAL)


@pytest_asyncio.fixture
async def services(store: Store) -> Services:
    await store.papers.upsert(corpus_papers())
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    return Services(
        papers=PaperService(store, today=lambda: clock.now().date()),
        subscriptions=SubscriptionService(store, DigestSettings(), clock, feed_base_url=FEEDS),
        digests=DigestRunner(store, {}, clock),
    )


@pytest_asyncio.fixture
async def bot(services: Services, discord_server: FakeDiscord) -> AsyncIterator[discord.Client]:
    client, _ = build_bot(services, DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url))
    await client.login(TOKEN)
    yield client
    await client.close()


async def run(bot: discord.Client, fake: FakeDiscord, payload: dict[str, Any]) -> Answer:
    """Dispatch one interaction as the gateway would, and wait for Discord to hear back."""
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    interaction_id, token = payload["id"], payload["token"]
    async with asyncio.timeout(10):
        while not fake.callbacks[interaction_id]:  # noqa: ASYNC110 - answered from a task of discord.py's
            await asyncio.sleep(0.005)
        callback = fake.callbacks[interaction_id][0]
        while callback["type"] == 5 and not fake.followups[token]:  # noqa: ASYNC110 - a deferral is followed up
            await asyncio.sleep(0.005)
        answer = Answer(callback, fake.followups[token], fake.created[token])
        # buttons are live only once discord.py has read Discord's answer and tracks the message's view, a
        # moment after the fake recorded it: a click before then would find no view
        followed_up = callback["type"] == 5 and answer.created and answer.message.get("components")
        tracked = answer.created[-1]["id"] if followed_up else None
        while tracked and not bot._connection._view_store.is_message_tracked(int(tracked)):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    return answer


async def test_help_answers_only_the_caller(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("help"))
    assert answer.ephemeral
    assert "/papers search" in answer.text


async def test_search_answers_with_an_embed_per_paper_and_paging_buttons(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    answer = await run(bot, discord_server, command("search", {"query": "diffusion"}))
    assert answer.ephemeral
    assert answer.text.startswith("Papers 1–5 for `diffusion`")
    assert len(answer.message["embeds"]) == 5
    assert all(e["url"].startswith("https://huggingface.co/papers/") for e in answer.message["embeds"])
    labels = [c["label"] for row in answer.message["components"] for c in row["components"]]
    assert labels == ["Previous", "Next", "Post to channel"]


async def test_next_replaces_the_answer_with_the_next_page(bot: discord.Client, discord_server: FakeDiscord) -> None:
    first = await run(bot, discord_server, command("search", {"query": "diffusion"}))
    next_id = first.message["components"][0]["components"][1]["custom_id"]
    shown = first.created[-1] | {"components": first.message["components"], "flags": EPHEMERAL}
    page = await run(bot, discord_server, button(next_id, shown))
    assert page.callback["type"] == 7  # UPDATE_MESSAGE: the same message, now page 2
    assert page.callback["data"]["content"].startswith("Papers 6–10 for `diffusion`")
    first_titles = {e["title"] for e in first.message["embeds"]}
    assert not first_titles & {e["title"] for e in page.callback["data"]["embeds"]}


async def test_post_to_channel_shares_the_page_saying_who(bot: discord.Client, discord_server: FakeDiscord) -> None:
    first = await run(bot, discord_server, command("search", {"query": "diffusion"}))
    post_id = first.message["components"][0]["components"][2]["custom_id"]
    shown = first.created[-1] | {"components": first.message["components"], "flags": EPHEMERAL}
    shared = await run(bot, discord_server, button(post_id, shown))
    assert shared.callback["type"] == 4 and not shared.ephemeral
    assert shared.text.startswith("<@1200000000000000001> shared: Papers 1–5")
    assert shared.message["allowed_mentions"]["parse"] == []


@pytest.mark.parametrize("missing", [SEND_MESSAGES, EMBED_LINKS], ids=["send messages", "embed links"])
async def test_post_to_channel_needs_what_posting_there_needs(
    bot: discord.Client, discord_server: FakeDiscord, missing: int
) -> None:
    first = await run(bot, discord_server, command("search", {"query": "diffusion"}))
    post_id = first.message["components"][0]["components"][2]["custom_id"]
    shown = first.created[-1] | {"components": first.message["components"], "flags": EPHEMERAL}
    refused = await run(bot, discord_server, button(post_id, shown, permissions=MEMBER & ~missing))
    assert refused.ephemeral
    assert refused.text == "Posting to this channel needs the Send Messages and Embed Links permissions here."


async def test_a_bad_query_gets_the_languages_message(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("search", {"query": "titel:diffusion"}))
    assert answer.ephemeral
    assert answer.text == 'unknown field "titel" at column 1 — did you mean "title"?'


async def test_a_bad_sort_is_named(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("search", {"query": "diffusion", "sort": "best"}))
    assert answer.text == '"best" is not a sort order; use relevance, upvotes or newest'


async def test_search_and_paper_work_in_a_dm(bot: discord.Client, discord_server: FakeDiscord) -> None:
    found = await run(bot, discord_server, command("search", {"query": "diffusion"}, guild=False))
    assert len(found.message["embeds"]) == 5
    url = found.message["embeds"][0]["url"]
    paper = await run(bot, discord_server, command("paper", {"id": url.rsplit("/", 1)[1]}, guild=False))
    assert paper.message["embeds"][0]["url"] == url


async def test_an_unknown_paper_id_is_said_in_words(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("paper", {"id": "not-an-id"}))
    assert answer.ephemeral
    assert "arXiv" in answer.text and "Traceback" not in answer.text


async def test_subscribe_with_manage_channels_is_announced_in_the_channel(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    options = {"time": "08:30", "timezone": "Europe/Berlin", "days": "mon-fri", "max": 5}
    answer = await run(bot, discord_server, command("subscribe", options, permissions=ADMIN))
    assert not answer.ephemeral
    assert answer.text.startswith("<@1200000000000000001> subscribed this channel: ")
    assert "08:30 Europe/Berlin, mon-fri" in answer.text
    subscription = await store.subscriptions.get(REF)
    assert subscription is not None and subscription.max_papers == 5


async def test_subscribe_without_manage_channels_is_refused_and_explained(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    answer = await run(bot, discord_server, command("subscribe", permissions=MEMBER))
    assert answer.ephemeral
    assert answer.text.startswith("Changing this channel's papers needs the Manage Channels permission")
    assert await store.subscriptions.get(REF) is None


async def test_feed_commands_are_refused_in_a_dm(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("subscribe", guild=False))
    assert answer.text.startswith("Channel feeds live in server channels")


async def test_a_bad_time_zone_is_said_in_words(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("subscribe", {"timezone": "Mars/Olympus"}, permissions=ADMIN))
    assert answer.ephemeral
    assert "Mars/Olympus" in answer.text


async def test_filter_set_show_and_clear(bot: discord.Client, discord_server: FakeDiscord) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    set_ = await run(
        bot, discord_server, command("filter set", {"query": '"flow matching" | diffusion -video'}, permissions=ADMIN)
    )
    assert set_.text.endswith('set this channel\'s filter to "flow matching" OR diffusion -video')
    shown = await run(bot, discord_server, command("filter show"))
    assert shown.ephemeral and shown.text == 'Filter: `"flow matching" OR diffusion -video`'
    await run(bot, discord_server, command("filter clear", permissions=ADMIN))
    cleared = await run(bot, discord_server, command("filter show"))
    assert cleared.text == "No filter: every new paper is posted."


async def test_filter_set_needs_manage_channels_but_show_does_not(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    refused = await run(bot, discord_server, command("filter set", {"query": "diffusion"}, permissions=MEMBER))
    assert refused.text.startswith("Changing this channel's papers needs the Manage Channels permission")
    shown = await run(bot, discord_server, command("filter show", permissions=MEMBER))
    assert shown.text == "No filter: every new paper is posted."


async def test_schedule_changes_when_the_digest_comes_and_says_so_in_the_channel(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", {"max": 5}, permissions=ADMIN))
    options = {"time": "07:15", "timezone": "Asia/Tokyo", "days": "daily"}
    answer = await run(bot, discord_server, command("schedule", options, permissions=ADMIN))
    assert not answer.ephemeral
    assert answer.text == "<@1200000000000000001> set this channel's digest to 07:15 Asia/Tokyo, daily"
    subscription = await store.subscriptions.get(REF)
    assert subscription is not None and subscription.schedule.describe() == "07:15 Asia/Tokyo, daily"
    assert subscription.max_papers == 5, "the other settings stay"


async def test_schedule_of_a_channel_not_subscribed_says_how(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("schedule", {"time": "07:15"}, permissions=ADMIN))
    assert answer.ephemeral
    assert "is not subscribed; subscribe it first" in answer.text


async def test_unsubscribe_settings_and_why(bot: discord.Client, discord_server: FakeDiscord) -> None:
    not_yet = await run(bot, discord_server, command("settings"))
    assert "not subscribed" in not_yet.text
    await run(bot, discord_server, command("subscribe", {"min_upvotes": 1000}, permissions=ADMIN))
    settings = await run(bot, discord_server, command("settings"))
    assert "at least 1000 upvotes" in settings.text
    paper_id = corpus_papers()[0].id
    why = await run(bot, discord_server, command("why", {"id": paper_id}))
    assert why.text.startswith("No: ")
    gone = await run(bot, discord_server, command("unsubscribe", permissions=ADMIN))
    assert gone.text.endswith("unsubscribed this channel from paperboy")


async def test_preview_shows_the_next_digest_to_the_caller(bot: discord.Client, discord_server: FakeDiscord) -> None:
    await run(bot, discord_server, command("subscribe", {"days": "daily"}, permissions=ADMIN))
    answer = await run(bot, discord_server, command("preview"))
    assert answer.ephemeral
    assert answer.text.startswith("Papers for")
    assert 1 <= len(answer.message["embeds"]) <= 10


async def test_subscribe_to_a_weekly_digest(bot: discord.Client, discord_server: FakeDiscord, store: Store) -> None:
    options = {"time": "08:30", "timezone": "Europe/Berlin", "days": "weekly on monday"}
    answer = await run(bot, discord_server, command("subscribe", options, permissions=ADMIN))
    assert "08:30 Europe/Berlin, weekly on mon" in answer.text
    subscription = await store.subscriptions.get(REF)
    assert subscription is not None and subscription.schedule.weekly and subscription.schedule.days == {0}
    settings = await run(bot, discord_server, command("settings"))
    assert settings.ephemeral and "08:30 Europe/Berlin, weekly on mon" in settings.text


async def test_schedule_makes_a_digest_weekly_and_says_so_in_the_channel(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    await run(bot, discord_server, command("subscribe", {"time": "09:00", "timezone": "UTC"}, permissions=ADMIN))
    answer = await run(bot, discord_server, command("schedule", {"days": "weekly:fri"}, permissions=ADMIN))
    assert not answer.ephemeral
    assert answer.text == "<@1200000000000000001> set this channel's digest to 09:00 UTC, weekly on fri"


async def test_a_weekly_schedule_of_two_days_is_refused_in_words(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", {"days": "mon-fri"}, permissions=ADMIN))
    answer = await run(bot, discord_server, command("schedule", {"days": "weekly on mon,fri"}, permissions=ADMIN))
    assert answer.ephemeral and '"weekly on mon" for a weekly digest' in answer.text
    subscription = await store.subscriptions.get(REF)
    assert subscription is not None and not subscription.schedule.weekly


async def test_preview_of_a_weekly_channel_shows_the_weeks_digest(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    await run(bot, discord_server, command("subscribe", {"days": "weekly on mon"}, permissions=ADMIN))
    answer = await run(bot, discord_server, command("preview"))
    assert answer.ephemeral and answer.text.startswith("Papers for the week to ")
    assert 1 <= len(answer.message["embeds"]) <= 10


async def test_days_complete_to_a_weekly_digest(bot: discord.Client, discord_server: FakeDiscord) -> None:
    days = await run(bot, discord_server, autocomplete("subscribe", {"days": "week"}, "days"))
    assert [c["value"] for c in days.callback["data"]["choices"]] == ["weekly on mon", "weekly on fri"]


async def test_time_zones_complete_from_what_was_typed(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, autocomplete("subscribe", {"timezone": "berl"}, "timezone"))
    assert answer.callback["type"] == 8
    assert [c["value"] for c in answer.callback["data"]["choices"]] == ["Europe/Berlin"]


async def test_time_zone_completion_stops_at_twenty_five(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, autocomplete("subscribe", {"timezone": "america"}, "timezone"))
    choices = [c["value"] for c in answer.callback["data"]["choices"]]
    assert len(choices) == 25 and all(c.startswith("America/") for c in choices)


async def test_schedule_completes_time_zones_and_days(bot: discord.Client, discord_server: FakeDiscord) -> None:
    zones = await run(bot, discord_server, autocomplete("schedule", {"timezone": "berl"}, "timezone"))
    assert [c["value"] for c in zones.callback["data"]["choices"]] == ["Europe/Berlin"]
    days = await run(bot, discord_server, autocomplete("schedule", {"days": "fri"}, "days"))
    assert "mon-fri" in [c["value"] for c in days.callback["data"]["choices"]]


async def test_sort_and_days_complete(bot: discord.Client, discord_server: FakeDiscord) -> None:
    sort = await run(bot, discord_server, autocomplete("search", {"query": "x", "sort": "up"}, "sort"))
    assert [c["value"] for c in sort.callback["data"]["choices"]] == ["upvotes"]
    days = await run(bot, discord_server, autocomplete("subscribe", {"days": "mon"}, "days"))
    assert "mon-fri" in [c["value"] for c in days.callback["data"]["choices"]]


async def test_every_description_fits_discords_limit() -> None:
    texts = [command.summary for command in COMMANDS] + [option.help for c in COMMANDS for option in c.options]
    assert all(0 < len(text) <= 100 for text in texts), "Discord takes descriptions of 1 to 100 characters"


async def test_the_discord_commands_are_the_command_tables(services: Services) -> None:
    _, tree = build_bot(services, DiscordSettings())
    [papers] = tree.get_commands()
    assert isinstance(papers, app_commands.Group)
    offered = {
        command.qualified_name.removeprefix("papers "): (
            command.description,
            [(p.name, p.required, p.description) for p in command.parameters],
        )
        for command in papers.walk_commands()
        if isinstance(command, app_commands.Command)
    }
    assert offered == {
        command.name: (command.summary, [(o.name, o.required, o.help) for o in command.options])
        for command in commands_on(Platform.DISCORD)
    }


async def test_help_shows_every_command_as_discord_takes_it(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("help"))
    assert all(f"`{syntax(c, Platform.DISCORD)}`" in answer.text for c in commands_on(Platform.DISCORD))


async def feed_url(store: Store) -> str:
    feed = await store.feeds.get(REF)
    assert feed is not None
    return f"{FEEDS}/feeds/{feed.token}.atom"


async def test_feed_show_gives_the_address_to_a_manager_alone(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    answer = await run(bot, discord_server, command("feed show", permissions=ADMIN))
    assert answer.ephemeral
    assert answer.text.startswith(f"This channel's Atom feed: {await feed_url(store)}\n")
    again = await run(bot, discord_server, command("feed show", permissions=ADMIN))
    assert await feed_url(store) in again.text, "the same address every time"


async def test_feed_show_is_refused_without_manage_channels_and_makes_no_address(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    answer = await run(bot, discord_server, command("feed show", permissions=MEMBER))
    assert answer.ephemeral and answer.text.startswith("Only members with") and "/feeds/" not in answer.text
    assert await store.feeds.get(REF) is None


async def test_feed_show_refusal_says_the_address_is_kept_from_members_because_it_reads_the_digests(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    answer = await run(bot, discord_server, command("feed show", permissions=MEMBER))
    assert answer.text == ADDRESS_REFUSED


async def test_feed_revoke_tells_the_channel_and_gives_the_new_address_to_the_caller_alone(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    await run(bot, discord_server, command("feed show", permissions=ADMIN))
    old = await feed_url(store)
    answer = await run(bot, discord_server, command("feed revoke", permissions=ADMIN))
    new = await feed_url(store)
    assert new != old
    assert not answer.ephemeral and "/feeds/" not in answer.text
    assert answer.text.endswith("gave this channel's Atom feed a new address; the old one no longer works")
    async with asyncio.timeout(10):
        while not answer.followups:  # noqa: ASYNC110 - the address follows the announcement
            await asyncio.sleep(0.005)
    [private] = answer.followups
    assert private["flags"] & EPHEMERAL and new in private["content"]


async def test_feed_show_of_a_channel_not_subscribed_says_how(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("feed show", permissions=ADMIN))
    assert answer.ephemeral and "is not subscribed; subscribe it first" in answer.text


# --- who may change a channel's feed, for every sub-command of the table ---------------------------------------


@pytest_asyncio.fixture
async def subscribed(services: Services, store: Store) -> Subscription:
    """The channel as an admin set it up, before each command runs."""
    await services.subscriptions.subscribe(REF, by="discord:1", **BEFORE)
    found = await store.subscriptions.get(REF)
    assert found is not None
    return found


@pytest.mark.parametrize("name", FEED_COMMANDS)
async def test_a_feed_command_without_manage_channels_is_refused_and_changes_nothing(
    bot: discord.Client, discord_server: FakeDiscord, store: Store, subscribed: Subscription, name: str
) -> None:
    answer = await run(bot, discord_server, command(name, discord_options(name), permissions=MEMBER))
    assert answer.ephemeral and answer.text.startswith(REFUSED)
    assert await store.subscriptions.get(REF) == subscribed


@pytest.mark.parametrize("name", FEED_COMMANDS)
async def test_a_feed_command_with_manage_channels_changes_the_feed(
    bot: discord.Client, discord_server: FakeDiscord, store: Store, subscribed: Subscription, name: str
) -> None:
    """What the refusal above kept from happening: the same command, by someone allowed, changes the feed."""
    answer = await run(bot, discord_server, command(name, discord_options(name), permissions=ADMIN))
    assert not answer.ephemeral, answer.text
    assert await store.subscriptions.get(REF) != subscribed


@pytest.mark.parametrize("name", EVERY_COMMAND)
async def test_no_command_lets_a_member_without_manage_channels_change_the_feed(
    bot: discord.Client, discord_server: FakeDiscord, store: Store, subscribed: Subscription, name: str
) -> None:
    """Also those the table says change nothing: a command wrongly said so would show here."""
    await run(bot, discord_server, command(name, discord_options(name), permissions=MEMBER))
    assert await store.subscriptions.get(REF) == subscribed


async def test_a_sub_command_the_table_does_not_know_needs_manage_channels(
    services: Services, discord_server: FakeDiscord
) -> None:
    client, tree = build_bot(services, DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url))
    papers = tree.get_command("papers")
    assert isinstance(papers, app_commands.Group)

    async def extra(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("ran")

    papers.add_command(app_commands.Command(name="extra", description="Not in the table", callback=extra))
    await client.login(TOKEN)
    try:
        refused = await run(client, discord_server, command("extra", permissions=MEMBER))
        allowed = await run(client, discord_server, command("extra", permissions=ADMIN))
    finally:
        await client.close()
    assert refused.text.startswith(REFUSED)
    assert allowed.text == "ran"


#: every View and Modal of discord_commands, and why its components cannot change a feed without permission:
#: a new one fails the test below until it is looked at and added here
VIEWS = {"SearchView": "pages privately; Post to channel posts a message, which its own test above checks"}


async def test_every_view_and_modal_is_known_to_these_tests() -> None:
    found = {
        name
        for name, value in vars(discord_commands).items()
        if isinstance(value, type)
        and issubclass(value, (discord.ui.View, discord.ui.Modal))
        and value.__module__ == discord_commands.__name__
    }
    assert found == set(VIEWS)


@pytest_asyncio.fixture
async def quick_bot(services: Services, discord_server: FakeDiscord) -> AsyncIterator[discord.Client]:
    settings = DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url)
    client, _ = build_bot(services, settings, view_timeout=0.3)
    await client.login(TOKEN)
    yield client
    await client.close()


async def test_search_buttons_are_taken_away_when_they_time_out(
    quick_bot: discord.Client, discord_server: FakeDiscord
) -> None:
    payload = command("search", {"query": "diffusion"})
    await run(quick_bot, discord_server, payload)
    edits = discord_server.followups[payload["token"]]
    async with asyncio.timeout(10):
        while len(edits) < 2:  # noqa: ASYNC110 - the view's own timer edits the answer
            await asyncio.sleep(0.02)
    assert edits[-1]["components"] == []


async def test_an_unexpected_failure_is_said_in_words_and_logged_with_its_traceback(
    bot: discord.Client, discord_server: FakeDiscord, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await store.close()  # the database goes away under the bot
    answer = await run(bot, discord_server, command("search", {"query": "diffusion"}))
    assert answer.ephemeral
    assert answer.text == "Something went wrong on paperboy's side; it is in paperboy's log. Please try again later."
    assert any(record.exc_info for record in caplog.records if record.message == "/papers failed")


@pytest.mark.parametrize(
    ("shards", "kind", "count"),
    [(1, discord.Client, None), (0, discord.AutoShardedClient, None), (4, discord.AutoShardedClient, 4)],
)
async def test_shards_choose_the_client(services: Services, shards: int, kind: type, count: int | None) -> None:
    client, _ = build_bot(services, DiscordSettings(shards=shards))
    assert type(client) is kind
    assert client.shard_count == count
    assert not client.intents.members and not client.intents.message_content and not client.intents.presences


async def test_shard_ids_connect_only_those_shards_of_the_total(services: Services) -> None:
    client, _ = build_bot(services, DiscordSettings(shards=4, shard_ids=(1, 3)))
    assert isinstance(client, discord.AutoShardedClient)
    assert (client.shard_ids, client.shard_count) == ([1, 3], 4)


async def test_search_by_an_id_alone_answers_that_paper(bot: discord.Client, discord_server: FakeDiscord) -> None:
    paper = corpus_papers()[4]
    answer = await run(bot, discord_server, command("search", {"query": f"https://arxiv.org/abs/{paper.id}v1"}))
    assert answer.text == f"Papers 1–1 for `https://arxiv.org/abs/{paper.id}v1`"
    assert [e["url"] for e in answer.message["embeds"]] == [f"https://huggingface.co/papers/{paper.id}"]


async def test_search_by_an_id_not_in_the_database_says_so(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("search", {"query": "2401.99999"}))
    assert answer.text.startswith("No papers match `2401.99999`.\n*Hint:* paper 2401.99999 is not in the database")


async def test_search_with_a_lower_case_or_asks_did_you_mean_or(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    answer = await run(bot, discord_server, command("search", {"query": "diffusion or video"}))
    assert answer.ephemeral
    assert '\n*Hint:* did you mean OR? "or" at column 11 is searched as a word' in answer.text


async def test_post_to_channel_leaves_the_askers_hints_out(bot: discord.Client, discord_server: FakeDiscord) -> None:
    first = await run(bot, discord_server, command("search", {"query": "diffusion or model"}))
    assert "*Hint:*" in first.text
    post_id = first.message["components"][0]["components"][2]["custom_id"]
    shown = first.created[-1] | {"components": first.message["components"], "flags": EPHEMERAL}
    shared = await run(bot, discord_server, button(post_id, shown))
    assert "Hint" not in shared.text


async def test_filter_set_with_a_lower_case_or_keeps_it_and_tells_the_caller(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    payload = command("filter set", {"query": 'diffusion or "flow matching"'}, permissions=ADMIN)
    set_ = await run(bot, discord_server, payload)
    assert set_.text.endswith('set this channel\'s filter to diffusion or "flow matching"')
    assert not set_.ephemeral and "Hint" not in set_.text
    async with asyncio.timeout(10):
        while not discord_server.followups[payload["token"]]:  # noqa: ASYNC110 - sent after the announcement
            await asyncio.sleep(0.005)
    [hint] = discord_server.followups[payload["token"]]
    assert hint["flags"] & EPHEMERAL
    assert hint["content"].startswith('*Hint:* did you mean OR? "or" at column 11 is searched as a word')


async def test_similar_pages_like_search_with_its_buttons(bot: discord.Client, discord_server: FakeDiscord) -> None:
    paper_id = corpus_papers()[2].id
    first = await run(bot, discord_server, command("similar", {"id": paper_id}))
    assert first.ephemeral and first.text.startswith(f"Papers 1–5 like `{paper_id}`")
    labels = [c["label"] for row in first.message["components"] for c in row["components"]]
    assert labels == ["Previous", "Next", "Post to channel"]
    next_id = first.message["components"][0]["components"][1]["custom_id"]
    shown = first.created[-1] | {"components": first.message["components"], "flags": EPHEMERAL}
    page = await run(bot, discord_server, button(next_id, shown))
    assert page.callback["data"]["content"].startswith(f"Papers 6–10 like `{paper_id}`")
    assert not {e["title"] for e in first.message["embeds"]} & {e["title"] for e in page.callback["data"]["embeds"]}


async def test_similar_to_an_unknown_paper_is_one_sentence(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, command("similar", {"id": "2912.99999"}))
    assert answer.ephemeral and answer.text.startswith("paper 2912.99999 is not in the database yet")


async def vote(store: Store, paper: int, member: str, rating: Rating) -> None:
    await Learner(store, FakeClock(datetime(2025, 1, 16, 7, 0, tzinfo=UTC))).rate(REF, PAPERS[paper], member, rating)


async def test_taste_show_says_what_the_channels_votes_taught(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    await vote(store, 0, "U1", Rating.UP)
    await vote(store, 1, "U2", Rating.DOWN)
    answer = await run(bot, discord_server, command("taste show", permissions=MEMBER))
    assert answer.ephemeral
    assert "Learned from 2 votes (1 👍, 1 👎) by 2 members" in answer.text and "For: " in answer.text


async def test_taste_show_without_votes_says_how_to_vote(bot: discord.Client, discord_server: FakeDiscord) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    answer = await run(bot, discord_server, command("taste show", permissions=MEMBER))
    assert answer.text.startswith("No votes yet")


async def test_taste_reset_forgets_the_votes_and_tells_the_channel(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    await vote(store, 0, "U1", Rating.UP)
    answer = await run(bot, discord_server, command("taste reset", permissions=ADMIN))
    assert not answer.ephemeral and answer.text.endswith(
        "forgot this channel's 1 vote: the digest is ordered by upvotes"
    )
    assert await store.votes.of_channel(REF) == []


async def test_taste_reset_is_refused_without_manage_channels(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", permissions=ADMIN))
    await vote(store, 0, "U1", Rating.UP)
    answer = await run(bot, discord_server, command("taste reset", permissions=MEMBER))
    assert answer.ephemeral and answer.text.startswith(REFUSED)
    assert len(await store.votes.of_channel(REF)) == 1


async def test_subscribe_sets_taste_and_its_weight(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await run(bot, discord_server, command("subscribe", {"taste": "off", "taste_weight": 2.5}, permissions=ADMIN))
    subscription = await store.subscriptions.get(REF)
    assert subscription is not None and (subscription.taste, subscription.taste_weight) == (False, 2.5)
