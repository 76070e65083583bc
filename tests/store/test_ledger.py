"""The delivery ledger: one scheduled digest a day, papers given once even when processes race, and claims
that let exactly one process send a digest."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from paperboy.models import ChannelRef, DigestKind, DigestState, Platform
from paperboy.store import Store
from paperboy.store.identity import Claimant

pytestmark = pytest.mark.asyncio
LAB = ChannelRef(Platform.CONSOLE, "lab")
DAY = date(2025, 1, 16)
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_a_channel_has_one_scheduled_digest_a_day_and_any_number_sent_now(store: Store) -> None:
    assert await store.ledger.plan(LAB, DAY, ["a"], [], NOW) is not None
    assert await store.ledger.plan(LAB, DAY, ["b"], [], NOW) is None
    first = await store.ledger.plan(LAB, DAY, ["c"], [], NOW, kind=DigestKind.NOW)
    second = await store.ledger.plan(LAB, DAY, ["d"], [], NOW, kind=DigestKind.NOW)
    assert first is not None and second is not None and first.id != second.id
    assert await store.ledger.last_days(DigestKind.SCHEDULED) == {("console", "", "lab"): DAY}


async def test_papers_another_process_gave_meanwhile_are_dropped_from_a_plan(store: Store) -> None:
    await store.ledger.plan(LAB, DAY, ["a", "b"], ["c"], NOW, kind=DigestKind.NOW)
    late = await store.ledger.plan(LAB, DAY, ["b", "d"], ["c", "e"], NOW, kind=DigestKind.NOW)
    assert late is not None
    assert (late.paper_ids, late.left_out) == (("d",), 1)
    assert await store.ledger.left_out(late.id) == ["e"]


async def test_a_plan_left_with_nothing_is_empty(store: Store) -> None:
    await store.ledger.plan(LAB, DAY, ["a"], [], NOW, kind=DigestKind.NOW)
    late = await store.ledger.plan(LAB, DAY, ["a"], [], NOW, kind=DigestKind.NOW)
    assert late is not None and late.state is DigestState.EMPTY


async def test_left_out_papers_keep_the_order_the_digest_would_have_listed_them(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], ["z", "b", "m"], NOW)
    assert planned is not None
    assert await store.ledger.left_out(planned.id) == ["z", "b", "m"]


async def test_a_digest_is_sent_by_one_process_at_a_time(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], [], NOW)
    assert planned is not None
    this, other = Claimant.this_process(), Claimant("elsewhere", 1)
    assert await store.ledger.claim(planned.id, other, NOW, LEASE) is not None
    assert await store.ledger.claim(planned.id, this, NOW + LEASE / 2, LEASE) is None
    assert await store.ledger.claim(planned.id, this, NOW + LEASE, LEASE) is not None  # the lease ran out


async def test_the_claim_of_a_process_that_died_lapses_at_once(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], [], NOW)
    assert planned is not None
    gone = replace(Claimant.this_process(), pid=dead_pid(), nonce="0dead0")
    assert await store.ledger.claim(planned.id, gone, NOW, LEASE) is not None
    assert await store.ledger.claim(planned.id, Claimant.this_process(), NOW, LEASE) is not None


async def test_the_claims_a_process_holds_are_the_unfinished_digests_it_claimed(store: Store) -> None:
    me, other = Claimant.this_process(), Claimant("elsewhere", 1)
    digests = [await store.ledger.plan(ChannelRef(Platform.CONSOLE, f"c{n}"), DAY, ["a"], [], NOW) for n in range(4)]
    assert all(digests)
    for digest, claimant in zip(digests, (me, me, me, other), strict=True):
        assert digest is not None and await store.ledger.claim(digest.id, claimant, NOW, LEASE) is not None
    assert digests[0] is not None and digests[1] is not None
    await store.ledger.mark(digests[0].id, DigestState.SENDING)  # still being sent: still held
    await store.ledger.mark(digests[1].id, DigestState.SENT, now=NOW)  # finished: let go
    assert await store.ledger.claims_held(me) == 2
    assert await store.ledger.claims_held(other) == 1


async def test_a_digest_is_not_claimed_before_its_next_try(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], [], NOW)
    assert planned is not None
    me = Claimant.this_process()
    await store.ledger.mark(planned.id, DigestState.PLANNED, attempts=1, next_attempt_at=NOW + timedelta(minutes=5))
    assert await store.ledger.claim(planned.id, me, NOW, LEASE) is None
    assert await store.ledger.claim(planned.id, me, NOW, LEASE, early=True) is not None
    assert await store.ledger.claim(planned.id, me, NOW + timedelta(minutes=5), LEASE) is not None


async def test_a_finished_digest_is_claimed_by_nobody(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], [], NOW)
    assert planned is not None
    await store.ledger.mark(planned.id, DigestState.SENT, now=NOW, message_ids=["m1"])
    assert await store.ledger.claim(planned.id, Claimant.this_process(), NOW, LEASE, early=True) is None


async def test_a_failed_digest_can_give_its_papers_back(store: Store) -> None:
    planned = await store.ledger.plan(LAB, DAY, ["a"], ["b"], NOW)
    assert planned is not None
    await store.ledger.mark(planned.id, DigestState.FAILED, error="refused", release_papers=True)
    assert await store.ledger.delivered([LAB], ["a", "b"]) == {("console", "", "lab"): set()}
