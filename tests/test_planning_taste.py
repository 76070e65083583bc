"""A channel's taste in planning: no votes, the digest of before; votes move papers, `/papers why` says so, and
`why` still agrees with the preview."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperboy.delivery import DigestRunner
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Platform, Rating
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.test_delivery import clock, runner, sink, store, subscriptions
from tests.test_planning import assert_why_agrees_with_preview

pytestmark = pytest.mark.asyncio
PAPERS = corpus_papers()
LAB = ChannelRef(Platform.CONSOLE, "lab")
__all__ = ["clock", "runner", "sink", "store", "subscriptions"]
NEWEST = [p for p in PAPERS if p.daily_date == date(2025, 1, 16)]
LIKED = "diffusion"


async def vote_for_a_topic(store: Store, clock: FakeClock) -> None:
    """Three members like the corpus' older diffusion papers and dislike two others."""
    at = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    liked = [p for p in PAPERS if LIKED in p.title.lower() and p not in NEWEST][:4]
    disliked = [p for p in PAPERS if LIKED not in p.title.lower() and p not in NEWEST][:2]
    learner = Learner(store, FakeClock(at))
    for member in ("U1", "U2", "U3"):
        for paper in liked:
            await learner.rate(LAB, paper, member, Rating.UP)
        for paper in disliked:
            await learner.rate(LAB, paper, member, Rating.DOWN)


async def previewed(runner: DigestRunner) -> list[str]:
    [digest] = await runner.preview(LAB)
    return [item.paper_id for item in digest.items]


async def test_a_channel_with_no_votes_gets_the_digest_of_before(
    subscriptions: SubscriptionService, runner: DigestRunner
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=10)
    with_taste = await previewed(runner)
    await subscriptions.subscribe(LAB, by="test", taste=False)
    assert with_taste == await previewed(runner)


async def test_votes_move_the_liked_topic_up(
    subscriptions: SubscriptionService, runner: DigestRunner, store: Store, clock: FakeClock
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=5, taste_weight=3)
    before = await previewed(runner)
    await vote_for_a_topic(store, clock)
    after = await previewed(runner)
    titles = {p.id: p.title.lower() for p in PAPERS}
    assert sum(LIKED in titles[i] for i in after) > sum(LIKED in titles[i] for i in before)


async def test_taste_off_keeps_the_upvote_order_whatever_the_votes(
    subscriptions: SubscriptionService, runner: DigestRunner, store: Store, clock: FakeClock
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=5)
    before = await previewed(runner)
    await vote_for_a_topic(store, clock)
    await subscriptions.subscribe(LAB, by="test", taste=False)
    assert await previewed(runner) == before


async def test_why_says_taste_moved_a_paper_up(
    subscriptions: SubscriptionService, runner: DigestRunner, store: Store, clock: FakeClock
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=5, taste_weight=3)
    before = await previewed(runner)
    await vote_for_a_topic(store, clock)
    lifted = next(i for i in await previewed(runner) if i not in before)
    verdict = await subscriptions.why(LAB, lifted)
    assert verdict.posted and "; this channel's taste (/papers taste) moved it up from #" in verdict.reason


async def test_why_agrees_with_the_preview_when_taste_orders_the_digest(
    subscriptions: SubscriptionService, runner: DigestRunner, store: Store, clock: FakeClock
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=4, taste_weight=3)
    await vote_for_a_topic(store, clock)
    await assert_why_agrees_with_preview(subscriptions, runner)


async def test_the_taste_report_names_the_liked_words(
    subscriptions: SubscriptionService, store: Store, clock: FakeClock
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily")
    await vote_for_a_topic(store, clock)
    report = await subscriptions.taste(LAB)
    assert report.learned is not None and (report.learned.votes, report.learned.members) == (18, 3)
    liked, _ = report.learned.leaning()
    assert LIKED in liked
