"""Digests through the Discord bot: embeds within limits, nonces that stop a repeat, refusals that pause."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from discord.http import HTTPClient

from paperboy.adapters.discord import DiscordSink, nonce, point_at
from paperboy.config import DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.errors import ChannelUnavailable, DeliveryError, PayloadRejected
from paperboy.models import ChannelRef, DigestState, Platform
from paperboy.pace import Pace
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.digests import digest
from tests.fakes.discord import (
    INVALID_FORM_BODY,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    TOKEN,
    TOO_LARGE,
    UNKNOWN_CHANNEL,
    FakeDiscord,
)

pytestmark = pytest.mark.asyncio
CHANNEL = "1100000000000000001"
GUILD = "1000000000000000001"
REF = ChannelRef(Platform.DISCORD, CHANNEL, GUILD)


@pytest_asyncio.fixture
async def sink(discord_server: FakeDiscord) -> AsyncIterator[DiscordSink]:
    point_at(discord_server.api_url)
    opened = DiscordSink(HTTPClient(asyncio.get_running_loop()), TOKEN)
    yield opened
    await opened.close()


async def test_a_digest_is_posted_as_embeds_with_a_nonce_per_part(
    sink: DiscordSink, discord_server: FakeDiscord
) -> None:
    sent = digest(CHANNEL, n=25, id=41, ref=REF)
    ids = await sink.send(sent)
    posted = discord_server.messages[CHANNEL]
    assert [len(m["embeds"]) for m in posted] == [10, 10, 5]
    assert [m["nonce"] for m in posted] == [nonce(sent, part) for part in range(3)]
    assert all(m["enforce_nonce"] for m in posted)
    assert list(ids) == [m["id"] for m in posted]


async def test_a_part_sent_again_with_its_nonce_is_not_posted_twice(
    sink: DiscordSink, discord_server: FakeDiscord
) -> None:
    sent = digest(CHANNEL, n=3, id=42, ref=REF)
    first = await sink.send(sent)
    again = await sink.send(sent)
    assert again == first
    assert len(discord_server.messages[CHANNEL]) == 1


async def test_a_digest_interrupted_after_discord_took_it_is_not_posted_again_after_restart(
    db_path: Path, sink: DiscordSink, discord_server: FakeDiscord
) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    async with await Store.open(db_path) as store:
        await store.papers.upsert(corpus_papers())
        await SubscriptionService(store, DigestSettings(), clock).subscribe(REF, by="test", max_papers=3)
        # Discord took the message, then the process died before the ledger recorded it
        planned = await store.ledger.plan(REF, date(2025, 1, 16), [p.id for p in corpus_papers()[:3]], [], clock.now())
        assert planned is not None
        await store.ledger.mark(planned.id, DigestState.SENDING)
        await sink.send(digest(CHANNEL, n=3, id=planned.id, ref=REF))
        clock.advance(timedelta(minutes=1))
        [outcome] = await DigestRunner(store, {Platform.DISCORD: sink}, clock).run_due()
    assert outcome.result is Result.SENT
    assert len(discord_server.messages[CHANNEL]) == 1


@pytest.mark.parametrize(
    ("refusal", "words"),
    [
        (MISSING_ACCESS, "cannot see the channel (Missing Access)"),
        (MISSING_PERMISSIONS, "lacks a permission in the channel (Missing Permissions)"),
        (UNKNOWN_CHANNEL, "the channel no longer exists"),
    ],
)
async def test_a_refused_channel_pauses_its_subscription_alone(
    db_path: Path, sink: DiscordSink, discord_server: FakeDiscord, refusal: tuple[int, int, str], words: str
) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    other = ChannelRef(Platform.DISCORD, "1100000000000000002", GUILD)
    discord_server.refuse[CHANNEL] = refusal
    async with await Store.open(db_path) as store:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in (REF, other):
            await service.subscribe(ref, by="test", max_papers=2)
        await DigestRunner(store, {Platform.DISCORD: sink}, clock).run_now()
        paused = {s.ref: s.paused_reason for s in await service.list()}
    assert paused[REF] is not None and words in paused[REF]
    assert paused[other] is None
    assert len(discord_server.messages[other.channel]) == 1


async def test_a_refusal_is_a_channel_unavailable_error(sink: DiscordSink, discord_server: FakeDiscord) -> None:
    discord_server.refuse[CHANNEL] = UNKNOWN_CHANNEL
    with pytest.raises(ChannelUnavailable):
        await sink.send(digest(CHANNEL, id=1, ref=REF))


@pytest.mark.parametrize("rejection", [INVALID_FORM_BODY, TOO_LARGE], ids=["400 50035", "413"])
async def test_a_message_discord_rejects_is_paperboys_fault_not_the_channels(
    sink: DiscordSink, discord_server: FakeDiscord, rejection: tuple[int, int, str]
) -> None:
    discord_server.refuse[CHANNEL] = rejection
    with pytest.raises(PayloadRejected, match=f"\\({rejection[0]}: .*{rejection[2]}.*a bug in paperboy"):
        await sink.send(digest(CHANNEL, id=2, ref=REF))
    assert len(discord_server.requests_to(f"/api/v10/channels/{CHANNEL}/messages")) == 1


async def test_a_rate_limit_from_discord_is_waited_out(sink: DiscordSink, discord_server: FakeDiscord) -> None:
    discord_server.rate_limit_next = 2
    await sink.send(digest(CHANNEL, id=43, ref=REF))
    assert len(discord_server.messages[CHANNEL]) == 1
    assert len(discord_server.requests_to(f"/api/v10/channels/{CHANNEL}/messages")) == 3


async def test_a_long_digest_can_continue_in_a_thread(discord_server: FakeDiscord) -> None:
    point_at(discord_server.api_url)
    threaded = DiscordSink(HTTPClient(asyncio.get_running_loop()), TOKEN, continue_in_thread=True)
    try:
        await threaded.send(digest(CHANNEL, n=15, id=44, ref=REF))
    finally:
        await threaded.close()
    [first] = discord_server.messages[CHANNEL]
    [thread] = [channel for channel in discord_server.messages if channel != CHANNEL]
    assert len(first["embeds"]) == 10 and len(discord_server.messages[thread][0]["embeds"]) == 5


async def test_a_token_discord_refuses_is_said_without_showing_it(discord_server: FakeDiscord) -> None:
    point_at(discord_server.api_url)
    wrong = DiscordSink(HTTPClient(asyncio.get_running_loop()), "not-the-token")
    try:
        with pytest.raises(DeliveryError) as error:
            await wrong.send(digest(CHANNEL, id=45, ref=REF))
    finally:
        await wrong.close()
    assert str(error.value) == "Discord does not accept discord.token; copy the bot token again"
    assert discord_server.messages == {}


async def test_every_request_to_discord_waits_its_turn_in_the_shared_pace(discord_server: FakeDiscord) -> None:
    async def four_processes() -> int:
        return 4

    point_at(discord_server.api_url)
    pace = Pace(200, four_processes, refresh=0.05)  # a quarter of 200 a second: one request every 20 ms
    paced = DiscordSink(HTTPClient(asyncio.get_running_loop()), TOKEN, pace=pace)
    try:
        for n in range(5):
            await paced.send(digest(f"11000000000000000{n:02d}", n=2, id=50 + n, ref=REF))
    finally:
        await paced.close()
    times = discord_server.rate.times()
    assert len(times) == 6, "the login and five messages"
    assert times[-1] - times[0] >= 5 * 0.02 * 0.9, "five intervals of 20 ms at least"
