"""Message updates coalesced: per message one at a time, and however many asked meanwhile, one more after it."""

from __future__ import annotations

import asyncio

import pytest

from paperboy.adapters.coalesce import Coalescer, Update

pytestmark = pytest.mark.asyncio


async def test_updates_asked_for_while_one_runs_become_one_more_made_last() -> None:
    updates = Coalescer(spacing=0.01)
    release = asyncio.Event()
    started = asyncio.Event()
    made: list[int] = []

    def update(number: int) -> Update:
        async def run() -> None:
            started.set()
            if number == 0:
                await release.wait()
            made.append(number)

        return run

    updates.request("message", update(0))
    await asyncio.wait_for(started.wait(), 10)
    for number in range(1, 6):
        updates.request("message", update(number))
    release.set()
    await asyncio.wait_for(updates.settle(), 10)
    assert made == [0, 5]


async def test_two_messages_are_updated_independently() -> None:
    updates = Coalescer(spacing=0.01)
    made: list[str] = []

    def update(message: str) -> Update:
        async def run() -> None:
            made.append(message)

        return run

    updates.request("a", update("a"))
    updates.request("b", update("b"))
    await asyncio.wait_for(updates.settle(), 10)
    assert sorted(made) == ["a", "b"]


async def test_a_failed_update_does_not_stop_the_next(caplog: pytest.LogCaptureFixture) -> None:
    updates = Coalescer(spacing=0.01)
    release = asyncio.Event()
    made: list[str] = []

    async def failing() -> None:
        await release.wait()
        raise RuntimeError("Slack said no")

    async def working() -> None:
        made.append("second")

    updates.request("message", failing)
    await asyncio.sleep(0)
    updates.request("message", working)
    release.set()
    await asyncio.wait_for(updates.settle(), 10)
    assert made == ["second"]
    assert "cannot update a rated message (RuntimeError: Slack said no)" in caplog.text
