"""A pace shared by processes: requests evenly spaced at this process's share of the rate, the share read again
as processes come and go, and a newcomer waiting until the others have made room."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from paperboy.pace import Pace

pytestmark = pytest.mark.asyncio


class Processes:
    """How many processes share the budget, as the process table would say; it can fail to say."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.looks = 0
        self.fail = False

    async def __call__(self) -> int:
        self.looks += 1
        if self.fail:
            raise OSError("the database is out of reach")
        return self.count


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def starts(pace: Pace, requests: int) -> list[float]:
    moments = []
    for _ in range(requests):
        await pace.wait()
        moments.append(time.monotonic())
    return moments


async def test_one_process_alone_sends_evenly_at_the_whole_rate() -> None:
    moments = await starts(Pace(100), 11)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) >= 0.01 * 0.99


async def test_each_of_several_processes_takes_an_equal_share() -> None:
    pace = Pace(200, Processes(4), refresh=0.1)
    moments = await starts(pace, 6)
    assert pace.shared_by == 4 and pace.rate == 50
    # the newcomer waited for the others to make room, then went at a quarter of the rate
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) >= 0.02 * 0.99


async def test_requests_waiting_together_still_go_one_at_a_time() -> None:
    pace = Pace(100)
    moments: list[float] = []

    async def one() -> None:
        await pace.wait()
        moments.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(8)))
    moments.sort()
    assert min(b - a for a, b in itertools.pairwise(moments)) >= 0.01 * 0.99


async def test_the_share_follows_processes_coming_and_going() -> None:
    processes, clock = Processes(1), ManualClock()
    pace = Pace(1000, processes, refresh=5, clock=clock)
    await pace.wait()
    assert pace.rate == 1000
    processes.count = 4
    clock.now += 4
    await pace.wait()
    assert pace.rate == 1000, "read again only after `refresh`"
    clock.now += 1
    await pace.wait()
    assert (pace.shared_by, pace.rate) == (4, 250)
    processes.count = 2
    clock.now += 5
    await pace.wait()
    assert pace.rate == 500


async def test_a_newcomer_waits_until_the_others_have_counted_it() -> None:
    pace = Pace(1000, Processes(3), refresh=0.2)
    started = time.monotonic()
    await pace.wait()
    assert time.monotonic() - started >= 0.2 * 0.99


async def test_a_process_alone_starts_at_once() -> None:
    processes, clock = Processes(1), ManualClock()
    pace = Pace(1, processes, refresh=3600, clock=clock)
    async with asyncio.timeout(5):  # a wait of `refresh` would fail this
        await pace.wait()
    assert processes.looks == 1


async def test_a_count_that_cannot_be_read_keeps_the_last_one() -> None:
    processes, clock = Processes(1), ManualClock()
    pace = Pace(1000, processes, refresh=5, clock=clock)
    await pace.wait()
    processes.count = 3
    clock.now += 5
    await pace.wait()
    processes.fail = True
    clock.now += 5
    await pace.wait()
    assert (processes.looks, pace.shared_by) == (3, 3)
