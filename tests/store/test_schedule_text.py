"""A subscription's schedule as the store keeps it (`days` as text: `mon-fri`, `weekly on mon`) reads back the
same, for any schedule, on both engines."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperboy.models import ChannelRef, Platform, Subscription
from paperboy.schedule import Schedule
from paperboy.store import Store

WHEN = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    at = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    if draw(st.booleans()):
        return Schedule(at, zone, frozenset({draw(st.integers(0, 6))}), weekly=True)
    return Schedule(at, zone, draw(st.frozensets(st.integers(0, 6), min_size=1)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(schedules(), min_size=1, max_size=12))
def test_any_schedule_reads_back_as_it_was_saved(database_target: Path | str, wanted: list[Schedule]) -> None:
    async def save_and_read() -> list[Schedule]:
        async with await Store.open(database_target) as store:  # the same database for every example
            for earlier in await store.subscriptions.list():
                await store.subscriptions.delete(earlier.ref)
            base = Subscription(ChannelRef(Platform.CONSOLE, "x"), wanted[0], 5, created_at=WHEN, updated_at=WHEN)
            for n, schedule in enumerate(wanted):
                await store.subscriptions.save(
                    replace(base, ref=ChannelRef(Platform.CONSOLE, f"c{n:02d}"), schedule=schedule)
                )
            return [s.schedule for s in await store.subscriptions.list()]

    assert asyncio.run(save_and_read()) == wanted
