"""`serve`, the body of `paperboy run`: fetch at start, then stop promptly when asked, even mid-fetch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from paperboy.app import serve
from paperboy.clock import SystemClock
from paperboy.config import Secret, Settings
from paperboy.store import Store
from paperboy.store.locks import this_process
from paperboy.store.processes import ProcessRecord
from tests.fakes.corpus import by_day, hf_item
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.running import HangingServer
from tests.fakes.server import Fault
from tests.fakes.slack import APP_TOKEN, TOKEN

pytestmark = pytest.mark.asyncio


def only_huggingface(settings: Settings) -> Settings:
    sources = settings.sources
    return replace(settings, sources=replace(sources, arxiv=replace(sources.arxiv, enabled=False)))


async def wait_until(condition: Callable[[], object]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - polls state another task and a server change
            await asyncio.sleep(0.01)


async def test_serve_fetches_every_enabled_source_at_start(
    settings: Settings, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="paperboy")
    papers = by_day()[datetime(2025, 1, 16).date()]
    hf_server.days[datetime.now(UTC).date().isoformat()] = [hf_item(p) for p in papers]
    stop = asyncio.Event()
    running = asyncio.create_task(serve(only_huggingface(settings), stop))
    await wait_until(lambda: "fetched huggingface" in caplog.text)
    stop.set()
    await asyncio.wait_for(running, 5)
    async with await Store.open(settings.database.path) as store:
        assert await store.papers.count() == len({p.id for p in papers})


async def test_serve_stops_promptly_in_the_middle_of_a_fetch(
    settings: Settings, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slow = replace(only_huggingface(settings), http=replace(settings.http, timeout=timedelta(seconds=60)))
    hf_server.fail_next(PATH, Fault(delay=30))
    stop = asyncio.Event()
    running = asyncio.create_task(serve(slow, stop))
    await wait_until(lambda: hf_server.requests_to(PATH))
    stop.set()
    await asyncio.wait_for(running, 5)
    async with await Store.open(settings.database.path) as store:
        assert await store.papers.count() == 0
    assert "fetching huggingface stopped: paperboy is shutting down" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a shutdown is not an error"


def slack_behind(settings: Settings, hanging: HangingServer) -> Settings:
    """Socket Mode settings whose Slack Web API accepts connections and never answers (a long client timeout:
    only paperboy's own limits end the wait)."""
    slack = replace(
        settings.slack,
        bot_token=Secret(TOKEN),
        app_token=Secret(APP_TOKEN),
        api_base_url=f"http://127.0.0.1:{hanging.port}/api/",
    )
    delivery = replace(settings.delivery, webhook_timeout=timedelta(seconds=60))
    return replace(only_huggingface(settings), slack=slack, delivery=delivery)


async def test_serve_stops_promptly_while_slack_is_being_checked(settings: Settings) -> None:
    async with HangingServer() as hanging:
        stop = asyncio.Event()
        running = asyncio.create_task(serve(slack_behind(settings, hanging), stop))
        async with asyncio.timeout(10):
            await hanging.connected.wait()
        stop.set()
        await asyncio.wait_for(running, 2)


async def test_serve_fetches_while_slack_is_being_checked(
    settings: Settings, hf_server: FakeHuggingFace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    hf_server.days[datetime.now(UTC).date().isoformat()] = [hf_item(p) for p in by_day()[datetime(2025, 1, 16).date()]]
    async with HangingServer() as hanging:
        stop = asyncio.Event()
        running = asyncio.create_task(serve(slack_behind(settings, hanging), stop))
        await wait_until(lambda: "fetched huggingface" in caplog.text)
        assert "running: database" not in caplog.text, "fetched before Slack's check (5 s) was given up"
        stop.set()
        await asyncio.wait_for(running, 5)
    assert hanging.connected.is_set(), "Slack was asked"


async def test_serve_keeps_its_row_in_the_process_table_with_what_it_holds(
    settings: Settings, hf_server: FakeHuggingFace
) -> None:
    hf_server.gate.clear()  # the fetch at start stays under way
    stop = asyncio.Event()
    running = asyncio.create_task(serve(only_huggingface(settings), stop))
    await wait_until(lambda: hf_server.in_flight)  # the database is set up
    async with await Store.open(settings.database.path) as store:

        async def row() -> list[ProcessRecord]:
            return await store.processes.live(SystemClock().now())

        async with asyncio.timeout(10):
            while [r.holds for r in await row()] != [{"fetching": ["huggingface"], "sending": 0}]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert [r.name for r in await row()] == [this_process()]
        stop.set()
        hf_server.gate.set()
        await asyncio.wait_for(running, 5)
        assert await row() == [], "a run that stops leaves the table"
