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

from paperboy.adapters.discord_app import build_bot
from paperboy.adapters.services import Services
from paperboy.config import DigestSettings, DiscordSettings, Secret
from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, Platform
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
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
        subscriptions=SubscriptionService(store, DigestSettings(), clock),
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


async def test_time_zones_complete_from_what_was_typed(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, autocomplete("subscribe", {"timezone": "berl"}, "timezone"))
    assert answer.callback["type"] == 8
    assert [c["value"] for c in answer.callback["data"]["choices"]] == ["Europe/Berlin"]


async def test_time_zone_completion_stops_at_twenty_five(bot: discord.Client, discord_server: FakeDiscord) -> None:
    answer = await run(bot, discord_server, autocomplete("subscribe", {"timezone": "america"}, "timezone"))
    choices = [c["value"] for c in answer.callback["data"]["choices"]]
    assert len(choices) == 25 and all(c.startswith("America/") for c in choices)


async def test_sort_and_days_complete(bot: discord.Client, discord_server: FakeDiscord) -> None:
    sort = await run(bot, discord_server, autocomplete("search", {"query": "x", "sort": "up"}, "sort"))
    assert [c["value"] for c in sort.callback["data"]["choices"]] == ["upvotes"]
    days = await run(bot, discord_server, autocomplete("subscribe", {"days": "mon"}, "days"))
    assert "mon-fri" in [c["value"] for c in days.callback["data"]["choices"]]


async def test_every_command_and_option_has_a_description(services: Services) -> None:
    _, tree = build_bot(services, DiscordSettings())
    [papers] = [command.to_dict(tree) for command in tree.get_commands()]

    def described(entry: dict[str, Any]) -> list[str]:
        missing = [] if entry.get("description", "").strip() not in ("", "…") else [entry["name"]]
        for option in entry.get("options", []):
            missing += described(option)
        return missing

    assert described(papers) == []
    assert {o["name"] for o in papers["options"]} == {
        "search",
        "paper",
        "subscribe",
        "unsubscribe",
        "filter",
        "preview",
        "why",
        "settings",
        "help",
    }


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
