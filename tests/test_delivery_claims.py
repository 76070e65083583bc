"""Digests under a lease, on both backends: a process keeps its claims while it sends (however long that
takes), stops a send whose claim another process took over, takes over the digests of a process that died once
their lease ran out (marked resent), and sends what other processes planned but have not started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.config import DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.models import ChannelRef, DigestKind, DigestState, Platform
from paperboy.store import Store
from paperboy.store.identity import Claimant
from paperboy.subscriptions import SubscriptionService
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.sink import HeldSink, RecordingSink

pytestmark = pytest.mark.asyncio
LAB = ChannelRef(Platform.CONSOLE, "lab")
OTHER_CHANNEL = ChannelRef(Platform.CONSOLE, "other")
NINE = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
#: another live process (on another host: only its lease tells whether it is alive)
ELSEWHERE = Claimant("elsewhere", 7, "0a0b0c0d", "a1b2c3")
#: renewals only when a test asks for one (`renew_claims`)
BY_HAND = timedelta(hours=1)
PAPER = corpus_papers()[0].id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NINE)


@pytest_asyncio.fixture
async def store(database_target: Path | str, clock: FakeClock) -> AsyncIterator[Store]:
    async with await Store.open(database_target) as opened:
        await opened.papers.upsert(corpus_papers())
        subscriptions = SubscriptionService(opened, DigestSettings(), clock)
        await subscriptions.subscribe(LAB, by="test", time="09:00", timezone="UTC", days="daily", max_papers=3)
        await subscriptions.subscribe(OTHER_CHANNEL, by="test", time="23:00", timezone="UTC", days="daily")
        yield opened


def runner(store: Store, sink: object, clock: FakeClock, **options: object) -> DigestRunner:
    return DigestRunner(store, {Platform.CONSOLE: sink}, clock, lease=LEASE, **options)  # type: ignore[arg-type]


async def test_a_send_longer_than_the_lease_keeps_its_claim_while_renewed(store: Store, clock: FakeClock) -> None:
    sink = HeldSink()
    first = runner(store, sink, clock, renew_every=BY_HAND)
    sending = asyncio.create_task(first.run_due())
    await sink.wait_started()
    clock.advance(LEASE / 2)
    await first.renew_claims()  # as its periodic renewal does
    clock.advance(LEASE * 3 / 4)  # past the first lease, within the renewed one
    assert await runner(store, RecordingSink(), clock, claimant=ELSEWHERE).resume_unfinished(early=True) == []
    sink.go.set()
    [outcome] = await sending
    assert outcome.result is Result.SENT and not outcome.resent
    assert len(sink.finished) == 1 and sink.stopped == []


async def test_claims_are_renewed_every_third_of_the_lease_while_sending(store: Store, clock: FakeClock) -> None:
    sink = HeldSink()
    sending = asyncio.create_task(runner(store, sink, clock, renew_every=timedelta(milliseconds=20)).run_due())
    await sink.wait_started()
    clock.advance(LEASE / 2)
    renewed = clock.now() + LEASE
    async with asyncio.timeout(10):
        while await store.ledger.next_lapse(ELSEWHERE, clock.now()) != renewed:  # noqa: ASYNC110 - the renewal
            await asyncio.sleep(0.01)
    sink.go.set()
    [outcome] = await sending
    assert outcome.result is Result.SENT


async def test_a_send_whose_claim_another_process_took_over_is_stopped(store: Store, clock: FakeClock) -> None:
    sink = HeldSink()
    first = runner(store, sink, clock, renew_every=BY_HAND)
    sending = asyncio.create_task(first.run_due())
    await sink.wait_started()
    [digest] = sink.started
    assert digest.id is not None
    clock.advance(LEASE)  # this process stalled: its lease ran out unrenewed, and another one took the digest
    assert await store.ledger.claim(digest.id, ELSEWHERE, clock.now(), LEASE) is not None
    await first.renew_claims()
    assert await sending == []
    assert sink.stopped == [digest] and sink.finished == []


async def test_a_digest_whose_sender_died_mid_send_is_taken_over_once_its_lease_ran_out(
    store: Store, clock: FakeClock
) -> None:
    planned = await store.ledger.plan(LAB, date(2025, 1, 16), [PAPER], [], NINE, kind=DigestKind.NOW)
    assert planned is not None
    assert await store.ledger.claim(planned.id, ELSEWHERE, NINE, LEASE) is not None
    assert await store.ledger.mark(planned.id, DigestState.SENDING, holder=ELSEWHERE)  # then it died
    sink = RecordingSink()
    assert await runner(store, sink, clock).resume_unfinished() == []
    clock.advance(LEASE)
    [outcome] = await runner(store, sink, clock).resume_unfinished()
    assert outcome.result is Result.SENT and outcome.resent
    [digest] = sink.received
    assert digest.resent and digest.id == planned.id


async def test_a_digest_another_process_planned_meanwhile_is_sent_before_the_run_ends(
    store: Store, clock: FakeClock
) -> None:
    sink = HeldSink()
    sending = asyncio.create_task(runner(store, sink, clock).run_due())
    await sink.wait_started()
    # another process plans a digest for the other channel, then is too busy (or dead) to start it
    planned = await store.ledger.plan(OTHER_CHANNEL, date(2025, 1, 16), [PAPER], [], NINE, kind=DigestKind.NOW)
    assert planned is not None
    sink.go.set()
    outcomes = await sending
    assert {(o.ref, o.result) for o in outcomes} == {(LAB, Result.SENT), (OTHER_CHANNEL, Result.SENT)}
    assert sorted(d.ref.channel for d in sink.finished) == ["lab", "other"]


async def test_a_send_whose_claim_cannot_be_renewed_before_it_runs_out_is_stopped(
    store: Store, clock: FakeClock
) -> None:
    sink = HeldSink()
    first = runner(store, sink, clock, renew_every=BY_HAND)
    sending = asyncio.create_task(first.run_due())
    await sink.wait_started()
    clock.advance(LEASE - timedelta(seconds=30))  # the lease ends before the next renewal could
    await store.close()  # the database is out of reach
    await first.renew_claims()
    with pytest.raises(Exception):  # noqa: B017 - the rest of the run meets the database gone, whatever way
        await sending
    assert sink.stopped == sink.started and sink.finished == []
