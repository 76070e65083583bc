"""The process table: heartbeats, what each process holds, and gone processes dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperboy.store import Store
from paperboy.store.processes import GONE_AFTER

pytestmark = pytest.mark.asyncio

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_beating_process_is_live_with_what_it_holds(store: Store) -> None:
    await store.processes.beat("host-a:10", T0, T0, "1.0", {"shards": [0, 1], "sending": 3})
    await store.processes.beat("host-a:10", T0, T0 + timedelta(seconds=15), "1.0", {"shards": [0, 1], "sending": 0})
    (record,) = await store.processes.live(T0 + timedelta(seconds=20))
    assert record.name == "host-a:10" and record.seen_at == T0 + timedelta(seconds=15)
    assert record.holds == {"shards": [0, 1], "sending": 0}


async def test_a_process_not_seen_for_a_while_is_gone_and_dropped(store: Store) -> None:
    await store.processes.beat("host-a:10", T0, T0, "1.0", {})
    await store.processes.beat("host-b:20", T0, T0 + GONE_AFTER, "1.0", {})
    live = await store.processes.live(T0 + GONE_AFTER + timedelta(seconds=1))
    assert [p.name for p in live] == ["host-b:20"]
    assert [p.name for p in await store.processes.live(T0)] == ["host-b:20"]  # the gone row was deleted


async def test_a_process_that_stops_is_forgotten(store: Store) -> None:
    await store.processes.beat("host-a:10", T0, T0, "1.0", {})
    await store.processes.forget("host-a:10")
    assert await store.processes.live(T0) == []
