"""The votes table: a member's current vote per (channel, paper), the counts of each paper, every vote of a
channel and forgetting them, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperboy.models import ChannelRef, Platform, Rating, Vote, VoteCount
from paperboy.store import Store

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LAB = ChannelRef(Platform.SLACK, "C1", "T1")
SHOP = ChannelRef(Platform.DISCORD, "42", "7")
PAPER = "2501.00001"


async def test_a_vote_is_stored_and_counted(store: Store) -> None:
    assert await store.votes.rate(LAB, PAPER, "U1", Rating.UP, NOW) == VoteCount(up=1, down=0)
    assert await store.votes.mine(LAB, PAPER, "U1") is Rating.UP


async def test_voting_again_changes_the_members_vote(store: Store) -> None:
    await store.votes.rate(LAB, PAPER, "U1", Rating.UP, NOW)
    assert await store.votes.rate(LAB, PAPER, "U1", Rating.DOWN, NOW + timedelta(minutes=1)) == VoteCount(0, 1)
    assert await store.votes.of_channel(LAB) == [Vote(LAB, PAPER, "U1", Rating.DOWN, NOW + timedelta(minutes=1))]


async def test_a_withdrawn_vote_is_gone(store: Store) -> None:
    await store.votes.rate(LAB, PAPER, "U1", Rating.UP, NOW)
    await store.votes.rate(LAB, PAPER, "U2", Rating.UP, NOW)
    assert await store.votes.rate(LAB, PAPER, "U1", None, NOW) == VoteCount(up=1)
    assert await store.votes.mine(LAB, PAPER, "U1") is None


async def test_withdrawing_a_vote_never_given_changes_nothing(store: Store) -> None:
    assert await store.votes.rate(LAB, PAPER, "U1", None, NOW) == VoteCount()
    assert await store.votes.of_channel(LAB) == []


async def test_counts_are_per_channel_and_papers_without_votes_are_missing(store: Store) -> None:
    await store.votes.rate(LAB, PAPER, "U1", Rating.UP, NOW)
    await store.votes.rate(LAB, PAPER, "U2", Rating.DOWN, NOW)
    await store.votes.rate(LAB, PAPER, "U3", Rating.UP, NOW)
    await store.votes.rate(SHOP, PAPER, "U1", Rating.DOWN, NOW)
    counts = await store.votes.counts(LAB, [PAPER, "2501.00002", PAPER])
    assert counts == {PAPER: VoteCount(up=2, down=1)}
    assert await store.votes.counts(SHOP, [PAPER]) == {PAPER: VoteCount(up=0, down=1)}


async def test_counts_of_many_papers_at_once(store: Store) -> None:
    ids = [f"2501.{n:05d}" for n in range(1200)]
    for paper_id in ids[::100]:
        await store.votes.rate(LAB, paper_id, "U1", Rating.UP, NOW)
    assert set(await store.votes.counts(LAB, ids)) == set(ids[::100])


async def test_a_channels_votes_come_oldest_first(store: Store) -> None:
    await store.votes.rate(LAB, "b", "U1", Rating.UP, NOW + timedelta(hours=1))
    await store.votes.rate(LAB, "a", "U2", Rating.DOWN, NOW)
    await store.votes.rate(SHOP, "c", "U1", Rating.UP, NOW)
    assert [(v.paper_id, v.member, v.rating) for v in await store.votes.of_channel(LAB)] == [
        ("a", "U2", Rating.DOWN),
        ("b", "U1", Rating.UP),
    ]


async def test_forgetting_deletes_only_that_channels_votes(store: Store) -> None:
    await store.votes.rate(LAB, "a", "U1", Rating.UP, NOW)
    await store.votes.rate(LAB, "b", "U1", Rating.DOWN, NOW)
    await store.votes.rate(SHOP, "a", "U1", Rating.UP, NOW)
    assert await store.votes.forget(LAB) == 2
    assert await store.votes.of_channel(LAB) == []
    assert len(await store.votes.of_channel(SHOP)) == 1
