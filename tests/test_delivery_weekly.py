"""Weekly digests end to end in the core: the best papers of the week, once on the channel's day at its time,
across daylight-saving changes and downtime, never a paper twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.config import DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.models import ChannelRef, Paper, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.sink import RecordingSink

pytestmark = pytest.mark.asyncio
LAB = ChannelRef(Platform.CONSOLE, "lab")
#: a Monday
MONDAY = date(2025, 1, 20)


def paper(n: int, day: date, upvotes: int) -> Paper:
    return Paper(id=f"2501.{n:05d}", title=f"Paper {n}", abstract="About wombats.", daily_date=day, upvotes=upvotes)


def week_of_papers(last: date, first_number: int = 1) -> list[Paper]:
    """Two papers a day for the ten days up to `last`: the older the day, the more upvotes."""
    papers = []
    for back in range(10):
        day = last - timedelta(days=back)
        papers += [paper(first_number + 2 * back, day, 10 * back + 5), paper(first_number + 2 * back + 1, day, back)]
    return papers


def ids(papers: Sequence[Paper]) -> list[str]:
    return [p.id for p in papers]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 1, 13, 12, 0, tzinfo=UTC))


@pytest_asyncio.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def subscriptions(store: Store, clock: FakeClock) -> SubscriptionService:
    return SubscriptionService(store, DigestSettings(), clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def runner(store: Store, sink: RecordingSink, clock: FakeClock) -> DigestRunner:
    return DigestRunner(store, {Platform.CONSOLE: sink}, clock)


async def subscribe(subscriptions: SubscriptionService, **settings: object) -> None:
    options = {"time": "09:00", "timezone": "UTC", "days": "weekly on mon", "max_papers": 50} | settings
    await subscriptions.subscribe(LAB, by="test", **options)  # type: ignore[arg-type]


async def test_a_weekly_digest_holds_the_best_papers_of_the_week_before_its_day(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    papers = week_of_papers(MONDAY)
    await store.papers.upsert(papers)
    await subscribe(subscriptions, max_papers=5)
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT and outcome.day == MONDAY
    [digest] = sink.received
    in_week = [p for p in papers if p.daily_date is not None and p.daily_date >= MONDAY - timedelta(days=7)]
    best = sorted(in_week, key=lambda p: p.upvotes or 0, reverse=True)
    assert [i.paper_id for i in digest.items] == ids(best[:5])
    assert digest.left_out == len(in_week) - 5
    assert digest.weekly and digest.title == "Papers for the week to Mon 20 Jan 2025: 5 new papers"


async def test_a_weekly_digest_comes_only_on_its_day(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await store.papers.upsert(week_of_papers(MONDAY + timedelta(days=6)))
    await subscribe(subscriptions)
    for day in range(14, 20):  # Tuesday to Sunday before its Monday
        clock.set(datetime(2025, 1, day, 9, 0, tzinfo=UTC))
        assert await runner.run_due() == []
    clock.set(datetime(2025, 1, 20, 8, 59, tzinfo=UTC))
    assert await runner.run_due() == []
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    assert [o.result for o in await runner.run_due()] == [Result.SENT]
    for day in range(20, 27):  # once, and not again before the next Monday
        clock.set(datetime(2025, 1, day, 10, 0, tzinfo=UTC))
        assert await runner.run_due() == []
    assert len(sink.received) == 1


async def test_a_weeks_papers_are_ranked_by_their_upvotes_at_send_time(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    old = paper(1, MONDAY - timedelta(days=6), upvotes=1)
    new = paper(2, MONDAY, upvotes=50)
    await store.papers.upsert([old, new])
    await subscribe(subscriptions)
    await store.papers.upsert([paper(1, MONDAY - timedelta(days=6), upvotes=300)])  # upvoted all week
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    await runner.run_due()
    [digest] = sink.received
    assert [(i.paper_id, i.upvotes) for i in digest.items] == [(old.id, 300), (new.id, 50)]


async def test_a_weekly_digest_leaves_out_what_the_channel_was_given(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions)
    await store.papers.upsert(week_of_papers(MONDAY))
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    await runner.run_due()
    # the next week: new papers, and last Monday's papers again (still in the week before the next Monday)
    next_monday = MONDAY + timedelta(days=7)
    await store.papers.upsert([*week_of_papers(MONDAY), *week_of_papers(next_monday, first_number=101)[:14]])
    clock.set(datetime(2025, 1, 23, 12, 0, tzinfo=UTC))
    await runner.run_now()  # a digest on request in between
    await store.papers.upsert([paper(200, next_monday, upvotes=1)])
    clock.set(datetime(2025, 1, 27, 9, 0, tzinfo=UTC))
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT
    assert [i.paper_id for i in sink.received[-1].items] == [paper(200, next_monday, 1).id]
    assert len(sink.paper_ids()) == len(set(sink.paper_ids()))


async def test_after_weeks_of_downtime_one_weekly_digest_catches_up_with_the_last_week(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    await runner.run_due()
    catch_up_day = date(2025, 2, 10)
    await store.papers.upsert(week_of_papers(catch_up_day))
    clock.set(datetime(2025, 2, 12, 15, 0, tzinfo=UTC))  # down since the 20th of January: three Mondays missed
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT and outcome.day == catch_up_day
    days = {p.daily_date for p in await store.papers.get_many(sink.paper_ids())}
    assert min(d for d in days if d is not None) == catch_up_day - timedelta(days=7)
    assert await runner.run_due() == []


@pytest.mark.parametrize(
    ("zone", "due_utc", "hour_before"),
    [
        # Berlin, Sunday 30 March 2025: the first Sunday on summer time, 09:00 CEST is 07:00 UTC
        ("Europe/Berlin", datetime(2025, 3, 30, 7, 0, tzinfo=UTC), datetime(2025, 3, 30, 6, 59, tzinfo=UTC)),
        # Berlin, Sunday 26 October 2025: back on winter time, 09:00 CET is 08:00 UTC
        ("Europe/Berlin", datetime(2025, 10, 26, 8, 0, tzinfo=UTC), datetime(2025, 10, 26, 7, 59, tzinfo=UTC)),
        # New York, Sunday 2 November 2025: back on standard time, 09:00 EST is 14:00 UTC
        ("America/New_York", datetime(2025, 11, 2, 14, 0, tzinfo=UTC), datetime(2025, 11, 2, 13, 59, tzinfo=UTC)),
        # New York, Sunday 9 March 2025: on daylight time, 09:00 EDT is 13:00 UTC
        ("America/New_York", datetime(2025, 3, 9, 13, 0, tzinfo=UTC), datetime(2025, 3, 9, 12, 59, tzinfo=UTC)),
    ],
)
async def test_a_weekly_digest_on_the_day_the_clocks_change_comes_at_the_local_time_once(
    runner: DigestRunner,
    subscriptions: SubscriptionService,
    clock: FakeClock,
    sink: RecordingSink,
    store: Store,
    zone: str,
    due_utc: datetime,
    hour_before: datetime,
) -> None:
    sunday = due_utc.date()
    clock.set(due_utc - timedelta(days=6))
    await subscribe(subscriptions, timezone=zone, days="weekly on sun")
    await store.papers.upsert(week_of_papers(sunday))
    clock.set(hour_before)
    assert await runner.run_due() == []
    clock.set(due_utc)
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT and outcome.day == sunday
    for later in (timedelta(minutes=1), timedelta(hours=1), timedelta(hours=2), timedelta(days=6)):
        clock.set(due_utc + later)  # the repeated hour in autumn included
        assert await runner.run_due() == []
    assert len(sink.received) == 1


async def test_the_preview_of_a_weekly_channel_shows_the_week(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await store.papers.upsert(week_of_papers(date(2025, 1, 16)))
    clock.set(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))  # a Thursday: the next weekly digest is on Monday
    await subscribe(subscriptions, max_papers=3)
    [digest] = await runner.preview(LAB)
    assert digest.weekly and digest.title.startswith("Papers for the week to Thu 16 Jan 2025")
    assert [i.upvotes for i in digest.items] == [75, 65, 55]  # the best of the 9th to the 16th
    assert sink.received == [] and await store.ledger.last_days() == {}


async def test_a_dry_run_shows_the_weekly_digest_due(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, max_papers=2)
    await store.papers.upsert(week_of_papers(MONDAY))
    clock.set(datetime(2025, 1, 20, 9, 30, tzinfo=UTC))
    [run] = await runner.dry_run(now=False)
    assert run.digest is not None and run.digest.weekly and run.day == MONDAY
    assert [i.upvotes for i in run.digest.items] == [75, 65]
    assert sink.received == [] and await store.ledger.last_days() == {}


async def test_a_daily_channel_turned_weekly_gets_its_first_weekly_digest_on_its_day(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, days="daily")
    await store.papers.upsert(week_of_papers(date(2025, 1, 15)))
    clock.set(datetime(2025, 1, 15, 9, 0, tzinfo=UTC))
    await runner.run_due()
    await subscriptions.set_schedule(LAB, by="test", days="weekly on mon")
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    assert await runner.run_due() == []
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=UTC))
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT and outcome.day == MONDAY
    assert sink.received[-1].weekly and len(sink.paper_ids()) == len(set(sink.paper_ids()))
