"""Rating a bot digest's papers in Slack: signed button clicks through the bolt app, votes kept in the store,
and the counts shown on the digest message by chat.update."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.services import Services
from paperboy.adapters.slack import SlackSink
from paperboy.adapters.slack_app import build_slack_app
from paperboy.adapters.slack_blocks import RATE_DOWN, RATE_UP
from paperboy.adapters.slack_tokens import ConfiguredToken
from paperboy.config import DigestSettings
from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, Platform, Rating, VoteCount
from paperboy.ratings import RatingService
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

pytestmark = pytest.mark.asyncio
SECRET = "signing-secret-for-tests"
CHANNEL = "C0123"
REF = ChannelRef(Platform.SLACK, CHANNEL, "T0456")
_names = count(1)


@pytest_asyncio.fixture
async def services(store: Store, slack_server: FakeSlack) -> Services:
    """A channel subscribed, and its digest of three papers posted by the bot."""
    await store.papers.upsert(corpus_papers())
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    subscriptions = SubscriptionService(store, DigestSettings(), clock)
    await subscriptions.subscribe(REF, by="U0", max_papers=3)
    web = AsyncWebClient(base_url=slack_server.api_url)
    digests = DigestRunner(store, {Platform.SLACK: SlackSink(web, ConfiguredToken(web, TOKEN))}, clock)
    await digests.run_now(REF)
    return Services(
        papers=PaperService(store, today=lambda: clock.now().date()),
        subscriptions=subscriptions,
        digests=digests,
        ratings=RatingService(store, clock),
    )


@pytest_asyncio.fixture
async def app(services: Services, slack_server: FakeSlack) -> AsyncIterator[AsyncApp]:
    web = AsyncWebClient(base_url=slack_server.api_url)
    yield build_slack_app(services, web, SECRET, token=TOKEN, update_spacing=0.05)


def the_digest(slack: FakeSlack) -> dict[str, Any]:
    [message] = slack.messages[CHANNEL]
    return message


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def button(message: dict[str, Any], paper: int, action_id: str) -> dict[str, Any]:
    """The 👍 or 👎 of the message's `paper`-th paper (from 0)."""
    return [b for b in buttons(message) if b["action_id"] == action_id][paper]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in buttons(message)]


def paper_of(element: dict[str, Any]) -> str:
    return str(json.loads(element["value"])["p"])


