"""Subscribing channels and changing their settings: defaults, partial updates, and every refusal in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from paperboy.config import DigestSettings
from paperboy.errors import NotSubscribed, QueryError, UserInputError
from paperboy.models import ChannelRef, PauseCause, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from paperboy.timespec import Days, parse_timezone
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.asyncio
DEFAULTS = DigestSettings(
    time=time(9, 0), timezone=parse_timezone("UTC"), days=Days(frozenset(range(5))), max_papers=10
)
REF = ChannelRef(Platform.DISCORD, "1234567890123", "987654321")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture
def service(store: Store, clock: FakeClock) -> SubscriptionService:
    return SubscriptionService(store, DEFAULTS, clock)


async def test_a_new_subscription_takes_the_configured_defaults(service: SubscriptionService) -> None:
    subscription = await service.subscribe(REF, by="alice")
    assert subscription.schedule.describe() == "09:00 UTC, mon-fri"
    assert (subscription.max_papers, subscription.filter, subscription.min_upvotes) == (10, None, 0)
    assert (subscription.created_by, subscription.created_at) == ("alice", datetime(2025, 1, 15, 12, tzinfo=UTC))


async def test_a_weekly_configured_default_makes_a_weekly_subscription(store: Store, clock: FakeClock) -> None:
    defaults = replace(DEFAULTS, days=Days.parse("weekly:fri"))
    subscription = await SubscriptionService(store, defaults, clock).subscribe(REF, by="alice")
    assert subscription.schedule.describe() == "09:00 UTC, weekly on fri"
    assert subscription.schedule.weekly


async def test_subscribing_again_changes_only_what_is_given(service: SubscriptionService, clock: FakeClock) -> None:
    await service.subscribe(REF, by="alice", filter="diffusion", time="07:30", timezone="Europe/Berlin")
    clock.advance(timedelta(hours=1))
    changed = await service.subscribe(REF, by="bob", days="daily", max_papers=3)
    assert changed.schedule.describe() == "07:30 Europe/Berlin, daily"
    assert (changed.filter, changed.max_papers) == ("diffusion", 3)
    assert (changed.created_by, changed.updated_by) == ("alice", "bob")
    assert changed.updated_at == datetime(2025, 1, 15, 13, tzinfo=UTC)


async def test_a_filter_is_stored_in_its_canonical_spelling(service: SubscriptionService) -> None:
    subscription = await service.subscribe(REF, by="alice", filter='(llm | "language  model") AND NOT survey')
    assert subscription.filter == '(llm OR "language model") -survey'


async def test_a_broken_filter_is_refused_and_the_old_one_kept(service: SubscriptionService) -> None:
    await service.subscribe(REF, by="alice", filter="diffusion")
    with pytest.raises(QueryError, match="unclosed quote at column 1"):
        await service.set_filter(REF, '"flow', by="alice")
    assert (await service.get(REF)).filter == "diffusion"


async def test_clear_filter(service: SubscriptionService) -> None:
    await service.subscribe(REF, by="alice", filter="diffusion")
    assert (await service.clear_filter(REF, by="alice")).filter is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"time": "25:00"}, "time: "),
        ({"timezone": "Mars/Olympus"}, "time zone: "),
        ({"days": "someday"}, 'days: "someday" is not a set of days'),
        ({"max_papers": 0}, "max must be between 1 and 50, not 0"),
        ({"min_upvotes": -1}, "min upvotes must be between 0 and 100000, not -1"),
    ],
)
async def test_bad_settings_are_refused_naming_the_setting(
    service: SubscriptionService, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(UserInputError, match=message):
        await service.subscribe(REF, by="alice", **settings)  # type: ignore[arg-type]
    assert await service.list() == []


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (ChannelRef(Platform.DISCORD, "general"), "is not a Discord channel id"),
        (ChannelRef(Platform.SLACK, "has space"), "is not a channel id"),
        (ChannelRef(Platform.SLACK, "#general"), "is not a Slack channel id; they look like C0123ABCD"),
        (ChannelRef(Platform.WEBHOOK, "hooks.slack.com/x"), "starting with https://"),
        (ChannelRef(Platform.CONSOLE, ""), "is not a channel id"),
    ],
)
async def test_bad_channel_ids_are_refused(service: SubscriptionService, ref: ChannelRef, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        await service.subscribe(ref, by="alice")


async def test_set_schedule_changes_only_the_schedule(service: SubscriptionService) -> None:
    await service.subscribe(REF, by="alice", filter="diffusion")
    changed = await service.set_schedule(REF, by="bob", timezone="Asia/Tokyo")
    assert changed.schedule.describe() == "09:00 Asia/Tokyo, mon-fri"
    assert changed.filter == "diffusion"


async def test_subscribing_again_resumes_a_paused_subscription(
    service: SubscriptionService, store: Store, clock: FakeClock
) -> None:
    await service.subscribe(REF, by="alice")
    await store.subscriptions.pause(REF, "forbidden", PauseCause.CHANNEL, clock.now())
    assert (await service.get(REF)).paused
    assert not (await service.subscribe(REF, by="alice")).paused


async def test_unsubscribe_removes_it(service: SubscriptionService) -> None:
    await service.subscribe(REF, by="alice")
    assert (await service.unsubscribe(REF)).ref == REF
    assert await service.list() == []


async def test_a_channel_without_a_subscription_is_told_to_subscribe(service: SubscriptionService) -> None:
    with pytest.raises(NotSubscribed, match=r"discord:987654321/1234567890123 is not subscribed; subscribe it first"):
        await service.get(REF)


async def test_unsubscribing_a_channel_without_a_subscription_says_there_is_nothing_to_undo(
    service: SubscriptionService,
) -> None:
    with pytest.raises(NotSubscribed, match=r"^discord:987654321/1234567890123 is not subscribed, so there is nothing"):
        await service.unsubscribe(REF)


async def test_a_webhook_url_is_never_shown_whole() -> None:
    ref = ChannelRef(Platform.WEBHOOK, "https://hooks.slack.com/services/T000/B000/SECRETSECRET")
    assert "SECRET" not in str(ref)
    assert str(ref).startswith("webhook:https://hooks.slack.com/…#")


async def test_a_digests_left_out_papers_are_no_filter(service: SubscriptionService) -> None:
    with pytest.raises(QueryError, match="more: finds the papers one digest left out"):
        await service.subscribe(REF, by="alice", filter="diffusion more:12")


async def test_taste_of_a_channel_without_buttons_says_its_digests_cannot_be_rated(
    service: SubscriptionService,
) -> None:
    console = ChannelRef(Platform.CONSOLE, "lab")
    await service.subscribe(console, by="alice")
    said = (await service.taste(console)).describe()
    assert said.startswith("No votes: console digests have no rating buttons")


async def test_taste_of_a_bot_channel_without_votes_says_how_to_rate(service: SubscriptionService) -> None:
    await service.subscribe(REF, by="alice")
    assert (await service.taste(REF)).describe().startswith("No votes yet: rate papers in this channel's digest")
