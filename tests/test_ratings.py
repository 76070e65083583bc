"""The rating service: the toggle (same rating withdraws, other changes), counts from the store, and the clicks
that cannot count, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
import pytest_asyncio

from paperboy.config import DigestSettings
from paperboy.models import ChannelRef, Platform, Rating, VoteCount
from paperboy.ratings import Click, NotRated, Rated, RatingService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers

pytestmark = pytest.mark.asyncio
REF = ChannelRef(Platform.SLACK, "C0123", "T0456")


@pytest_asyncio.fixture
async def given(store: Store) -> list[str]:
    """A subscribed channel given a digest of two papers (a third matched but was left out); their ids."""
    papers = corpus_papers()
    await store.papers.upsert(papers)
    clock = FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))
    await SubscriptionService(store, DigestSettings(), clock).subscribe(REF, by="U0")
    ids = [p.id for p in papers[:3]]
    await store.ledger.plan(REF, date(2025, 1, 16), ids[:2], ids[2:], clock.now())
    return ids


def click(paper_id: str, rating: Rating = Rating.UP, member: str = "U1", **more: object) -> Click:
    return Click(REF, paper_id, member, rating, clicked_in=REF, **more)  # type: ignore[arg-type]


async def test_a_vote_then_the_same_again_withdraws_it(store: Store, given: list[str]) -> None:
    service = RatingService(store)
    assert await service.click(click(given[0])) == Rated(Rating.UP, VoteCount(up=1))
    assert await service.click(click(given[0])) == Rated(None, VoteCount())


async def test_the_other_rating_changes_the_vote(store: Store, given: list[str]) -> None:
    service = RatingService(store)
    await service.click(click(given[0]))
    assert await service.click(click(given[0], Rating.DOWN)) == Rated(Rating.DOWN, VoteCount(down=1))


async def test_counts_cover_every_paper_asked_for(store: Store, given: list[str]) -> None:
    service = RatingService(store)
    await service.click(click(given[0], member="U1"))
    await service.click(click(given[0], Rating.DOWN, member="U2"))
    assert await service.counts(REF, given[:2]) == {given[0]: VoteCount(1, 1), given[1]: VoteCount()}


async def test_a_double_click_is_a_vote_and_its_withdrawal(store: Store, given: list[str]) -> None:
    service = RatingService(store)
    await asyncio.gather(service.click(click(given[0])), service.click(click(given[0])))
    assert await service.counts(REF, [given[0]]) == {given[0]: VoteCount()}


async def test_many_members_at_once_all_count(store: Store, given: list[str]) -> None:
    service = RatingService(store)
    await asyncio.gather(*(service.click(click(given[1], member=f"U{k}")) for k in range(8)))
    assert await service.counts(REF, [given[1]]) == {given[1]: VoteCount(up=8)}


async def test_a_paper_left_out_of_the_digest_cannot_be_rated(store: Store, given: list[str]) -> None:
    with pytest.raises(NotRated, match="was not in this channel's digest"):
        await RatingService(store).click(click(given[2]))


async def test_a_member_who_may_not_react_cannot_rate(store: Store, given: list[str]) -> None:
    with pytest.raises(NotRated, match="cannot rate papers in this channel right now"):
        await RatingService(store).click(click(given[0], may_react=False))
    assert await store.votes.of_channel(REF) == []


async def test_a_click_changes_the_channels_taste_at_once_and_its_withdrawal_undoes_it(
    store: Store, given: list[str]
) -> None:
    service = RatingService(store)
    await service.click(click(given[0]))
    profile = await store.taste.profile(REF)
    assert profile is not None and profile.votes == 1 and profile.top
    await service.click(click(given[0]))
    assert await store.taste.profile(REF) is None
