"""Named locks shared by every process on the database: one holder at a time, who holds one is told, several
names are taken all or none, and a holder that dies lets go."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import psycopg
import pytest

from paperboy.store import Store
from paperboy.store.locks import this_process

pytestmark = pytest.mark.asyncio


async def test_a_held_lock_is_refused_to_another_process_with_its_holder(
    store: Store, database_target: Path | str
) -> None:
    async with (
        await Store.open(database_target) as other,
        store.locks.try_hold("fetch:huggingface") as mine,
        other.locks.try_hold("fetch:huggingface") as theirs,
    ):
        assert mine and not theirs
        assert theirs.busy == "fetch:huggingface" and theirs.holder == this_process()


async def test_a_lock_is_free_again_after_its_block(store: Store, database_target: Path | str) -> None:
    async with await Store.open(database_target) as other:
        async with store.locks.try_hold("fetch:huggingface") as first:
            assert first
        async with other.locks.try_hold("fetch:huggingface") as second:
            assert second


async def test_locks_of_other_names_do_not_get_in_the_way(store: Store, database_target: Path | str) -> None:
    async with (
        await Store.open(database_target) as other,
        store.locks.try_hold("fetch:huggingface") as hf,
        other.locks.try_hold("fetch:arxiv") as arxiv,
    ):
        assert hf and arxiv


async def test_several_names_are_taken_all_or_none(store: Store, database_target: Path | str) -> None:
    async with (
        await Store.open(database_target) as second,
        await Store.open(database_target) as third,
        second.locks.try_hold("discord:shard:1"),
        store.locks.try_hold("discord:shard:0", "discord:shard:1") as both,
    ):
        assert not both and both.busy == "discord:shard:1"
        async with third.locks.try_hold("discord:shard:0") as zero:
            assert zero, "shard 0 was let go when shard 1 could not be had"


async def test_the_locks_held_are_known_while_held(store: Store) -> None:
    async with store.locks.try_hold("fetch:arxiv", "discord:shard:0"):
        assert store.locks.held() == {"fetch:arxiv", "discord:shard:0"}
    assert store.locks.held() == set()


async def test_a_lock_is_let_go_when_its_block_is_cancelled(store: Store, database_target: Path | str) -> None:
    inside = asyncio.Event()

    async def hold() -> None:
        async with store.locks.try_hold("fetch:huggingface"):
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hold())
    async with asyncio.timeout(10):
        await inside.wait()
    task.cancel()
    await asyncio.wait([task])
    async with await Store.open(database_target) as other, other.locks.try_hold("fetch:huggingface") as after:
        assert after


HOLD_UNTIL_KILLED = """
import asyncio, sys
from pathlib import Path
from paperboy.store import Store

async def main(target):
    store = await Store.open(target if target.startswith("postgres") else Path(target))
    async with store.locks.try_hold("fetch:huggingface") as hold:
        assert hold
        print("held", flush=True)
        await asyncio.Event().wait()

asyncio.run(main(sys.argv[1]))
"""


async def test_a_lock_is_let_go_when_its_holder_is_killed(store: Store, database_target: Path | str) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_UNTIL_KILLED, str(database_target), stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    try:
        async with asyncio.timeout(30):
            assert await holder.stdout.readline() == b"held\n"
        async with store.locks.try_hold("fetch:huggingface") as while_alive:
            assert not while_alive and while_alive.holder is not None
            assert while_alive.holder.startswith(f"{this_process().rpartition(':')[0]}:{holder.pid}/")
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    async with asyncio.timeout(10):  # the server notices the closed connection at once, or nearly
        while True:
            async with store.locks.try_hold("fetch:huggingface") as after:
                if after:
                    break
            await asyncio.sleep(0.05)


async def test_a_lock_is_still_held_while_its_block_runs(store: Store) -> None:
    async with store.locks.try_hold("discord:shard:0", "discord:shard:1"):
        assert await store.locks.still_held("discord:shard:0", "discord:shard:1")
    assert not await store.locks.still_held("discord:shard:0")


def end_sessions_holding_locks(url: str) -> int:
    """End the server sessions that hold advisory locks on the database at `url` (as a restart would)."""
    with psycopg.connect(url, autocommit=True) as admin:
        sql = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        row = admin.execute(sql).fetchone()
    return int(row[0]) if row else 0


async def test_a_lock_whose_connection_is_lost_is_held_no_more(postgres_url: str) -> None:
    async with await Store.open(postgres_url) as store, await Store.open(postgres_url) as other:
        async with store.locks.try_hold("discord:shard:0") as hold:
            assert hold and end_sessions_holding_locks(postgres_url) == 1
            assert not await store.locks.still_held("discord:shard:0")
            assert store.locks.held() == set()
            async with other.locks.try_hold("discord:shard:0") as taken:
                assert taken, "the server let go of it with the connection"
        assert await store.papers.count() == 0, "the pool goes on with its other connections"