async def click(
    app: AsyncApp,
    slack: FakeSlack,
    element: dict[str, Any],
    user: str = "U1",
    channel: str = CHANNEL,
) -> tuple[int, str]:
    """Click a button of the digest message as `user`: the status of the ack, and the response URL's name."""
    name = f"v{next(_names)}"
    message = the_digest(slack)
    payload = {
        "type": "block_actions",
        "team": {"id": "T0456"},
        "user": {"id": user, "team_id": "T0456"},
        "channel": {"id": channel},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "response_url": slack.response_url(name),
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
        "message": {"type": "message", "ts": message["ts"], "text": message["text"], "blocks": message["blocks"]},
        "actions": [{**element, "block_id": "b", "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=dict(signed_headers(body, SECRET))))
    return response.status, name


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the handler's own task does the work after the ack
            await asyncio.sleep(0.005)


async def shown(slack: FakeSlack, wanted: list[str]) -> None:
    """Wait until the digest message shows `wanted` as its button labels."""
    await until(lambda: labels(the_digest(slack)) == wanted)


async def answer(slack: FakeSlack, name: str) -> str:
    await until(lambda: bool(slack.responses[name]))
    [said] = slack.responses[name]
    assert said["response_type"] == "ephemeral"
    return str(said["text"])


async def test_a_thumbs_up_is_acknowledged_stored_and_counted_on_the_message(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    up = button(the_digest(slack_server), 0, RATE_UP)
    status, _ = await click(app, slack_server, up)
    assert status == 200
    await shown(slack_server, ["👍 1", "👎", "👍", "👎", "👍", "👎"])
    assert await store.votes.mine(REF, paper_of(up), "U1") is Rating.UP
    [update] = slack_server.updates[CHANNEL]
    assert update["ts"] == the_digest(slack_server)["ts"]


async def test_the_same_rating_again_withdraws_it(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    up = button(the_digest(slack_server), 0, RATE_UP)
    await click(app, slack_server, up)
    await shown(slack_server, ["👍 1", "👎", "👍", "👎", "👍", "👎"])
    await click(app, slack_server, up)
    await shown(slack_server, ["👍", "👎", "👍", "👎", "👍", "👎"])
    assert await store.votes.mine(REF, paper_of(up), "U1") is None


async def test_the_other_rating_changes_it(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    message = the_digest(slack_server)
    await click(app, slack_server, button(message, 1, RATE_UP))
    await shown(slack_server, ["👍", "👎", "👍 1", "👎", "👍", "👎"])
    await click(app, slack_server, button(message, 1, RATE_DOWN))
    await shown(slack_server, ["👍", "👎", "👍", "👎 1", "👍", "👎"])
    assert await store.votes.counts(REF, [paper_of(button(message, 1, RATE_UP))]) == {
        paper_of(button(message, 1, RATE_UP)): VoteCount(up=0, down=1)
    }


async def test_two_members_clicking_at_once_both_count(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    up = button(the_digest(slack_server), 2, RATE_UP)
    await asyncio.gather(*(click(app, slack_server, up, user=user) for user in ("U1", "U2", "U3")))
    await shown(slack_server, ["👍", "👎", "👍", "👎", "👍 3", "👎"])
    assert await store.votes.counts(REF, [paper_of(up)]) == {paper_of(up): VoteCount(up=3)}


async def test_a_double_click_never_counts_twice(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    up = button(the_digest(slack_server), 0, RATE_UP)
    await asyncio.gather(click(app, slack_server, up), click(app, slack_server, up))

    async def agreed() -> bool:
        """The message shows what the store holds, and the store never holds two votes of one member."""
        counted = (await store.votes.counts(REF, [paper_of(up)])).get(paper_of(up), VoteCount())
        assert counted.up in (0, 1)
        first = labels(the_digest(slack_server))[0]
        return bool(slack_server.updates[CHANNEL]) and first == (f"👍 {counted.up}" if counted.up else "👍")

    async with asyncio.timeout(10):
        while not await agreed():  # noqa: ASYNC110 - the clicks' own tasks vote and update after the acks
            await asyncio.sleep(0.005)


async def test_a_click_after_unsubscribing_is_told_why_it_does_not_count(
    app: AsyncApp, slack_server: FakeSlack, services: Services, store: Store
) -> None:
    await services.subscriptions.unsubscribe(REF)
    _, name = await click(app, slack_server, button(the_digest(slack_server), 0, RATE_UP))
    assert "no longer subscribed" in await answer(slack_server, name)
    assert await store.votes.of_channel(REF) == []


async def test_a_click_on_a_paper_paperboy_does_not_know_is_told_so(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    forged = button(the_digest(slack_server), 0, RATE_UP) | {
        "value": json.dumps({"w": "T0456", "c": CHANNEL, "p": "1999.99999"})
    }
    _, name = await click(app, slack_server, forged)
    said = await answer(slack_server, name)
    assert said == "paperboy does not know paper 1999.99999 (any more), so it cannot be rated."
    assert await store.votes.of_channel(REF) == []


async def test_a_paper_the_channel_was_not_given_cannot_be_rated(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    given = {paper_of(b) for b in buttons(the_digest(slack_server))}
    other = next(p.id for p in corpus_papers() if p.id not in given)
    forged = button(the_digest(slack_server), 0, RATE_UP) | {
        "value": json.dumps({"w": "T0456", "c": CHANNEL, "p": other})
    }
    _, name = await click(app, slack_server, forged)
    assert "was not in this channel's digest" in await answer(slack_server, name)


async def test_a_click_from_another_channel_does_not_vote_for_this_one(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    _, name = await click(app, slack_server, button(the_digest(slack_server), 0, RATE_UP), channel="C0999")
    assert "another channel's digest" in await answer(slack_server, name)
    assert await store.votes.of_channel(REF) == []
