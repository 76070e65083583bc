"""This process's row in the process table, kept while `paperboy run` runs, and while `paperboy digest` sends
(`paperboy status`, `/healthz`, and each process's share of the platforms' rate limits: `wiring/sinks.py`).

The row is written at start and again every `processes.HEARTBEAT`, with what the process holds now (its
Discord shards, the digests it is sending, the sources it is fetching), and deleted when the run stops. A
row not renewed for a while belongs to a process that is gone, and whoever looks next drops it.

A heartbeat that cannot be written (the database away) is logged once for the whole outage, and once more
when it is written again; it never stops the run, and a stop never waits on it: each write is given at most
one heartbeat's time, and the last one (the row deleted) a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import paperboy
from paperboy.clock import Clock
from paperboy.ingest import being_fetched
from paperboy.store import Store
from paperboy.store.identity import Claimant
from paperboy.store.locks import this_process
from paperboy.store.processes import HEARTBEAT

log = logging.getLogger(__name__)

#: what a process holds, as its row says it: {"shards": [0, 1], "sending": 3, "fetching": ["huggingface"]}
Holds = dict[str, Any]
#: how long a stop gives the deletion of the row; a row left behind is dropped once it is old
FORGET_SECONDS = 2.0


async def work_held(store: Store) -> Holds:
    """What any paperboy process holds: how many digests it is sending (its claims), and the sources it is
    fetching."""
    return {
        "sending": await store.ledger.claims_held(Claimant.this_process()),
        "fetching": being_fetched(store),
    }


class Heartbeat:
    """Writes the row of process `name` (this one: `host:pid/space-nonce`, as its claims on digests name it)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        holds: Callable[[], Awaitable[Holds]],
        *,
        name: str | None = None,
        every: timedelta = HEARTBEAT,
    ) -> None:
        self.name = name or this_process()
        self._store = store
        self._clock = clock
        self._holds = holds
        self._every = every
        self.started_at = clock.now()
        #: heartbeats that could not be written since start
        self.failures = 0
        self._failing = False
        self._soon = asyncio.Event()

    async def beat(self) -> bool:
        """Write the row now; whether it was written."""
        try:
            async with asyncio.timeout(self._every.total_seconds()):
                holds = await self._holds()
                now = self._clock.now()
                await self._store.processes.beat(self.name, self.started_at, now, paperboy.__version__, holds)
        except Exception as error:  # the database away or failing: the run goes on without its row
            self.failures += 1
            if not self._failing:
                self._failing = True
                # the first line: a driver's message may go on with the statement it failed on
                reason = (str(error).strip().splitlines() or [f"no answer within {self._every.total_seconds():g} s"])[0]
                log.warning(
                    "cannot record %s in the process table of %s (%s); paperboy status and /healthz do not list "
                    "it until the database answers again, and paperboy goes on",
                    self.name,
                    self._store.location,
                    reason,
                )
            return False
        if self._failing:
            self._failing = False
            log.info("%s is recorded in the process table again", self.name)
        return True

    def beat_soon(self) -> None:
        """Have `run` write the row now rather than at the next heartbeat (what the process holds changed)."""
        self._soon.set()

    async def run(self) -> None:
        """Beat every `every`, until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._soon.wait(), self._every.total_seconds())
            self._soon.clear()
            await self.beat()

    async def forget(self) -> None:
        """Delete the row (the run stops), waiting for the database a moment at most."""
        try:
            async with asyncio.timeout(FORGET_SECONDS):
                await self._store.processes.forget(self.name)
        except Exception as error:  # the row is dropped by others once it is old
            log.debug("the process table keeps %s a little longer (%s)", self.name, error or "no answer")


@asynccontextmanager
async def beating(heartbeat: Heartbeat) -> AsyncIterator[Heartbeat]:
    """Keep `heartbeat` going while the block runs: the row is written first, then renewed in the background;
    at the end the renewals stop and the row is deleted."""
    await heartbeat.beat()
    task = asyncio.create_task(heartbeat.run(), name="paperboy-heartbeat")
    try:
        yield heartbeat
    finally:
        task.cancel()
        await asyncio.wait([task])  # a write under way is cut short: the database server is told to stop it
        await heartbeat.forget()
