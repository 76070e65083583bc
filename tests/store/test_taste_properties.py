"""A taste profile reads back as written, whatever its terms (any unicode), weights (any finite float), mass,
vote count and moment, on both engines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperboy.models import ChannelRef, Platform, TasteProfile
from paperboy.store import Store
from paperboy.store.taste import read_profile, write_profile

LAB = ChannelRef(Platform.SLACK, "C1", "T1")

weights = st.dictionaries(
    st.text(min_size=1, max_size=30),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    max_size=40,
)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weights,
    weights,
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=2**62),
    moments,
)
def test_any_profile_reads_back_as_written(
    database_target: Path | str, kept: dict[str, float], top: dict[str, float], mass: float, votes: int, at: datetime
) -> None:
    written = TasteProfile(kept, top, mass, votes, at)

    async def write_and_read() -> TasteProfile | None:
        async with await Store.open(database_target) as store:  # the same database for every example
            await write_profile(store.db, LAB, written)
            return await read_profile(store.db, LAB)

    assert asyncio.run(write_and_read()) == written
