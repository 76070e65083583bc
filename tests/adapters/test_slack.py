"""Digests through the Slack bot: Block Kit with metadata, refusals that pause, 429s, and no repeat after a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.slack import EVENT_TYPE, SlackSink
from paperboy.adapters.slack_tokens import ConfiguredToken
from paperboy.config import DeliverySettings, DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.errors import ChannelUnavailable, DeliveryError, PayloadRejected, fault_of
from paperboy.errors import Fault as Fault_
from paperboy.models import ChannelRef, DigestState, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.digests import digest
from tests.fakes.server import Fault
from tests.fakes.slack import TOKEN, FakeSlack

pytestmark = pytest.mark.asyncio
CHANNEL = "C0123"


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.api_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])


#: tries as paperboy makes them, with short waits
RETRY = DeliverySettings(attempts=3, backoff=timedelta(milliseconds=500), max_wait=timedelta(seconds=2))


def bot(
    slack: FakeSlack,
    *,
    continue_in_thread: bool = False,
    web: AsyncWebClient | None = None,
    retry: DeliverySettings = RETRY,
) -> SlackSink:
    """A sink speaking with the configured bot token, as `slack.bot_token` sets it up."""
    web = web or client(slack)
    return SlackSink(web, ConfiguredToken(web, TOKEN), continue_in_thread=continue_in_thread, retry=retry)


async def test_a_digest_is_posted_with_blocks_a_fallback_and_metadata(slack_server: FakeSlack) -> None:
    sent = digest(CHANNEL, n=3, id=7, ref=ChannelRef(Platform.SLACK, CHANNEL, "T0456"))
    ids = await bot(slack_server).send(sent)
    [message] = slack_server.messages[CHANNEL]
    assert ids == (message["ts"],)
    assert message["text"] == "Papers for Thu 16 Jan 2025: 3 new papers"
    assert message["blocks"][0]["type"] == "header"
    assert message["unfurl_links"] is False and message["unfurl_media"] is False
    assert message["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"digest": 7, "part": 0}}


async def test_a_long_digest_goes_out_in_several_messages_within_the_block_limit(slack_server: FakeSlack) -> None:
    # 30 papers of three blocks each (section, context, 👍/👎): two messages of at most 50 blocks
    ids = await bot(slack_server).send(digest(CHANNEL, n=30, id=8, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(ids) == len(slack_server.messages[CHANNEL]) == 2
    parts = [m["metadata"]["event_payload"]["part"] for m in slack_server.messages[CHANNEL]]
    assert parts == [0, 1]


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("not_in_channel", "invite it with /invite @paperboy"),
        ("channel_not_found", "the channel no longer exists"),
        ("is_archived", "the channel is archived"),
    ],
)
async def test_a_refusal_for_good_is_a_channel_unavailable(slack_server: FakeSlack, error: str, says: str) -> None:
    slack_server.refuse[CHANNEL] = error
    with pytest.raises(ChannelUnavailable, match=says):
        await bot(slack_server).send(digest(CHANNEL, ref=ChannelRef(Platform.SLACK, CHANNEL)))


async def test_a_message_slack_calls_invalid_is_paperboys_fault_and_tried_once(slack_server: FakeSlack) -> None:
    slack_server.max_blocks = 2
    with pytest.raises(PayloadRejected, match=r"\(invalid_blocks\); this is a bug in paperboy"):
        await bot(slack_server).send(digest(CHANNEL, n=3, id=11, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.requests_to("/api/chat.postMessage")) == 1


async def test_a_429_beyond_max_wait_is_left_for_the_next_run(slack_server: FakeSlack) -> None:
    slack_server.fail_next("/api/chat.postMessage", Fault(429, headers={"Retry-After": "30"}))
    patient = bot(slack_server, web=AsyncWebClient(base_url=slack_server.api_url))  # no SDK handler to wait it out
    async with asyncio.timeout(5):
        with pytest.raises(DeliveryError, match="Slack asks paperboy to wait 30s before posting"):
            await patient.send(digest(CHANNEL, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.requests_to("/api/chat.postMessage")) == 1


async def test_a_429_is_waited_out_and_the_message_posted_once(slack_server: FakeSlack) -> None:
    slack_server.fail_next("/api/chat.postMessage", Fault(429, headers={"Retry-After": "1"}))
    await bot(slack_server).send(digest(CHANNEL, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.messages[CHANNEL]) == 1


async def test_a_lost_answer_on_the_last_try_counts_as_maybe_sent(slack_server: FakeSlack) -> None:
    slow = AsyncWebClient(base_url=slack_server.api_url, timeout=1)
    slack_server.fail_next("/api/chat.postMessage", Fault(delay=3))
    once = DeliverySettings(attempts=1)
    with pytest.raises(DeliveryError) as error:
        await bot(slack_server, web=slow, retry=once).send(digest(CHANNEL, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert error.value.maybe_sent


async def test_a_server_error_is_tried_again_after_a_wait(slack_server: FakeSlack) -> None:
    slack_server.fail_next("/api/chat.postMessage", Fault(503), Fault(500))
    await bot(slack_server).send(digest(CHANNEL, id=7, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.messages[CHANNEL]) == 1
    assert len(slack_server.requests_to("/api/chat.postMessage")) == 3


async def test_an_outage_page_instead_of_slacks_json_is_tried_again(slack_server: FakeSlack) -> None:
    slack_server.fail_next("/api/chat.postMessage", Fault(500, text="internal error"))
    await bot(slack_server).send(digest(CHANNEL, id=9, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.messages[CHANNEL]) == 1


async def test_an_outage_page_on_every_try_is_a_passing_failure(slack_server: FakeSlack) -> None:
    slack_server.fail_next("/api/chat.postMessage", *[Fault(502, text="<html>Bad Gateway</html>")] * 4)
    with pytest.raises(DeliveryError) as error:
        await bot(slack_server).send(digest(CHANNEL, id=10, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert fault_of(error.value) is Fault_.RETRYABLE and "502" in str(error.value)


async def test_a_part_slack_posted_without_answering_in_time_is_not_posted_again(slack_server: FakeSlack) -> None:
    slow = AsyncWebClient(base_url=slack_server.api_url, timeout=1)
    slack_server.fail_next("/api/chat.postMessage", Fault(delay=1.3))  # posts after the client gave up
    await bot(slack_server, web=slow).send(digest(CHANNEL, id=8, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert len(slack_server.messages[CHANNEL]) == 1, "found in the history before the second try"
    assert len(slack_server.requests_to("/api/chat.postMessage")) == 1


async def test_a_digest_slack_already_holds_is_not_posted_again_after_a_crash(
    db_path: Path, slack_server: FakeSlack
) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    ref = ChannelRef(Platform.SLACK, CHANNEL, "T0456")
    async with await Store.open(db_path) as store:
        await store.papers.upsert(corpus_papers())
        await SubscriptionService(store, DigestSettings(), clock).subscribe(ref, by="test", max_papers=3)
        # the process posted the digest, then died before it recorded so: the ledger still says "sending"
        planned = await store.ledger.plan(ref, date(2025, 1, 16), [p.id for p in corpus_papers()[:3]], [], clock.now())
        assert planned is not None
        await store.ledger.mark(planned.id, DigestState.SENDING)
        await bot(slack_server).send(digest(CHANNEL, n=3, id=planned.id, ref=ref))
        clock.advance(timedelta(minutes=1))
        [outcome] = await DigestRunner(store, {Platform.SLACK: bot(slack_server)}, clock).run_due()
    assert outcome.result is Result.SENT
    assert len(slack_server.messages[CHANNEL]) == 1, "found in the channel's history, not posted twice"


async def test_a_long_digest_can_continue_in_a_thread(slack_server: FakeSlack) -> None:
    sink = bot(slack_server, continue_in_thread=True)
    await sink.send(digest(CHANNEL, n=30, id=9, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    first, second = slack_server.messages[CHANNEL]
    assert "thread_ts" not in first or first["thread_ts"] is None
    assert second["thread_ts"] == first["ts"]


async def test_a_revoked_token_pauses_every_channel_of_the_workspace(db_path: Path, slack_server: FakeSlack) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    first, second = ChannelRef(Platform.SLACK, "C0001", "T0456"), ChannelRef(Platform.SLACK, "C0002", "T0456")
    elsewhere = ChannelRef(Platform.SLACK, "C0003", "T0999")
    slack_server.refuse["C0001"] = "token_revoked"
    async with await Store.open(db_path) as store:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in (first, second, elsewhere):
            await service.subscribe(ref, by="test", max_papers=2)
        await DigestRunner(store, {Platform.SLACK: bot(slack_server)}, clock).run_now(first)
        paused = {s.ref: s.paused_reason for s in await service.list()}
    assert (
        paused[first]
        == paused[second]
        == "Slack refused paperboy in this workspace: paperboy's Slack token was revoked; reinstall the app"
    )
    assert paused[elsewhere] is None


async def test_a_channel_paced_by_slack_gets_every_part(slack_server: FakeSlack) -> None:
    slack_server.channel_interval = 1.0  # Slack allows about one message a second per channel
    await bot(slack_server).send(digest(CHANNEL, n=30, id=10, ref=ChannelRef(Platform.SLACK, CHANNEL)))
    assert [m["metadata"]["event_payload"]["part"] for m in slack_server.messages[CHANNEL]] == [0, 1]
    assert len(slack_server.requests_to("/api/chat.postMessage")) == 3, "the second part waited out one 429"


async def test_a_channel_of_another_workspace_than_the_bot_tokens_is_paused_not_sent(
    db_path: Path, slack_server: FakeSlack
) -> None:
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    ours, theirs = ChannelRef(Platform.SLACK, "C0001", "T0456"), ChannelRef(Platform.SLACK, "C0002", "T0999")
    async with await Store.open(db_path) as store:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in (ours, theirs):
            await service.subscribe(ref, by="test", max_papers=2)
        await DigestRunner(store, {Platform.SLACK: bot(slack_server)}, clock).run_now()
        paused = {s.ref: s.paused_reason for s in await service.list()}
    assert list(slack_server.messages) == ["C0001"]
    assert paused[ours] is None
    assert paused[theirs] is not None
    assert "in Slack workspace T0999, but slack.bot_token belongs to workspace T0456" in paused[theirs]
