"""The store's tests on both engines: a SQLite file, or a new PostgreSQL database (tests/postgres.py: skipped
in one line without a server, and run under CI)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperboy.store import Store, Target
from tests.fakes.corpus import corpus_papers
from tests.postgres import PostgresServer


@pytest.fixture
def target(database_target: Path | str) -> Target:
    """Where a test's own database is, once per engine: a SQLite file, or a new PostgreSQL database."""
    return database_target


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A database holding the shared corpus, once per engine, for the tests of a module that only read it
    (making a PostgreSQL database takes longer than filling it)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("corpus") / "papers.db"
        asyncio.run(_fill(path))
        yield path
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.fresh_database() as url:
        asyncio.run(_fill(url))
        yield url


async def _fill(target: Target) -> None:
    async with await Store.open(target) as store:
        await store.papers.upsert(corpus_papers())
