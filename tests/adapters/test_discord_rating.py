"""Rating a bot digest's papers in Discord: component interactions dispatched as the gateway delivers them,
votes kept in the store, and the counts shown by an edit of the digest message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord.http import HTTPClient

from paperboy.adapters.discord import DiscordSink, point_at
from paperboy.adapters.discord_app import build_bot
from paperboy.adapters.services import Services
from paperboy.config import DigestSettings, DiscordSettings, Secret
from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, Platform, Rating, VoteCount
from paperboy.ratings import RatingService
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, TOKEN, USER, FakeDiscord, button

pytestmark = pytest.mark.asyncio
REF = ChannelRef(Platform.DISCORD, CHANNEL_ID, GUILD_ID)
EPHEMERAL = 64
DEFERRED_UPDATE = 6
MEMBER_ID = str(USER["id"])


@pytest_asyncio.fixture
async def services(store: Store, discord_server: FakeDiscord) -> AsyncIterator[Services]:
    """A channel subscribed, and its digest of three papers posted by the bot."""
    await store.papers.upsert(corpus_papers())
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    subscriptions = SubscriptionService(store, DigestSettings(), clock)
    await subscriptions.subscribe(REF, by="discord:1", max_papers=3)
    point_at(discord_server.api_url)
    sink = DiscordSink(HTTPClient(asyncio.get_running_loop()), TOKEN)
    digests = DigestRunner(store, {Platform.DISCORD: sink}, clock)
    await digests.run_now(REF)
    yield Services(
        papers=PaperService(store, today=lambda: clock.now().date()),
        subscriptions=subscriptions,
        digests=digests,
        ratings=RatingService(store, clock),
    )
    await sink.close()


@pytest_asyncio.fixture
async def bot(services: Services, discord_server: FakeDiscord) -> AsyncIterator[discord.Client]:
    settings = DiscordSettings(token=Secret(TOKEN), api_base_url=discord_server.api_url)
    client, _ = build_bot(services, settings, update_spacing=0.05)
    await client.login(TOKEN)
    yield client
    await client.close()


def the_digest(fake: FakeDiscord) -> dict[str, Any]:
    [message] = fake.messages[CHANNEL_ID]
    return message


def labels(message: dict[str, Any]) -> list[str]:
    return [c["label"] for row in message.get("components", []) for c in row["components"]]


def custom_id(message: dict[str, Any], label: str) -> str:
    return next(str(c["custom_id"]) for row in message["components"] for c in row["components"] if c["label"] == label)


#: the digest as it was posted, before any edit (set for each test): the buttons' labels and ids to click
the_digest_cache: list[dict[str, Any]] = []


def paper(number: int) -> str:
    """The paper the digest lists `number`-th (from 1): the last part of its buttons' custom_id."""
    return str(custom_id(the_digest_cache[0], f"{number} 👍").split(":", 5)[5])


async def click(
    bot: discord.Client, fake: FakeDiscord, label: str, user: str = MEMBER_ID, **where: Any
) -> dict[str, Any]:
    """Click the digest's button labelled `label` (as first posted) as `user`; the interaction's payload."""
    posted = the_digest(fake)
    payload = button(custom_id(the_digest_cache[0], label), fake.returned(CHANNEL_ID, posted), **where)
    if "member" in payload:
        payload["member"] = payload["member"] | {"user": USER | {"id": user}}
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await until(lambda: bool(fake.callbacks[payload["id"]]))
    return payload


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - answered from discord.py's tasks
            await asyncio.sleep(0.005)


async def shown(fake: FakeDiscord, wanted: list[str]) -> None:
    await until(lambda: labels(the_digest(fake)) == wanted)


async def told(fake: FakeDiscord, payload: dict[str, Any]) -> str:
    """The sentence the clicker alone was told."""
    await until(lambda: bool(fake.followups[payload["token"]]))
    [said] = fake.followups[payload["token"]]
    assert said["flags"] & EPHEMERAL
    return str(said["content"])


@pytest.fixture(autouse=True)
def first_digest(services: Services, discord_server: FakeDiscord) -> None:
    """The digest as it was posted, before any edit: the buttons' labels and ids to click."""
    the_digest_cache[:] = [dict(the_digest(discord_server))]


FRESH = ["1 👍", "1 👎", "2 👍", "2 👎", "3 👍", "3 👎"]


async def test_the_digest_numbers_its_papers_and_gives_each_two_buttons(discord_server: FakeDiscord) -> None:
    posted = the_digest(discord_server)
    assert labels(posted) == FRESH
    assert [len(row["components"]) for row in posted["components"]] == [4, 2]
    assert [e["title"].split(" · ")[0] for e in posted["embeds"]] == ["1", "2", "3"]


