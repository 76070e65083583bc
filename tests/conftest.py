"""Shared fixtures: fake services on 127.0.0.1, settings pointed at them, a real SQLite store, and PostgreSQL
databases (tests/postgres.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.config import ArxivSettings, HttpSettings, HuggingFaceSettings, Settings, SourcesSettings
from paperboy.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import FakeDiscord
from tests.fakes.hanging import HangingServer
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import FakeSlack
from tests.fakes.webhooks import FakeWebhooks

#: PostgreSQL's fixtures (postgres_url, database_target) and the hook that folds their skips into one line
pytest_plugins = ("tests.postgres",)

#: retry quickly in tests: the behaviour is the same, the waits are not
FAST_HTTP = HttpSettings(
    timeout=timedelta(seconds=0.5), attempts=4, backoff=timedelta(milliseconds=10), max_wait=timedelta(seconds=2)
)


@pytest_asyncio.fixture
async def hf_server() -> AsyncIterator[FakeHuggingFace]:
    server = await FakeHuggingFace().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def arxiv_server() -> AsyncIterator[FakeArxiv]:
    server = await FakeArxiv().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def webhooks() -> AsyncIterator[FakeWebhooks]:
    server = await FakeWebhooks().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def slack_server() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def discord_server() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def hanging_server() -> AsyncIterator[HangingServer]:
    """Accepts connections and never answers."""
    server = await HangingServer().start()
    yield server
    await server.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "paperboy.db"


@pytest_asyncio.fixture
async def store(database_target: Path | str) -> AsyncIterator[Store]:
    """A store on each backend: the test runs once on a SQLite file and once on a PostgreSQL database."""
    async with await Store.open(database_target) as opened:
        yield opened


@pytest_asyncio.fixture
async def sqlite_store(db_path: Path) -> AsyncIterator[Store]:
    """A store on a SQLite file at `db_path`, for tests of what only SQLite does (its file, FTS5, pragmas)."""
    async with await Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def settings(db_path: Path, hf_server: FakeHuggingFace, arxiv_server: FakeArxiv) -> Settings:
    """Settings whose sources point at the fake servers, with fast retries and no arXiv pacing."""
    base = Settings()
    return replace(
        base,
        database=replace(base.database, path=db_path),
        http=FAST_HTTP,
        sources=SourcesSettings(
            huggingface=HuggingFaceSettings(base_url=hf_server.url, page_size=20),
            arxiv=ArxivSettings(enabled=True, base_url=arxiv_server.url, page_size=20, request_interval=timedelta(0)),
        ),
    )
