"""`/papers why` and `/papers preview` read one plan, so they always agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, Paper, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.test_delivery import clock, runner, sink, store, subscriptions

pytestmark = pytest.mark.asyncio
PAPERS = corpus_papers()
LAB = ChannelRef(Platform.CONSOLE, "lab")


# the same corpus, clock and channel services as the delivery tests: the same digests, seen from `why`
__all__ = ["clock", "runner", "sink", "store", "subscriptions"]


async def assert_why_agrees_with_preview(
    subscriptions: SubscriptionService, runner: DigestRunner, papers: list[Paper] = PAPERS
) -> None:
    """`why` says "in the next digest" for exactly the papers the preview lists; papers an earlier digest
    gave are answered about that digest, and are in no preview."""
    previewed = {item.paper_id for digest in await runner.preview(LAB) for item in digest.items}
    for paper in papers:
        verdict = await subscriptions.why(LAB, paper.id)
        if verdict.reason.startswith(("it was in this channel's digest of", "it matched on")):
            assert paper.id not in previewed
            continue
        assert verdict.posted == (paper.id in previewed), (paper.id, verdict.reason)


@pytest.mark.parametrize(
    "settings",
    [{}, {"filter": "model"}, {"filter": "reasoning OR vision", "min_upvotes": 3}, {"max_papers": 2}],
    ids=["everything", "a filter", "a filter and upvotes", "a small maximum"],
)
async def test_why_agrees_with_the_preview_for_every_paper_before_the_first_digest(
    subscriptions: SubscriptionService, runner: DigestRunner, settings: dict[str, object]
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", **settings)  # type: ignore[arg-type]
    await assert_why_agrees_with_preview(subscriptions, runner)


async def test_why_agrees_with_the_preview_after_a_digest_and_new_papers(
    subscriptions: SubscriptionService, runner: DigestRunner, clock: FakeClock, store: Store
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", time="09:00", max_papers=4)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    fresh = [replace(PAPERS[n], id=f"2501.9920{n}", daily_date=date(2025, 1, 17)) for n in range(6)]
    await store.papers.upsert(fresh)
    clock.set(datetime(2025, 1, 17, 7, 0, tzinfo=UTC))
    await assert_why_agrees_with_preview(subscriptions, runner, [*PAPERS, *fresh])


async def test_why_says_a_paper_from_an_older_day_is_not_in_the_first_digest(
    subscriptions: SubscriptionService,
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily")
    old = next(p for p in PAPERS if p.daily_date is not None and p.daily_date.year == 2024)
    verdict = await subscriptions.why(LAB, old.id)
    assert not verdict.posted
    assert (
        verdict.reason == f"it is dated {old.daily_date}, before the papers the next digest covers (from 2025-01-16 on)"
    )


async def test_why_says_a_paper_beyond_the_maximum_is_counted_not_listed(
    subscriptions: SubscriptionService, runner: DigestRunner
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="daily", max_papers=2)
    [digest] = await runner.preview(LAB)
    newest = sorted((p for p in PAPERS if p.daily_date == date(2025, 1, 16)), key=lambda p: (p.upvotes or 0, p.id))
    below = next(p for p in reversed(newest) if p.id not in {i.paper_id for i in digest.items})
    verdict = await subscriptions.why(LAB, below.id)
    assert not verdict.posted and verdict.reason.startswith("it matches but ranks #3 of ")


@pytest.mark.parametrize("settings", [{}, {"filter": "model", "max_papers": 3}], ids=["everything", "a filter"])
async def test_why_agrees_with_the_preview_of_a_weekly_channel(
    subscriptions: SubscriptionService, runner: DigestRunner, settings: dict[str, object]
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="weekly on mon", **settings)  # type: ignore[arg-type]
    await assert_why_agrees_with_preview(subscriptions, runner)


async def test_why_says_a_paper_older_than_the_week_is_not_in_a_weekly_digest(
    subscriptions: SubscriptionService,
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="weekly on mon")
    old = next(p for p in PAPERS if p.daily_date is not None and p.daily_date.year == 2024)
    verdict = await subscriptions.why(LAB, old.id)
    assert not verdict.posted
    # the clock is on Thursday 16 January 2025: the week up to it starts on the 9th
    assert (
        verdict.reason == f"it is dated {old.daily_date}, before the papers the next digest covers (from 2025-01-09 on)"
    )


async def test_why_says_a_weekly_channels_paper_of_the_week_before_its_first_digest_is_in_it(
    subscriptions: SubscriptionService,
) -> None:
    await subscriptions.subscribe(LAB, by="test", days="weekly on mon", max_papers=50)
    # a paper of the 15th: a daily channel's first digest holds only the newest day (the 16th); a weekly one's, the week
    older = max((p for p in PAPERS if p.daily_date == date(2025, 1, 15)), key=lambda p: p.upvotes or 0)
    verdict = await subscriptions.why(LAB, older.id)
    assert verdict.posted and "the next scheduled digest is on 2025-01-20" in verdict.reason
