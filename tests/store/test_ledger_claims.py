"""Claims on digests under a lease, on both backends: renewed by their holder, taken over only once they run
out, never held by two processes at once however many race for them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.models import ChannelRef, DigestState, Platform
from paperboy.store import Store
from paperboy.store.identity import Claimant

pytestmark = pytest.mark.asyncio
DAY = date(2025, 1, 16)
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
ME = Claimant.this_process()
OTHER = Claimant("elsewhere", 7, "0a0b0c0d", "a1b2c3")


async def planned_digest(store: Store, channel: str = "lab") -> int:
    planned = await store.ledger.plan(ChannelRef(Platform.CONSOLE, channel), DAY, ["a"], [], NOW)
    assert planned is not None
    return planned.id


def ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_a_renewed_claim_outlasts_its_first_lease(store: Store) -> None:
    digest = await planned_digest(store)
    assert await store.ledger.claim(digest, OTHER, NOW, LEASE) is not None
    assert await store.ledger.renew(OTHER, [digest], NOW + LEASE / 2 + LEASE) == set()
    assert await store.ledger.claim(digest, ME, NOW + LEASE, LEASE) is None
    assert await store.ledger.claim(digest, ME, NOW + LEASE / 2 + LEASE, LEASE) is not None


async def test_renewing_tells_which_digests_another_process_took_over(store: Store) -> None:
    kept, lost = await planned_digest(store, "kept"), await planned_digest(store, "lost")
    for digest in (kept, lost):
        assert await store.ledger.claim(digest, OTHER, NOW, LEASE) is not None
    assert await store.ledger.claim(lost, ME, NOW + LEASE, LEASE) is not None  # OTHER stalled past its lease
    assert await store.ledger.renew(OTHER, [kept, lost], NOW + LEASE + LEASE) == {lost}
    assert await store.ledger.claim(kept, ME, NOW + LEASE + LEASE / 2, LEASE) is None


async def test_a_digest_is_marked_sending_only_by_the_process_holding_its_claim(store: Store) -> None:
    digest = await planned_digest(store)
    assert await store.ledger.claim(digest, OTHER, NOW, LEASE) is not None
    assert await store.ledger.claim(digest, ME, NOW + LEASE, LEASE) is not None
    assert not await store.ledger.mark(digest, DigestState.SENDING, holder=OTHER)
    assert await store.ledger.mark(digest, DigestState.SENDING, holder=ME)
    planned = await store.ledger.get(digest)
    assert planned is not None and planned.state is DigestState.SENDING


async def test_processes_alike_in_host_and_pid_do_not_share_claims(store: Store) -> None:
    digest = await planned_digest(store)
    twin = replace(ME, nonce="ffffff" if ME.nonce != "ffffff" else "000000")  # another container, same names
    assert await store.ledger.claim(digest, twin, NOW, LEASE) is not None
    assert await store.ledger.claim(digest, ME, NOW, LEASE) is None


async def test_a_process_in_another_pid_namespace_is_never_judged_gone_from_here(store: Store) -> None:
    digest = await planned_digest(store)
    elsewhere = Claimant(ME.host, ended_pid(), "ffffffff" if ME.space != "ffffffff" else "00000000", "abcdef")
    assert await store.ledger.claim(digest, elsewhere, NOW, LEASE) is not None
    assert await store.ledger.claim(digest, ME, NOW, LEASE) is None  # only its lease tells
    assert await store.ledger.claim(digest, ME, NOW + LEASE, LEASE) is not None


async def test_claimable_digests_are_those_nobody_else_holds(store: Store) -> None:
    free, held, mine = [await planned_digest(store, name) for name in ("free", "held", "mine")]
    assert await store.ledger.claim(held, OTHER, NOW, LEASE) is not None
    assert await store.ledger.claim(mine, ME, NOW, LEASE) is not None
    ids = [d.id for d in await store.ledger.claimable(ME, NOW + LEASE / 2)]
    assert ids == [free, mine]
    assert len(await store.ledger.claimable(ME, NOW + LEASE)) == 3


async def test_the_next_lapse_is_when_the_first_claim_of_another_process_runs_out(store: Store) -> None:
    first, second, mine = [await planned_digest(store, name) for name in ("first", "second", "mine")]
    await store.ledger.claim(mine, ME, NOW - LEASE / 2, LEASE)
    await store.ledger.claim(first, OTHER, NOW, LEASE)
    await store.ledger.claim(second, OTHER, NOW + timedelta(seconds=30), LEASE)
    assert await store.ledger.next_lapse(ME, NOW) == NOW + LEASE
    assert await store.ledger.next_lapse(OTHER, NOW) == NOW + LEASE / 2
    await store.ledger.mark(first, DigestState.SENT, now=NOW)
    assert await store.ledger.next_lapse(ME, NOW) == NOW + timedelta(seconds=30) + LEASE
    assert await store.ledger.next_lapse(ME, NOW + LEASE + LEASE) is None


async def test_processes_racing_for_the_same_digests_each_take_a_digest_once(
    database_target: Path | str, store: Store
) -> None:
    digests = [await planned_digest(store, f"c{n}") for n in range(60)]
    racers = [Claimant("host", n, "", f"{n:06x}") for n in range(1, 5)]
    stores = [await Store.open(database_target) for _ in racers]  # a pool of connections each, as processes have
    try:

        async def take_all(own: Store, claimant: Claimant) -> list[int]:
            return [d for d in digests if await own.ledger.claim(d, claimant, NOW, LEASE) is not None]

        taken = await asyncio.gather(*(take_all(own, c) for own, c in zip(stores, racers, strict=True)))
    finally:
        for own in stores:
            await own.close()
    every = [digest for one in taken for digest in one]
    assert sorted(every) == digests, "each digest taken by exactly one process"


async def test_claimable_digests_come_in_batches_in_id_order(store: Store) -> None:
    digests = [await planned_digest(store, f"c{n}") for n in range(5)]
    first = await store.ledger.claimable(ME, NOW, limit=2)
    rest = await store.ledger.claimable(ME, NOW, after=first[-1].id, limit=10)
    assert [d.id for d in first + rest] == digests
    assert await store.ledger.claimable(ME, NOW, platforms=[Platform.SLACK]) == []
