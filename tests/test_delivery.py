"""Digests end to end in the core: chosen, recorded, sent once, failures and crashes caught up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
import pytest_asyncio

from paperboy.config import DeliverySettings, DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.errors import ChannelUnavailable, DeliveryError
from paperboy.metrics import REGISTRY
from paperboy.models import ChannelRef, Platform
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.sink import Killed, RecordingSink

pytestmark = pytest.mark.asyncio
PAPERS = corpus_papers()
# best first: most upvotes, then the newer, then the higher id
NEWEST = sorted(
    (p for p in PAPERS if p.daily_date == date(2025, 1, 16)), key=lambda p: (p.upvotes or 0, p.id), reverse=True
)
LAB = ChannelRef(Platform.CONSOLE, "lab")
OTHER = ChannelRef(Platform.CONSOLE, "other")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 1, 16, 8, 0, tzinfo=UTC))


@pytest_asyncio.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as opened:
        await opened.papers.upsert(PAPERS)
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


async def subscribe(subscriptions: SubscriptionService, ref: ChannelRef = LAB, **settings: object) -> None:
    options = {"time": "09:00", "timezone": "UTC", "days": "daily"} | settings
    await subscriptions.subscribe(ref, by="test", **options)  # type: ignore[arg-type]


async def test_nothing_is_sent_before_the_post_time(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 8, 59, tzinfo=UTC))
    assert await runner.run_due() == []
    assert sink.received == []


async def test_the_first_digest_holds_the_newest_day_best_first(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, max_papers=5)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT and outcome.papers == 5
    [digest] = sink.received
    assert [i.paper_id for i in digest.items] == [p.id for p in NEWEST[:5]]
    assert digest.left_out == len(NEWEST) - 5
    assert digest.more == f"and {len(NEWEST) - 5} more: /papers search more:{digest.id}"
    assert digest.title == "Papers for Thu 16 Jan 2025: 5 new papers"


async def test_due_digests_of_one_channel_leave_the_others_due(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    await subscribe(subscriptions, OTHER, time="10:00")
    clock.set(datetime(2025, 1, 16, 9, 30, tzinfo=UTC))
    assert await runner.next_due(OTHER) == (datetime(2025, 1, 16, 10, 0, tzinfo=UTC), OTHER)
    assert not await runner.any_due(OTHER)
    assert await runner.run_due(OTHER) == []
    clock.set(datetime(2025, 1, 16, 10, 0, tzinfo=UTC))
    [outcome] = await runner.run_due(OTHER)
    assert outcome.ref == OTHER and outcome.result is Result.SENT
    assert [o.ref for o in await runner.run_due()] == [LAB]


async def test_a_digest_goes_out_once_a_day(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    clock.advance(timedelta(minutes=1))
    assert await runner.run_due() == []
    assert len(sink.received) == 1


async def test_never_the_same_paper_twice(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, max_papers=50)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    late = replace(PAPERS[0], id="2501.99001", title="A late paper on wombats", daily_date=date(2025, 1, 16))
    fresh = replace(PAPERS[0], id="2501.99002", title="Wombats again", daily_date=date(2025, 1, 17))
    await store.papers.upsert([late, fresh, *PAPERS])  # everything seen again, two new
    clock.set(datetime(2025, 1, 17, 9, 0, tzinfo=UTC))
    [outcome] = await runner.run_due()
    assert outcome.result is Result.SENT
    assert sorted(i.paper_id for i in sink.received[1].items) == ["2501.99001", "2501.99002"]
    assert len(sink.paper_ids()) == len(set(sink.paper_ids()))


async def test_a_day_with_nothing_new_sends_nothing_unless_asked(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, max_papers=50)
    await subscribe(subscriptions, OTHER, max_papers=50, post_empty=True)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    clock.set(datetime(2025, 1, 17, 9, 0, tzinfo=UTC))
    outcomes = {o.ref: o.result for o in await runner.run_due()}
    assert outcomes == {LAB: Result.EMPTY, OTHER: Result.SENT}
    assert [d.title for d in sink.received[2:]] == ["Papers for Fri 17 Jan 2025: nothing new"]


async def test_the_filter_and_minimum_upvotes_choose_the_papers(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, filter="model", min_upvotes=1, max_papers=50)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    [digest] = sink.received
    assert digest.items and all(i.upvotes >= 1 for i in digest.items)
    assert all(any("model" in r for r in i.reasons) for i in digest.items)


async def test_a_passing_failure_is_tried_again_at_the_next_run(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append(DeliveryError("rate limited"))
    [failed] = await runner.run_due()
    assert failed.result is Result.RETRY and sink.received == []
    clock.advance(timedelta(minutes=1))
    [sent] = await runner.run_due()
    assert sent.result is Result.SENT and not sent.resent
    assert len(sink.received) == 1 and not sink.received[0].resent


async def test_a_channel_gone_pauses_only_its_subscription(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, LAB)
    await subscribe(subscriptions, OTHER)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append(ChannelUnavailable("the channel was deleted"))  # the first send: "lab" sorts first
    outcomes = {o.ref: o.result for o in await runner.run_due()}
    assert outcomes == {LAB: Result.PAUSED, OTHER: Result.SENT}
    assert (await subscriptions.get(LAB)).paused_reason == "the channel was deleted"
    clock.set(datetime(2025, 1, 17, 9, 0, tzinfo=UTC))
    assert [o.ref for o in await runner.run_due()] == [OTHER]


async def test_killed_before_the_platform_took_it_the_digest_goes_out_once_marked_resent(
    store: Store, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append(Killed())
    with pytest.raises(BaseExceptionGroup) as killed:  # the sends run as tasks of one group
        await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()
    assert killed.group_contains(Killed)
    assert sink.received == []
    [outcome] = await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()  # the restarted process
    assert outcome.result is Result.SENT
    [digest] = sink.received
    assert digest.resent  # it might have arrived: the platform could not be asked


async def test_killed_after_the_platform_took_it_the_repeat_is_marked_resent(
    store: Store, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append("die after")
    with pytest.raises(BaseExceptionGroup) as killed:
        await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()
    assert killed.group_contains(Killed)
    await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()
    first, repeat = sink.received
    assert not first.resent and repeat.resent
    assert [i.paper_id for i in repeat.items] == [i.paper_id for i in first.items]
    clock.advance(timedelta(hours=1))
    assert await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due() == []


async def test_after_downtime_one_digest_catches_up(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, max_papers=50)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    days = [date(2025, 1, 17), date(2025, 1, 18), date(2025, 1, 19)]
    await store.papers.upsert(
        [replace(PAPERS[0], id=f"2501.9900{n}", title=f"Paper {n}", daily_date=d) for n, d in enumerate(days)]
    )
    clock.set(datetime(2025, 1, 20, 12, 0, tzinfo=UTC))  # down since the 16th
    [outcome] = await runner.run_due()
    assert outcome.day == date(2025, 1, 20) and outcome.papers == 3
    assert len(sink.received) == 2


async def test_a_channel_that_comes_back_is_not_sent_what_it_had(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, max_papers=50)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    await subscriptions.unsubscribe(LAB)
    await subscribe(subscriptions, max_papers=50)
    await runner.run_now(LAB)
    assert len(sink.paper_ids()) == len(set(sink.paper_ids()))


async def test_preview_sends_and_records_nothing(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, max_papers=3)
    [digest] = await runner.preview(LAB)
    assert len(digest.items) == 3
    assert sink.received == [] and await store.ledger.last_days() == {}


async def test_run_now_ignores_the_schedule(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, days="sat,sun")
    clock.set(datetime(2025, 1, 16, 3, 0, tzinfo=UTC))  # a Thursday night
    [outcome] = await runner.run_now()
    assert outcome.result is Result.SENT and outcome.day == date(2025, 1, 16)
    [again] = await runner.run_now()  # nothing new since: today's digest on request again, empty
    assert again.day == date(2025, 1, 16) and again.result is Result.EMPTY


async def test_a_bug_in_one_send_fails_that_digest_and_not_the_others(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, LAB)
    await subscribe(subscriptions, OTHER)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append(RuntimeError("a bug"))
    outcomes = {o.ref: o.result for o in await runner.run_due()}
    assert outcomes == {LAB: Result.FAILED, OTHER: Result.SENT}
    clock.advance(timedelta(minutes=1))
    assert await runner.run_due() == []  # a bug is not reposted as "(resent)" every minute
    assert "bug" in ((await subscriptions.get(LAB)).last_error or "")


async def test_why_says_a_matching_paper_goes_in_the_next_digest(
    subscriptions: SubscriptionService, clock: FakeClock
) -> None:
    await subscribe(subscriptions, filter="model")
    paper = next(p for p in NEWEST if "model" in p.title.lower())
    verdict = await subscriptions.why(LAB, paper.id)
    assert verdict.posted
    assert verdict.reason.startswith('it matches ("model" in the title')
    assert verdict.reason.endswith("would hold now (/papers preview); the next scheduled digest is on 2025-01-16")


async def test_why_names_the_filter_that_stops_a_paper(subscriptions: SubscriptionService) -> None:
    await subscribe(subscriptions, filter="title:wombat")
    verdict = await subscriptions.why(LAB, NEWEST[0].id)
    assert not verdict.posted
    assert verdict.reason == "it does not match this channel's filter: title:wombat"


async def test_why_names_the_upvote_threshold(subscriptions: SubscriptionService) -> None:
    await subscribe(subscriptions, min_upvotes=10_000)
    verdict = await subscriptions.why(LAB, NEWEST[0].id)
    assert verdict.reason == f"it has {NEWEST[0].upvotes} upvotes; this channel asks for at least 10000"


async def test_why_says_when_a_paper_was_posted(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock
) -> None:
    await subscribe(subscriptions, max_papers=1)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    assert (await subscriptions.why(LAB, NEWEST[0].id)).reason == "it was in this channel's digest of 2025-01-16"
    left_out = await subscriptions.why(LAB, NEWEST[1].id)
    assert not left_out.posted and left_out.reason.startswith("it matched on 2025-01-16 but was left out")


async def test_why_names_an_old_paper(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    old = next(p for p in PAPERS if p.daily_date == date(2024, 6, 3))
    verdict = await subscriptions.why(LAB, old.id)
    assert verdict.reason == "it is dated 2024-06-03, before the papers the next digest covers (from 2025-01-16 on)"


async def test_a_digest_recorded_but_never_started_goes_out_unmarked(
    store: Store, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    # the process stopped right after the plan was committed, before it began to send
    planned = await store.ledger.plan(LAB, date(2025, 1, 16), [NEWEST[0].id, NEWEST[1].id], [], clock.now())
    assert planned is not None
    [outcome] = await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()
    assert outcome.result is Result.SENT and not outcome.resent
    [digest] = sink.received
    assert not digest.resent and [i.paper_id for i in digest.items] == [NEWEST[0].id, NEWEST[1].id]


async def test_digests_sent_now_do_not_use_up_the_next_scheduled_one(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    clock.set(datetime(2025, 1, 16, 10, 0, tzinfo=UTC))
    await subscribe(subscriptions, time="18:00")
    [first] = await runner.run_now()
    [second] = await runner.run_now()
    assert (first.result, second.result) == (Result.SENT, Result.EMPTY)
    later = [replace(PAPERS[0], id=f"2501.9910{n}", title=f"Later paper {n}", daily_date=date(2025, 1, 16))
             for n in range(10)]  # fmt: skip
    await store.papers.upsert(later)
    clock.set(datetime(2025, 1, 16, 18, 0, tzinfo=UTC))
    [scheduled] = await runner.run_due()
    assert scheduled.result is Result.SENT and scheduled.day == date(2025, 1, 16)
    assert sorted(i.paper_id for i in sink.received[-1].items) == sorted(p.id for p in later)


async def test_a_refused_digest_is_tried_with_growing_waits_then_given_up(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.extend(DeliveryError("the platform said no") for _ in range(2000))
    failed_before = REGISTRY.get_sample_value("paperboy_digests_total", {"platform": "console", "outcome": "failed"})
    results = []
    for _ in range(24 * 60):  # a day, a run every minute, as paperboy run does
        results += [o.result for o in await runner.run_due()]
        clock.advance(timedelta(minutes=1))
    attempts = DeliverySettings().digest_attempts
    assert results == [Result.RETRY] * (attempts - 1) + [Result.FAILED]
    assert len(sink.next) == 2000 - attempts
    problem = (await subscriptions.get(LAB)).last_error or ""
    assert problem.startswith("the digest of 2025-01-16 failed after 6 tries: the platform said no")
    failed_after = REGISTRY.get_sample_value("paperboy_digests_total", {"platform": "console", "outcome": "failed"})
    assert (failed_after or 0) - (failed_before or 0) == 1


async def test_a_stored_filter_that_no_longer_reads_pauses_only_its_channel(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, LAB)
    await subscribe(subscriptions, OTHER)
    await store_filter(store, LAB, 'since:140000d "flow matching')  # as an older paperboy could have stored it
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    outcomes = {o.ref: o.result for o in await runner.run_due()}
    assert outcomes == {LAB: Result.PAUSED, OTHER: Result.SENT}
    paused = await subscriptions.get(LAB)
    assert paused.paused_reason is not None and "set a new one with /papers filter" in paused.paused_reason
    resumed = await subscriptions.set_filter(LAB, "model", by="test")
    assert resumed.paused_reason is None
    [outcome] = await runner.run_due()
    assert (outcome.ref, outcome.result) == (LAB, Result.SENT)


async def test_a_digest_that_cannot_be_rendered_fails_alone(
    store: Store, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, LAB, filter="model")
    await subscribe(subscriptions, OTHER)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await store.ledger.plan(LAB, date(2025, 1, 16), [NEWEST[0].id], [], clock.now())  # planned, then stopped
    await store_filter(store, LAB, '"unclosed')  # its filter broke before the digest went out
    outcomes = {o.ref: o.result for o in await DigestRunner(store, {Platform.CONSOLE: sink}, clock).run_due()}
    assert outcomes[LAB] is Result.FAILED and outcomes[OTHER] is Result.SENT
    assert [d.ref for d in sink.received] == [OTHER]


async def test_a_refused_digest_gives_its_papers_back_for_the_next(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions, max_papers=3)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.append(ChannelUnavailable("the bot was removed"))
    [refused] = await runner.run_due()
    assert refused.result is Result.PAUSED
    await subscribe(subscriptions, max_papers=3)  # invited back, subscribed again
    [outcome] = await runner.run_now()
    assert outcome.result is Result.SENT
    assert [i.paper_id for i in sink.received[0].items] == [p.id for p in NEWEST[:3]]


async def test_the_papers_left_out_are_what_the_more_search_finds(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink, store: Store
) -> None:
    await subscribe(subscriptions, max_papers=5)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    await runner.run_due()
    [digest] = sink.received
    assert digest.more == f"and {len(NEWEST) - 5} more: /papers search more:{digest.id}"
    clock.advance(timedelta(days=40))  # the link is followed weeks later
    query = (digest.more or "").split("/papers search ", 1)[1]
    page = await PaperService(store).search(query, limit=100)
    assert [hit.paper.id for hit in page.hits] == [p.id for p in NEWEST[5:]]


async def store_filter(store: Store, ref: ChannelRef, text: str) -> None:
    """Write a filter straight into the database, as an older paperboy or a hand edit could have."""
    async with aiosqlite.connect(store.path) as conn:
        await conn.execute(
            "UPDATE subscriptions SET filter = ? WHERE platform = ? AND workspace = ? AND channel = ?",
            (text, ref.platform.value, ref.workspace, ref.channel),
        )
        await conn.commit()


async def test_a_digest_tried_again_now_is_the_channels_only_answer(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock, sink: RecordingSink
) -> None:
    await subscribe(subscriptions)
    clock.set(datetime(2025, 1, 16, 9, 0, tzinfo=UTC))
    sink.next.extend([DeliveryError("Slack did not answer"), DeliveryError("Slack did not answer")])
    [first] = await runner.run_due()
    assert first.result is Result.RETRY
    outcomes = await runner.run_now(LAB)
    assert [(o.ref, o.result) for o in outcomes] == [(LAB, Result.RETRY)]


async def test_the_next_digest_is_one_due_now_before_tomorrows(
    runner: DigestRunner, subscriptions: SubscriptionService, clock: FakeClock
) -> None:
    await subscribe(subscriptions, time="09:00")
    clock.set(datetime(2025, 1, 16, 9, 0, 1, tzinfo=UTC))  # paperboy started a second after the post time
    assert await runner.next_due() == (clock.now(), LAB)
