"""The feeds table and the ledger's sent papers: what an Atom feed is made of, on both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from paperboy.models import ChannelRef, DigestKind, DigestState, Platform, Subscription
from paperboy.schedule import Schedule
from paperboy.store import Store

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
REF = ChannelRef(Platform.SLACK, "C0123", "T0456")
OTHER = ChannelRef(Platform.SLACK, "C0999", "T0456")
FEED_ID = "urn:uuid:00000000-0000-4000-8000-000000000001"


def subscription(ref: ChannelRef = REF) -> Subscription:
    schedule = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset(range(5)))
    return Subscription(ref=ref, schedule=schedule, max_papers=5, created_by="U1", created_at=NOW, updated_at=NOW)


async def test_a_subscribed_channel_is_issued_a_feed_found_by_its_token(store: Store) -> None:
    await store.subscriptions.save(subscription())
    feed = await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    assert feed is not None and (feed.token, feed.feed_id, feed.ref, feed.created_at) == ("tok-1", FEED_ID, REF, NOW)
    assert await store.feeds.find("tok-1") == feed
    assert await store.feeds.get(REF) == feed


async def test_issuing_again_keeps_the_first_token(store: Store) -> None:
    await store.subscriptions.save(subscription())
    first = await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    again = await store.feeds.issue(REF, "tok-2", "urn:uuid:other", NOW + timedelta(hours=1))
    assert again == first
    assert await store.feeds.find("tok-2") is None


async def test_an_unsubscribed_channel_gets_no_feed(store: Store) -> None:
    assert await store.feeds.issue(REF, "tok-1", FEED_ID, NOW) is None
    assert await store.feeds.replace_token(REF, "tok-1", FEED_ID, NOW) is None
    assert await store.feeds.find("tok-1") is None


async def test_a_replaced_token_opens_nothing_and_the_feed_keeps_its_id(store: Store) -> None:
    await store.subscriptions.save(subscription())
    await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    later = NOW + timedelta(days=1)
    feed = await store.feeds.replace_token(REF, "tok-2", "urn:uuid:ignored", later)
    assert feed is not None and (feed.token, feed.feed_id, feed.created_at, feed.token_at) == (
        "tok-2", FEED_ID, NOW, later
    )  # fmt: skip
    assert await store.feeds.find("tok-1") is None
    assert await store.feeds.find("tok-2") == feed


async def test_each_subscription_has_its_own_feed(store: Store) -> None:
    await store.subscriptions.save(subscription())
    await store.subscriptions.save(subscription(OTHER))
    await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    await store.feeds.issue(OTHER, "tok-2", "urn:uuid:2", NOW)
    found = await store.feeds.find("tok-2")
    assert found is not None and found.ref == OTHER


async def test_unsubscribing_removes_the_feed(store: Store) -> None:
    await store.subscriptions.save(subscription())
    await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    await store.subscriptions.delete(REF)
    assert await store.feeds.find("tok-1") is None
    await store.subscriptions.save(subscription())
    assert await store.feeds.get(REF) is None, "subscribing again starts without a feed"


async def test_saving_a_subscription_keeps_its_feed(store: Store) -> None:
    saved = await store.subscriptions.save(subscription())
    await store.feeds.issue(REF, "tok-1", FEED_ID, NOW)
    await store.subscriptions.save(replace(saved, max_papers=9))
    assert await store.feeds.find("tok-1") is not None


async def sent(store: Store, day: date, papers: list[str], left_out: list[str], at: datetime) -> int:
    planned = await store.ledger.plan(REF, day, papers, left_out, at, kind=DigestKind.NOW)
    assert planned is not None
    await store.ledger.mark(planned.id, DigestState.SENT, now=at)
    return planned.id


async def test_recently_sent_lists_the_newest_digests_papers_first_in_digest_order(store: Store) -> None:
    first = await sent(store, date(2025, 1, 14), ["a", "b"], ["x"], NOW - timedelta(days=2))
    second = await sent(store, date(2025, 1, 15), ["d", "c"], [], NOW - timedelta(days=1))
    assert await store.ledger.recently_sent(REF, 10) == [
        (second, NOW - timedelta(days=1), "d"),
        (second, NOW - timedelta(days=1), "c"),
        (first, NOW - timedelta(days=2), "a"),
        (first, NOW - timedelta(days=2), "b"),
    ]


async def test_recently_sent_keeps_only_the_last_digests(store: Store) -> None:
    await sent(store, date(2025, 1, 14), ["a"], [], NOW - timedelta(days=2))
    newest = await sent(store, date(2025, 1, 15), ["b"], [], NOW - timedelta(days=1))
    assert [(d, p) for d, _, p in await store.ledger.recently_sent(REF, 1)] == [(newest, "b")]


async def test_recently_sent_leaves_out_digests_not_sent_and_other_channels(store: Store) -> None:
    await store.ledger.plan(REF, date(2025, 1, 15), ["planned"], [], NOW, kind=DigestKind.NOW)
    failed = await store.ledger.plan(REF, date(2025, 1, 15), ["failed"], [], NOW, kind=DigestKind.NOW)
    assert failed is not None
    await store.ledger.mark(failed.id, DigestState.FAILED, error="gone")
    elsewhere = await store.ledger.plan(OTHER, date(2025, 1, 15), ["other"], [], NOW, kind=DigestKind.NOW)
    assert elsewhere is not None
    await store.ledger.mark(elsewhere.id, DigestState.SENT, now=NOW)
    assert await store.ledger.recently_sent(REF, 10) == []