async def test_a_click_is_deferred_at_once_stored_and_counted_on_the_message(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    payload = await click(bot, discord_server, "2 👍")
    assert discord_server.callbacks[payload["id"]][0]["type"] == DEFERRED_UPDATE
    await shown(discord_server, ["1 👍", "1 👎", "2 👍 1", "2 👎", "3 👍", "3 👎"])
    assert await store.votes.mine(REF, paper(2), MEMBER_ID) is Rating.UP
    [edit] = discord_server.edits[CHANNEL_ID]
    assert edit["id"] == the_digest(discord_server)["id"]


async def test_the_same_rating_again_withdraws_it(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    await click(bot, discord_server, "1 👎")
    await shown(discord_server, ["1 👍", "1 👎 1", *FRESH[2:]])
    await click(bot, discord_server, "1 👎")
    await shown(discord_server, FRESH)
    assert await store.votes.mine(REF, paper(1), MEMBER_ID) is None


async def test_the_other_rating_changes_it(bot: discord.Client, discord_server: FakeDiscord, store: Store) -> None:
    await click(bot, discord_server, "3 👍")
    await shown(discord_server, [*FRESH[:4], "3 👍 1", "3 👎"])
    await click(bot, discord_server, "3 👎")
    await shown(discord_server, [*FRESH[:4], "3 👍", "3 👎 1"])
    assert await store.votes.counts(REF, [paper(3)]) == {paper(3): VoteCount(up=0, down=1)}


async def test_members_clicking_at_once_all_count(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    members = [f"12000000000000000{k:02d}" for k in range(10, 15)]
    await asyncio.gather(*(click(bot, discord_server, "1 👍", user=member) for member in members))
    await shown(discord_server, ["1 👍 5", *FRESH[1:]])
    assert await store.votes.counts(REF, [paper(1)]) == {paper(1): VoteCount(up=5)}


async def test_a_timed_out_member_cannot_rate(bot: discord.Client, discord_server: FakeDiscord, store: Store) -> None:
    until_then = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    posted = the_digest(discord_server)
    payload = button(custom_id(posted, "1 👍"), discord_server.returned(CHANNEL_ID, posted))
    payload["member"] = payload["member"] | {"communication_disabled_until": until_then}
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    assert "You cannot rate papers in this channel right now" in await told(discord_server, payload)
    assert await store.votes.of_channel(REF) == []


async def test_a_click_after_unsubscribing_is_told_why_it_does_not_count(
    bot: discord.Client, discord_server: FakeDiscord, services: Services, store: Store
) -> None:
    await services.subscriptions.unsubscribe(REF)
    payload = await click(bot, discord_server, "1 👍")
    assert "no longer subscribed" in await told(discord_server, payload)
    assert discord_server.edits[CHANNEL_ID] == []


async def test_a_click_on_a_paper_paperboy_does_not_know_is_told_so(
    bot: discord.Client, discord_server: FakeDiscord
) -> None:
    posted = the_digest(discord_server)
    forged = f"pbr:{GUILD_ID}:{CHANNEL_ID}:1:u:1999.99999"
    payload = button(forged, discord_server.returned(CHANNEL_ID, posted))
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    assert await told(discord_server, payload) == (
        "paperboy does not know paper 1999.99999 (any more), so it cannot be rated."
    )


async def test_a_click_in_a_dm_does_not_vote_for_the_channel(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    payload = await click(bot, discord_server, "1 👍", guild=False)
    assert "another channel's digest" in await told(discord_server, payload)
    assert await store.votes.of_channel(REF) == []


async def test_a_click_in_the_thread_a_long_digest_continues_in_counts_for_the_channel(
    bot: discord.Client, discord_server: FakeDiscord, store: Store
) -> None:
    thread = "1100000000000000077"
    posted = the_digest(discord_server)
    discord_server.messages[thread].append(posted)  # the part posted in the thread under the digest's first message
    payload = button(custom_id(posted, "2 👎"), discord_server.returned(thread, posted))
    where = {
        "id": thread,
        "type": 11,
        "guild_id": GUILD_ID,
        "parent_id": CHANNEL_ID,
        "owner_id": "800000000000000002",
        "name": "digest",
        "message_count": 1,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2025-01-16T12:00:00",
        },
    }
    payload |= {"channel_id": thread, "channel": where, "message": payload["message"] | {"channel_id": thread}}
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await until(lambda: bool(discord_server.edits[thread]))
    assert await store.votes.mine(REF, paper(2), MEMBER_ID) is Rating.DOWN
    assert labels(discord_server.messages[thread][0])[3] == "2 👎 1"
