"""This process's row in the process table: written at start with what it holds, renewed, deleted at the end;
a database that does not take it is said once per outage and stops nothing, not even a stop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import paperboy
from paperboy.clock import SystemClock
from paperboy.heartbeat import FORGET_SECONDS, Heartbeat, Holds, beating
from paperboy.store import Store
from paperboy.store.locks import this_process

pytestmark = pytest.mark.asyncio
FAST = timedelta(milliseconds=50)


async def wait_until(condition: Callable[[], Any], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - the heartbeat's task and the database change it
            await asyncio.sleep(0.02)


def heartbeat(store: Store, holds: Holds | None = None) -> Heartbeat:
    async def held() -> Holds:
        return holds or {"sending": 0, "fetching": []}

    return Heartbeat(store, SystemClock(), held, every=FAST)


async def names(store: Store) -> list[str]:
    return [record.name for record in await store.processes.live(SystemClock().now())]


async def test_the_row_is_written_at_start_with_what_the_process_holds(store: Store) -> None:
    async with beating(heartbeat(store, {"shards": [0, 1], "sending": 2, "fetching": ["arxiv"]})):
        [record] = await store.processes.live(SystemClock().now())
    assert record.name == this_process() and record.version == paperboy.__version__
    assert record.holds == {"shards": [0, 1], "sending": 2, "fetching": ["arxiv"]}


async def test_the_row_is_renewed_while_the_process_runs(store: Store) -> None:
    async with beating(heartbeat(store)):
        [first] = await store.processes.live(SystemClock().now())

        async def renewed() -> bool:
            [now] = await store.processes.live(SystemClock().now())
            return now.seen_at > first.seen_at

        await wait_until(renewed)


async def test_the_row_is_deleted_at_the_end(store: Store) -> None:
    async with beating(heartbeat(store)):
        assert await names(store) == [this_process()]
    assert await names(store) == []


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "paperboy.heartbeat" and r.levelno >= logging.WARNING]


async def test_a_database_that_does_not_take_the_heartbeat_is_said_once_per_outage(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paperboy.heartbeat")
    beats = heartbeat(store)
    async with beating(beats):
        await store.db.execute("ALTER TABLE processes RENAME TO processes_away")  # the writes now fail

        async def failed_a_few_times() -> bool:
            return beats.failures >= 5

        await wait_until(failed_a_few_times)
        [warning] = warnings_of(caplog)
        assert warning.startswith(f"cannot record {this_process()} in the process table of {store.location} (")
        assert warning.endswith("paperboy status and /healthz do not list it until the database answers again, "
                                "and paperboy goes on")  # fmt: skip
        await store.db.execute("ALTER TABLE processes_away RENAME TO processes")

        async def recorded_again() -> bool:
            return f"{this_process()} is recorded in the process table again" in caplog.messages

        await wait_until(recorded_again)
    assert len(warnings_of(caplog)) == 1
    assert "\n" not in warnings_of(caplog)[0]


async def test_a_stop_does_not_wait_for_a_heartbeat_the_database_holds_up(postgres_url: str) -> None:
    async with await Store.open(postgres_url) as store:
        beats = heartbeat(store)
        with psycopg.connect(postgres_url) as blocker:
            async with beating(beats):
                blocker.execute("LOCK TABLE processes IN ACCESS EXCLUSIVE MODE")  # held until the block ends

                async def waiting_for_the_table() -> bool:
                    row = await store.db.fetchone(
                        "SELECT count(*) FROM pg_locks WHERE relation = CAST('processes' AS regclass) AND NOT granted"
                    )
                    return bool(row and row[0])

                await wait_until(waiting_for_the_table)
                stopping = time.monotonic()
            stopped = time.monotonic() - stopping
            blocker.rollback()
    assert stopped < FORGET_SECONDS + 1, "the beat is cut short, and the row's deletion waits a moment at most"
