"""Discord shards split between processes sharing a database: each process identifies with its own shards
only, and a shard is connected by one process at a time (another with the same shards stands by, and takes
over when the first stops)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from paperboy.clock import SystemClock
from paperboy.config import Secret, Settings
from paperboy.runtime import Runtime
from paperboy.store import Store
from paperboy.store.locks import this_process
from paperboy.wiring.discord import KEEP_SECONDS, STANDBY_SECONDS, TAKEOVER_SECONDS, held_shards, serve_discord
from tests.fakes.discord import TOKEN, FakeDiscord
from tests.store.test_locks import end_sessions_holding_locks

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def process(
    target: Path | str, settings: Settings, fake: FakeDiscord, shards: int, shard_ids: tuple[int, ...]
) -> AsyncIterator[tuple[Runtime, str]]:
    """A paperboy process on the database at `target` with Discord connecting `shard_ids` of `shards`: its
    runtime, and what its start said about Discord."""
    discord = replace(
        settings.discord,
        token=Secret(TOKEN),
        api_base_url=fake.api_url,
        gateway_url=fake.gateway_url,
        shards=shards,
        shard_ids=shard_ids,
    )
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(await Store.open(target))
        client = await stack.enter_async_context(httpx.AsyncClient())
        runtime = Runtime(replace(settings, discord=discord), store, client, clock=SystemClock())
        said = await stack.enter_async_context(serve_discord(runtime))
        yield runtime, said


async def identified(fake: FakeDiscord, count: int, within: float = 10) -> None:
    async with asyncio.timeout(within):
        while len(fake.identifies) < count:  # noqa: ASYNC110 - the fake gateway answers in this loop
            await asyncio.sleep(0.02)


async def test_each_process_identifies_with_its_own_shards_only(
    database_target: Path | str, settings: Settings, discord_server: FakeDiscord
) -> None:
    async with (
        process(database_target, settings, discord_server, 2, (0,)) as (first, _),
        process(database_target, settings, discord_server, 2, (1,)) as (second, _),
    ):
        await identified(discord_server, 2)
        assert sorted(payload["shard"] for payload in discord_server.identifies) == [[0, 2], [1, 2]]
        assert held_shards(first) == [0] and held_shards(second) == [1]
    assert set(discord_server.most_per_shard.values()) == {1}


async def test_a_process_with_shards_another_connects_stands_by_and_takes_over(
    database_target: Path | str, settings: Settings, discord_server: FakeDiscord
) -> None:
    # one shard each (discord.py paces a process's shards 5 s apart)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(process(database_target, settings, discord_server, 2, (1,)))
        await identified(discord_server, 1)
        async with process(database_target, settings, discord_server, 2, (1,)) as (standby, said):
            assert said == f"Discord standing by (shard 1 is connected by {this_process()})"
            assert held_shards(standby) is None and held_shards(first[0]) == [1]
            await stack.aclose()  # the first process stops
            await identified(discord_server, 2, within=STANDBY_SECONDS + 10)
            assert held_shards(standby) == [1]
    assert [payload["shard"] for payload in discord_server.identifies] == [[1, 2], [1, 2]]
    assert discord_server.most_per_shard == {(1, 2): 1}, "the shard was never connected twice at once"


async def test_shards_whose_lock_the_database_lost_are_disconnected_before_another_process_connects_them(
    postgres_url: str, settings: Settings, discord_server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="paperboy.wiring.discord")
    async with (
        process(postgres_url, settings, discord_server, 2, (1,)) as (first, _),
        process(postgres_url, settings, discord_server, 2, (1,)) as (second, said),
    ):
        await identified(discord_server, 1)
        assert said.startswith("Discord standing by")
        assert end_sessions_holding_locks(postgres_url) == 1  # as a restart of the server would
        await identified(discord_server, 2, within=KEEP_SECONDS + STANDBY_SECONDS + TAKEOVER_SECONDS + 10)
        assert [held_shards(first), held_shards(second)].count([1]) == 1
    assert "the database no longer holds the Discord shards for this process" in caplog.text
    assert discord_server.most_per_shard == {(1, 2): 1}, "the shard was never connected twice at once"
