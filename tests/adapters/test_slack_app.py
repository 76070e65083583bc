"""`/papers` in Slack: signed slash commands dispatched through the bolt app, answered via a fake Slack."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.command_table import commands_on, syntax
from paperboy.adapters.services import Services
from paperboy.adapters.slack_app import build_slack_app, change_policy, check_tokens
from paperboy.adapters.slack_blocks import code
from paperboy.adapters.slack_commands import HANDLERS
from paperboy.config import DigestSettings
from paperboy.delivery import DigestRunner
from paperboy.learning import Learner
from paperboy.models import ChannelRef, PauseCause, Platform, Rating, Subscription
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.commands import BEFORE, slack_text
from tests.fakes.corpus import corpus_papers
from tests.fakes.running import HangingServer, free_port
from tests.fakes.server import Fault
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

pytestmark = pytest.mark.asyncio
SECRET = "signing-secret-for-tests"
CHANNEL = "C0123"
REF = ChannelRef(Platform.SLACK, CHANNEL, "T0456")
FEEDS = "https://paperboy.example.org"
_names = count(1)


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
async def app(services: Services, slack_server: FakeSlack) -> AsyncIterator[AsyncApp]:
    yield build_slack_app(services, AsyncWebClient(base_url=slack_server.api_url), SECRET, token=TOKEN)


def signed(body: str, *, secret: str = SECRET, age: float = 0) -> AsyncBoltRequest:
    return AsyncBoltRequest(body=body, headers=dict(signed_headers(body, secret, age)))


async def papers(app: AsyncApp, slack: FakeSlack, text: str, user: str = "U1") -> dict[str, Any]:
    """Run `/papers <text>` and return the answer posted to the response URL."""
    name = f"r{next(_names)}"
    body = urlencode(
        {
            "command": "/papers",
            "text": text,
            "team_id": "T0456",
            "channel_id": CHANNEL,
            "user_id": user,
            "response_url": slack.response_url(name),
            "trigger_id": "1.2.3",
        }
    )
    response = await app.async_dispatch(signed(body))
    assert response.status == 200
    async with asyncio.timeout(10):
        while not slack.responses[name]:  # noqa: ASYNC110 - the answer follows the ack
            await asyncio.sleep(0.005)
    [answer] = slack.responses[name]
    return answer


async def announcements(slack: FakeSlack, at_least: int = 1) -> list[dict[str, Any]]:
    """The messages posted in the channel, once there are `at_least`: an announcement may reach Slack after the
    command's answer does."""
    async with asyncio.timeout(10):
        while len(slack.messages[CHANNEL]) < at_least:  # noqa: ASYNC110 - posted by the handler's own task
            await asyncio.sleep(0.005)
    return list(slack.messages[CHANNEL])


def text_of(answer: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in answer.get("blocks", []) if b.get("text")) or answer["text"]


async def test_slack_answers_exactly_the_command_tables_sub_commands() -> None:
    assert list(HANDLERS) == [command.name for command in commands_on(Platform.SLACK)]


async def test_help_shows_every_command_as_slack_takes_it(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "help")
    assert answer["response_type"] == "ephemeral"
    assert "`/papers search &lt;query&gt; [sort:relevance|upvotes|newest]`" in text_of(answer)
    assert all(code(syntax(c, Platform.SLACK)) in text_of(answer) for c in commands_on(Platform.SLACK))


async def test_search_answers_the_caller_with_a_section_per_paper(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, 'search title:diffusion -"text-to-image"')
    sections = [b for b in answer["blocks"] if b["type"] == "section"]
    assert 1 <= len(sections) <= 5
    assert all("diffusion" in s["text"]["text"].lower() for s in sections)
    assert answer["response_type"] == "ephemeral"
    assert slack_server.messages == {}, "nothing posted in the channel"


async def test_a_bad_query_gets_the_languages_message_and_the_usage(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, 'search "flow')
    assert text_of(answer) == (
        'unclosed quote at column 1; add the closing "\n_Usage:_ `/papers search &lt;query&gt; '
        "[sort:relevance|upvotes|newest]`"
    )


