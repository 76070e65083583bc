"""Request signatures seen: new only the first time, across connections, and not kept past the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.store import Store
from paperboy.store.replays import KEEP

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 12, 0, tzinfo=UTC)


async def kept(store: Store) -> int:
    row = await store.db.fetchone("SELECT count(*) FROM seen_signatures")
    assert row is not None
    return int(row[0])


async def test_a_signature_is_new_only_the_first_time(store: Store) -> None:
    assert await store.replays.first_time("v0=aaa", NOW)
    assert not await store.replays.first_time("v0=aaa", NOW + timedelta(seconds=30))
    assert await store.replays.first_time("v0=bbb", NOW)


async def test_a_signature_seen_by_one_process_is_not_new_to_another(store: Store, database_target: Path | str) -> None:
    async with await Store.open(database_target) as other:
        assert await store.replays.first_time("v0=aaa", NOW)
        assert not await other.replays.first_time("v0=aaa", NOW)


async def test_signatures_older_than_the_window_are_deleted_on_the_way(store: Store) -> None:
    for i in range(5):
        await store.replays.first_time(f"v0=old{i}", NOW)
    await store.replays.first_time("v0=new", NOW + KEEP + timedelta(minutes=1))
    assert await kept(store) == 1


async def test_a_signature_is_kept_for_the_whole_window(store: Store) -> None:
    await store.replays.first_time("v0=aaa", NOW)
    await store.replays.first_time("v0=bbb", NOW + KEEP - timedelta(seconds=1))  # purges what is older
    assert not await store.replays.first_time("v0=aaa", NOW + KEEP - timedelta(seconds=1))
