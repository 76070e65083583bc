"""The subscriptions table: one row per channel, saved, found, listed and removed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from paperboy.models import ChannelRef, Platform, Rating, Subscription
from paperboy.schedule import Schedule
from paperboy.store import Store

pytestmark = pytest.mark.asyncio
WHEN = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
REF = ChannelRef(Platform.SLACK, "C0123", "T0456")
SUBSCRIPTION = Subscription(
    ref=REF,
    schedule=Schedule(time(8, 30), ZoneInfo("Europe/Berlin"), frozenset({0, 2, 4})),
    max_papers=5,
    filter='"flow matching" OR diffusion -video',
    min_upvotes=3,
    post_empty=True,
    created_by="U1",
    created_at=WHEN,
    updated_by="U1",
    updated_at=WHEN,
)


async def test_a_subscription_round_trips(store: Store) -> None:
    saved = await store.subscriptions.save(SUBSCRIPTION)
    assert saved.id is not None
    assert replace(saved, id=None) == SUBSCRIPTION
    assert await store.subscriptions.get(REF) == saved


async def test_saving_again_updates_in_place(store: Store) -> None:
    first = await store.subscriptions.save(SUBSCRIPTION)
    later = datetime(2025, 2, 1, tzinfo=UTC)
    second = await store.subscriptions.save(
        replace(SUBSCRIPTION, max_papers=9, created_by="U2", created_at=later, updated_by="U2", updated_at=later)
    )
    assert second.id == first.id
    assert (second.max_papers, second.updated_by, second.updated_at) == (9, "U2", later)
    assert (second.created_by, second.created_at) == ("U1", WHEN), "creation is kept"
    assert len(await store.subscriptions.list()) == 1


async def test_the_same_channel_id_in_another_workspace_is_another_subscription(store: Store) -> None:
    await store.subscriptions.save(SUBSCRIPTION)
    await store.subscriptions.save(replace(SUBSCRIPTION, ref=ChannelRef(Platform.SLACK, "C0123", "T0999")))
    assert len(await store.subscriptions.list()) == 2
    assert len(await store.subscriptions.list(workspace="T0999")) == 1


async def test_list_filters_by_platform(store: Store) -> None:
    await store.subscriptions.save(SUBSCRIPTION)
    await store.subscriptions.save(replace(SUBSCRIPTION, ref=ChannelRef(Platform.CONSOLE, "lab")))
    assert [s.ref.platform for s in await store.subscriptions.list(Platform.CONSOLE)] == [Platform.CONSOLE]


async def test_delete_says_whether_there_was_one(store: Store) -> None:
    await store.subscriptions.save(SUBSCRIPTION)
    assert await store.subscriptions.delete(REF)
    assert not await store.subscriptions.delete(REF)
    assert await store.subscriptions.get(REF) is None


@pytest.mark.parametrize("day", range(7))
async def test_a_weekly_subscription_round_trips(store: Store, day: int) -> None:
    weekly = replace(SUBSCRIPTION, schedule=Schedule(time(9, 0), ZoneInfo("America/New_York"), frozenset({day}), True))
    saved = await store.subscriptions.save(weekly)
    assert saved.schedule == weekly.schedule and saved.schedule.weekly
    assert [s.schedule for s in await store.subscriptions.list()] == [weekly.schedule]


async def test_a_weekly_subscription_turned_daily_again_is_daily(store: Store) -> None:
    weekly = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset({4}), weekly=True)
    await store.subscriptions.save(replace(SUBSCRIPTION, schedule=weekly))
    saved = await store.subscriptions.save(replace(SUBSCRIPTION, schedule=replace(weekly, weekly=False)))
    assert not saved.schedule.weekly and saved.schedule.days == {4}


async def test_taste_settings_round_trip(store: Store) -> None:
    saved = await store.subscriptions.save(replace(SUBSCRIPTION, taste=False, taste_weight=2.5))
    assert (saved.taste, saved.taste_weight) == (False, 2.5)


async def test_unsubscribing_keeps_the_channels_votes(store: Store) -> None:
    await store.subscriptions.save(SUBSCRIPTION)
    await store.votes.rate(REF, "2501.00001", "U1", Rating.UP, WHEN)
    await store.subscriptions.delete(REF)
    assert len(await store.votes.of_channel(REF)) == 1