async def test_more_of_a_digest_that_does_not_exist_says_so(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search more:123")
    assert text_of(answer).startswith("there is no digest 123; more: takes the number")


async def test_search_takes_a_sort_order_among_the_words(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search model sort:upvotes")
    shown = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    upvotes = [int(text.split("▲ ")[1].split()[0]) for text in shown]
    assert len(upvotes) == 5 and upvotes == sorted(upvotes, reverse=True)
    assert "for `model`" in answer["blocks"][0]["elements"][0]["text"], "the option is not part of the query"


async def test_more_results_keep_the_sort_order(app: AsyncApp, slack_server: FakeSlack) -> None:
    first = await papers(app, slack_server, "search model sort:newest")
    [more] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert json.loads(more["value"]) == {"q": "model", "offset": 5, "sort": "newest"}


async def test_a_bad_sort_order_is_named(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search model sort:best")
    assert text_of(answer).startswith('"best" is not a sort order; use relevance, upvotes or newest')


async def test_an_unknown_sub_command_is_named(app: AsyncApp, slack_server: FakeSlack) -> None:
    assert text_of(await papers(app, slack_server, "frobnicate")).startswith("I don't know `frobnicate`. Try:")


async def test_subscribe_answers_and_announces_in_the_channel(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "subscribe 08:30 Europe/Berlin mon-fri")
    assert text_of(answer).startswith("Subscribed: slack:T0456/C0123: 08:30 Europe/Berlin, mon-fri")
    [note] = await announcements(slack_server)
    assert note["text"].startswith("<@U1> subscribed this channel: ")


async def test_subscribe_takes_max_and_min_upvotes(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "subscribe 08:30 max:5 min_upvotes:20")
    assert "08:30 UTC" in text_of(answer)
    assert "up to 5 papers; at least 20 upvotes" in text_of(answer)


async def test_a_number_that_is_not_one_is_named(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "subscribe max:lots")
    assert text_of(answer).startswith('max must be a whole number, like max:5, not "lots"\n_Usage:_ `/papers subscribe')
    assert slack_server.messages == {}


async def test_a_word_that_is_no_option_is_refused(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe")
    answer = await papers(app, slack_server, "unsubscribe now")
    assert text_of(answer).startswith('"now" is none of the options of /papers unsubscribe')
    assert len(await announcements(slack_server)) == 1, "only the subscription was announced"


async def test_filter_set_show_and_clear(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe")
    set_ = await papers(app, slack_server, 'filter set "flow matching" | diffusion NOT video', user="U2")
    assert text_of(set_) == 'Filter set: `"flow matching" OR diffusion -video`'
    shown = await papers(app, slack_server, "filter show")
    assert text_of(shown) == 'Filter: `"flow matching" OR diffusion -video`'
    assert text_of(await papers(app, slack_server, "filter clear")) == "Filter cleared."
    announced = [m["text"] for m in await announcements(slack_server, 2)]
    assert announced[1] == '<@U2> set this channel\'s filter to `"flow matching" OR diffusion -video`'


async def test_filter_without_set_or_show_is_still_understood(app: AsyncApp, slack_server: FakeSlack) -> None:
    """The forms Slack had before `filter set` and `filter show`."""
    await papers(app, slack_server, "subscribe")
    assert text_of(await papers(app, slack_server, "filter diffusion -video")) == "Filter set: `diffusion -video`"
    assert text_of(await papers(app, slack_server, "filter")) == "Filter: `diffusion -video`"


async def test_a_channel_not_subscribed_is_told_how(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "filter")
    assert "is not subscribed; subscribe it first" in text_of(answer)


async def test_unsubscribing_a_channel_not_subscribed_says_there_is_nothing_to_undo(
    app: AsyncApp, slack_server: FakeSlack
) -> None:
    answer = await papers(app, slack_server, "unsubscribe")
    assert "slack:T0456/C0123 is not subscribed, so there is nothing to unsubscribe" in text_of(answer)


async def test_preview_and_why(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe 09:00 UTC daily")
    preview = await papers(app, slack_server, "preview")
    assert preview["blocks"][0]["type"] == "header"
    paper = corpus_papers()[0]
    why = await papers(app, slack_server, f"why {paper.id}")
    assert text_of(why).startswith(("Yes: ", "No: "))


async def test_a_paused_channel_is_told_so_by_preview_why_and_settings(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    await papers(app, slack_server, "subscribe 09:00 UTC daily")
    ref = ChannelRef(Platform.SLACK, CHANNEL, "T0456")
    await store.subscriptions.pause(ref, "the channel is archived", PauseCause.CHANNEL, datetime.now(UTC))
    said = "paused: the channel is archived"
    assert said in text_of(await papers(app, slack_server, "preview"))
    assert said in text_of(await papers(app, slack_server, f"why {corpus_papers()[0].id}"))
    assert "PAUSED: the channel is archived" in text_of(await papers(app, slack_server, "settings"))


async def test_schedule_and_settings(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe")
    assert text_of(await papers(app, slack_server, "schedule 07:15 Asia/Tokyo daily")) == (
        "Schedule: 07:15 Asia/Tokyo, daily"
    )
    assert "07:15 Asia/Tokyo, daily" in text_of(await papers(app, slack_server, "settings"))


async def test_subscribe_takes_a_weekly_digest_in_words(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "subscribe weekly on monday 08:30 Europe/Berlin max:5")
    assert text_of(answer).startswith("Subscribed: slack:T0456/C0123: 08:30 Europe/Berlin, weekly on mon;")
    [note] = await announcements(slack_server)
    assert "08:30 Europe/Berlin, weekly on mon" in note["text"]


async def test_schedule_makes_a_digest_weekly_and_settings_show_it(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe 09:00 UTC daily")
    assert text_of(await papers(app, slack_server, "schedule weekly:fri")) == "Schedule: 09:00 UTC, weekly on fri"
    assert "09:00 UTC, weekly on fri" in text_of(await papers(app, slack_server, "settings"))
    assert text_of(await papers(app, slack_server, "schedule mon-fri")) == "Schedule: 09:00 UTC, mon-fri"


async def test_a_weekly_schedule_that_does_not_read_is_explained(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe")
    answer = await papers(app, slack_server, "schedule weekly on funday")
    assert text_of(answer).startswith(
        'days: "weekly on funday" is not a weekly schedule; write "weekly on" and one day'
    )


async def test_preview_of_a_weekly_channel_shows_the_weeks_digest(app: AsyncApp, slack_server: FakeSlack) -> None:
    await papers(app, slack_server, "subscribe weekly on mon 09:00 UTC")
    preview = await papers(app, slack_server, "preview")
    assert preview["blocks"][0]["text"]["text"].startswith("Papers for the week to Thu 16 Jan 2025: ")


async def test_a_wrong_signature_is_refused(app: AsyncApp) -> None:
    body = urlencode({"command": "/papers", "text": "help", "team_id": "T0456", "channel_id": CHANNEL})
    assert (await app.async_dispatch(signed(body, secret="not-the-secret"))).status == 401


async def test_a_stale_request_is_refused(app: AsyncApp) -> None:
    body = urlencode({"command": "/papers", "text": "help", "team_id": "T0456", "channel_id": CHANNEL})
    assert (await app.async_dispatch(signed(body, age=6 * 60))).status == 401


async def press(app: AsyncApp, slack: FakeSlack, action_id: str, value: str) -> dict[str, Any]:
    """Press a button under an answer; the response posted back."""
    name = f"a{next(_names)}"
    payload = {
        "type": "block_actions",
        "team": {"id": "T0456"},
        "user": {"id": "U1"},
        "channel": {"id": CHANNEL},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "response_url": slack.response_url(name),
        "container": {"type": "message", "message_ts": "1.0"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    assert (await app.async_dispatch(signed(body))).status == 200
    async with asyncio.timeout(10):
        while not slack.responses[name] and not slack.messages.get(CHANNEL):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)
    return slack.responses[name][0] if slack.responses[name] else {}


async def test_more_results_replaces_the_answer_with_the_next_page(app: AsyncApp, slack_server: FakeSlack) -> None:
    first = await papers(app, slack_server, "search model")
    [more] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert more["text"]["text"] == "More results"
    second = await press(app, slack_server, more["action_id"], more["value"])
    assert second["replace_original"] is True
    assert second["blocks"][0]["elements"][0]["text"].startswith("Papers 6–10 for `model`")
    titles = lambda answer: [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]  # noqa: E731
    assert not set(titles(first)) & set(titles(second))


async def test_post_to_channel_shares_the_paper_saying_who(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search model")
    button = next(b["accessory"] for b in answer["blocks"] if b["type"] == "section")
    await press(app, slack_server, button["action_id"], button["value"])
    [shared] = await announcements(slack_server)
    assert shared["blocks"][0]["type"] == "header"
    assert shared["blocks"][-1]["elements"][0]["text"] == "shared by <@U1>"


@pytest_asyncio.fixture
async def restricted_app(store: Store, slack_server: FakeSlack) -> AsyncIterator[AsyncApp]:
    await store.papers.upsert(corpus_papers())
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    client = AsyncWebClient(base_url=slack_server.api_url)
    slack_server.users = {"UADMIN": {"is_admin": True}, "UMEMBER": {"is_admin": False}, "UFRIEND": {}}
    services = Services(
        papers=PaperService(store),
        subscriptions=SubscriptionService(store, DigestSettings(), clock),
        digests=DigestRunner(store, {}, clock),
    )
    policy = change_policy(restricted=True, allowed=("UFRIEND",))
    yield build_slack_app(services, client, SECRET, token=TOKEN, policy=policy)


async def test_restricted_changes_refuse_a_member(restricted_app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(restricted_app, slack_server, "subscribe", user="UMEMBER")
    assert text_of(answer).startswith("Only workspace admins and owners")
    assert slack_server.messages == {}


@pytest.mark.parametrize("user", ["UADMIN", "UFRIEND"])
async def test_restricted_changes_allow_admins_and_listed_users(
    restricted_app: AsyncApp, slack_server: FakeSlack, user: str
) -> None:
    assert text_of(await papers(restricted_app, slack_server, "subscribe", user=user)).startswith("Subscribed")


async def test_restricted_changes_still_let_anyone_search_and_read(
    restricted_app: AsyncApp, slack_server: FakeSlack
) -> None:
    await papers(restricted_app, slack_server, "subscribe", user="UADMIN")
    assert text_of(await papers(restricted_app, slack_server, "filter", user="UMEMBER")).startswith("No filter")
    assert "Papers 1–" in str(await papers(restricted_app, slack_server, "search model", user="UMEMBER"))


async def test_slack_failing_at_start_is_no_verdict_on_the_token(
    slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack_server.fail_next("/api/auth.test", Fault(500, text="internal error"))
    client = AsyncWebClient(token=TOKEN, base_url=slack_server.api_url)
    await check_tokens(client, None)  # no ConfigError: paperboy goes on and Slack is asked again later
    assert "Slack failed to check slack.bot_token (http_500); going on" in caplog.text


async def feed_url(store: Store) -> str:
    feed = await store.feeds.get(REF)
    assert feed is not None
    return f"{FEEDS}/feeds/{feed.token}.atom"


async def test_feed_gives_the_address_to_the_caller_alone(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    await papers(app, slack_server, "subscribe")
    await announcements(slack_server)
    answer = await papers(app, slack_server, "feed")
    assert text_of(answer).startswith(f"This channel's Atom feed: <{await feed_url(store)}>\n")
    assert "`/papers feed revoke`" in text_of(answer)
    assert text_of(await papers(app, slack_server, "feed show")) == text_of(answer), "the same address every time"
    assert len(slack_server.messages[CHANNEL]) == 1, "only the subscription was announced"


async def test_feed_revoke_tells_the_channel_and_gives_the_new_address_to_the_caller_alone(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    await papers(app, slack_server, "subscribe")
    await papers(app, slack_server, "feed")
    old = await feed_url(store)
    answer = await papers(app, slack_server, "feed revoke", user="U2")
    new = await feed_url(store)
    assert new != old and new in text_of(answer) and old not in text_of(answer)
    note = (await announcements(slack_server, 2))[1]["text"]
    assert note == "<@U2> gave this channel's Atom feed a new address; the old one no longer works"


async def test_restricted_feed_show_refuses_a_member_and_makes_no_address(
    restricted_app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    await papers(restricted_app, slack_server, "subscribe", user="UADMIN")
    answer = await papers(restricted_app, slack_server, "feed", user="UMEMBER")
    assert text_of(answer).startswith("Only workspace admins and owners") and "/feeds/" not in text_of(answer)
    assert await store.feeds.get(REF) is None
    allowed = await papers(restricted_app, slack_server, "feed", user="UADMIN")
    assert "/feeds/" in text_of(allowed)


@pytest.mark.parametrize("text", ["feed", "feed show"])
async def test_restricted_feed_show_refusal_says_the_address_is_kept_from_members_because_it_reads_the_digests(
    restricted_app: AsyncApp, slack_server: FakeSlack, text: str
) -> None:
    await papers(restricted_app, slack_server, "subscribe", user="UADMIN")
    answer = await papers(restricted_app, slack_server, text, user="UMEMBER")
    assert text_of(answer) == (
        "Only workspace admins and owners (and the people paperboy's operator named) may see this channel's feed "
        "address, since anyone holding it can read the channel's digests; ask one of them for it."
    )


# --- who may change a channel's feed, for every sub-command of the table ---------------------------------------

FEED_COMMANDS = [command.name for command in commands_on(Platform.SLACK) if command.changes_feed]


@pytest_asyncio.fixture
async def subscribed(store: Store) -> Subscription:
    """The channel as an admin set it up, before each command runs."""
    await SubscriptionService(store, DigestSettings()).subscribe(REF, by="UADMIN", **BEFORE)
    found = await store.subscriptions.get(REF)
    assert found is not None
    return found


@pytest.mark.parametrize("name", FEED_COMMANDS)
async def test_restricted_changes_refuse_a_member_every_feed_command(
    restricted_app: AsyncApp, slack_server: FakeSlack, store: Store, subscribed: Subscription, name: str
) -> None:
    answer = await papers(restricted_app, slack_server, slack_text(name), user="UMEMBER")
    assert text_of(answer).startswith("Only workspace admins and owners")
    assert await store.subscriptions.get(REF) == subscribed
    assert slack_server.messages == {}, "nothing announced"


@pytest.mark.parametrize("name", FEED_COMMANDS)
async def test_restricted_changes_let_an_admin_run_every_feed_command(
    restricted_app: AsyncApp, slack_server: FakeSlack, store: Store, subscribed: Subscription, name: str
) -> None:
    """What the refusal above kept from happening: the same command, by an admin, changes the feed."""
    await papers(restricted_app, slack_server, slack_text(name), user="UADMIN")
    assert await store.subscriptions.get(REF) != subscribed
    assert await announcements(slack_server), "the change is announced"


@pytest.mark.parametrize("name", [command.name for command in commands_on(Platform.SLACK)])
async def test_no_command_lets_a_restricted_member_change_the_feed(
    restricted_app: AsyncApp, slack_server: FakeSlack, store: Store, subscribed: Subscription, name: str
) -> None:
    """Also those the table says change nothing: a command wrongly said so would show here."""
    await papers(restricted_app, slack_server, slack_text(name), user="UMEMBER")
    assert await store.subscriptions.get(REF) == subscribed


# --- Slack out of reach: the user is told what can be told, the log has a line each -----------------------------


def slash_body(text: str, response_url: str, user: str = "U1") -> str:
    return urlencode(
        {
            "command": "/papers",
            "text": text,
            "team_id": "T0456",
            "channel_id": CHANNEL,
            "user_id": user,
            "response_url": response_url,
        }
    )


async def test_a_response_url_that_hangs_is_given_up_on_in_bounded_time(
    services: Services, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_slack_app(
        services, AsyncWebClient(base_url=slack_server.api_url), SECRET, token=TOKEN, respond_within=0.5
    )
    async with HangingServer() as hanging:
        started = time.monotonic()
        response = await app.async_dispatch(signed(slash_body("help", f"http://127.0.0.1:{hanging.port}/response/x")))
        assert response.status == 200
        async with asyncio.timeout(10):
            while "/papers help (T0456/C0123)" not in caplog.text:  # noqa: ASYNC110 - said by bolt's listener task
                await asyncio.sleep(0.01)
    assert time.monotonic() - started < 3
    [line] = [r for r in caplog.records if "/papers help" in r.getMessage()]
    assert line.getMessage() == "/papers help (T0456/C0123): Slack's response_url did not answer within 0.5 s"
    assert (line.levelno, line.exc_info) == (logging.WARNING, None)


async def test_a_restricted_change_while_slack_is_away_asks_to_try_again(
    services: Services, slack_server: FakeSlack
) -> None:
    """Who may change the feed is Slack's to say: out of reach, it is no refusal, but "try again"."""
    away = AsyncWebClient(base_url=f"http://127.0.0.1:{free_port()}/api/")
    policy = change_policy(restricted=True, allowed=())
    app = build_slack_app(services, away, SECRET, token=TOKEN, policy=policy)
    assert (await app.async_dispatch(signed(slash_body("subscribe", slack_server.response_url("away"))))).status == 200
    async with asyncio.timeout(10):
        while not slack_server.responses["away"]:  # noqa: ASYNC110 - the answer follows the ack
            await asyncio.sleep(0.01)
    said = text_of(slack_server.responses["away"][0])
    assert said.startswith("paperboy cannot ask Slack who may change this channel's papers right now (Slack cannot")
    assert "try again in a few minutes" in said


async def test_a_bug_is_logged_with_its_traceback_and_the_user_told(
    services: Services, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(client: AsyncWebClient, user_id: str) -> bool:
        raise RuntimeError("a bug in a policy")

    app = build_slack_app(services, AsyncWebClient(base_url=slack_server.api_url), SECRET, token=TOKEN, policy=broken)
    assert (await app.async_dispatch(signed(slash_body("subscribe", slack_server.response_url("bug"))))).status == 200
    async with asyncio.timeout(10):
        while not slack_server.responses["bug"]:  # noqa: ASYNC110 - the answer follows the ack
            await asyncio.sleep(0.01)
    assert text_of(slack_server.responses["bug"][0]).startswith("Something went wrong on paperboy's side")
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.getMessage() == "/papers subscribe (T0456/C0123) failed"
    assert line.levelno == logging.ERROR and line.exc_info is not None


async def test_slack_out_of_reach_at_start_is_named_with_its_address(caplog: pytest.LogCaptureFixture) -> None:
    client = AsyncWebClient(token=TOKEN, base_url="http://127.0.0.1:9/api/")
    await check_tokens(client, None)  # no ConfigError: paperboy goes on and Slack is asked again later
    assert (
        "cannot reach Slack at http://127.0.0.1:9 (connection refused) to check slack.bot_token; going on"
        in caplog.text
    )


def hints_of(answer: dict[str, Any]) -> list[str]:
    return [
        element["text"]
        for block in answer.get("blocks", [])
        if block["type"] == "context"
        for element in block["elements"]
        if element["text"].startswith("_Hint:_ ")
    ]


async def test_search_by_an_id_alone_answers_that_paper(app: AsyncApp, slack_server: FakeSlack) -> None:
    paper = corpus_papers()[4]
    answer = await papers(app, slack_server, f"search arXiv:{paper.id}")
    sections = [b for b in answer["blocks"] if b["type"] == "section"]
    assert len(sections) == 1 and f"https://huggingface.co/papers/{paper.id}" in sections[0]["text"]["text"]
    assert hints_of(answer) == []


async def test_search_by_an_id_not_in_the_database_says_so(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search https://huggingface.co/papers/2401.99999")
    assert text_of(answer) == "No papers match `https://huggingface.co/papers/2401.99999`."
    [hint] = hints_of(answer)
    assert hint.startswith("_Hint:_ paper 2401.99999 is not in the database yet")


async def test_search_with_a_lower_case_or_asks_did_you_mean_or(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "search diffusion or video")
    [hint] = hints_of(answer)
    assert hint.startswith('_Hint:_ did you mean OR? "or" at column 11 is searched as a word')


async def test_filter_set_with_a_lower_case_or_keeps_it_and_tells_the_caller(
    app: AsyncApp, slack_server: FakeSlack
) -> None:
    await papers(app, slack_server, "subscribe")
    set_ = await papers(app, slack_server, 'filter set diffusion or "flow matching"', user="U2")
    assert text_of(set_) == 'Filter set: `diffusion or "flow matching"`'
    [hint] = hints_of(set_)
    assert hint.startswith('_Hint:_ did you mean OR? "or" at column 11 is searched as a word')
    announced = [m["text"] for m in await announcements(slack_server, 2)]
    assert announced[1] == '<@U2> set this channel\'s filter to `diffusion or "flow matching"`'


SIMILAR_TO = corpus_papers()[2].id


async def test_similar_answers_the_caller_with_the_papers_like_one(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, f"similar arXiv:{SIMILAR_TO}v1")
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["elements"][0]["text"].startswith(f"Papers 1–5 like `arXiv:{SIMILAR_TO}v1`")
    sections = [b for b in answer["blocks"] if b["type"] == "section"]
    assert len(sections) == 5 and all(s["accessory"]["text"]["text"] == "Post to channel" for s in sections)
    assert all(s["accessory"]["value"] != SIMILAR_TO for s in sections)


async def test_more_results_of_similar_page_on(app: AsyncApp, slack_server: FakeSlack) -> None:
    first = await papers(app, slack_server, f"similar {SIMILAR_TO}")
    [more] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert json.loads(more["value"]) == {"like": SIMILAR_TO, "offset": 5}
    second = await press(app, slack_server, more["action_id"], more["value"])
    assert second["blocks"][0]["elements"][0]["text"].startswith(f"Papers 6–10 like `{SIMILAR_TO}`")
    titles = lambda answer: [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]  # noqa: E731
    assert not set(titles(first)) & set(titles(second))


async def test_similar_to_an_unknown_paper_is_said_with_the_usage(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "similar 2912.99999")
    assert text_of(answer).startswith("paper 2912.99999 is not in the database yet")
    assert text_of(answer).endswith("_Usage:_ `/papers similar &lt;id&gt;`")


async def rate(store: Store, paper: int, member: str, rating: Rating) -> None:
    papers_ = corpus_papers()
    await Learner(store, FakeClock(datetime(2025, 1, 16, 7, 0, tzinfo=UTC))).rate(REF, papers_[paper], member, rating)


async def test_taste_alone_shows_what_the_votes_taught(app: AsyncApp, slack_server: FakeSlack, store: Store) -> None:
    await papers(app, slack_server, "subscribe")
    await rate(store, 0, "U1", Rating.UP)
    await rate(store, 0, "U2", Rating.UP)
    answer = text_of(await papers(app, slack_server, "taste"))
    assert answer.startswith("Learned from 2 votes (2 👍, 0 👎) by 2 members")
    assert "with weight 1 (1: as much as upvotes)" in answer


async def test_taste_reset_forgets_the_votes_and_tells_the_channel(
    app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    await papers(app, slack_server, "subscribe")
    await rate(store, 0, "U1", Rating.UP)
    answer = await papers(app, slack_server, "taste reset")
    assert text_of(answer).startswith("Taste reset: forgot this channel's 1 vote")
    notes = await announcements(slack_server, at_least=2)
    assert notes[-1]["text"] == "<@U1> forgot this channel's 1 vote: the digest is ordered by upvotes"
    assert await store.votes.of_channel(REF) == []


async def test_taste_reset_is_refused_to_a_member_when_changes_are_restricted(
    restricted_app: AsyncApp, slack_server: FakeSlack, store: Store
) -> None:
    await papers(restricted_app, slack_server, "subscribe", user="UADMIN")
    await rate(store, 0, "U1", Rating.UP)
    answer = await papers(restricted_app, slack_server, "taste reset", user="UMEMBER")
    assert text_of(answer).startswith("Only workspace admins and owners")
    assert len(await store.votes.of_channel(REF)) == 1


async def test_subscribe_sets_taste_and_its_weight(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = text_of(await papers(app, slack_server, "subscribe taste:off taste-weight:2.5"))
    assert "taste off" in answer
    answer = text_of(await papers(app, slack_server, "subscribe taste:on"))
    assert "taste weight 2.5" in answer


async def test_a_taste_that_is_neither_on_nor_off_is_named(app: AsyncApp, slack_server: FakeSlack) -> None:
    answer = await papers(app, slack_server, "subscribe taste:maybe")
    assert text_of(answer).startswith('taste is on or off, like taste:off, not "maybe"')
