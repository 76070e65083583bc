"""The store's tests on both engines: a SQLite file, or a new PostgreSQL database on the server that
$PAPERBOY_TEST_DATABASE_URL names (those tests are skipped, with one line, when it is unset)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from paperboy.store import Store, Target
from tests.fakes.corpus import corpus_papers

#: a server whose user may create databases: each database a test asks for is new, and dropped after it
URL_VARIABLE = "PAPERBOY_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL: set {URL_VARIABLE} to a server's URL to run these")
    pytest.importorskip("psycopg", reason="PostgreSQL: pip install 'psycopg[binary,pool]' to run these")
    return url


@contextmanager
def new_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on `server`, dropped afterwards (with whatever still holds it)."""
    import psycopg
    from psycopg import sql

    database = f"paperboy_test_{uuid.uuid4().hex[:16]}"
    name = sql.Identifier(database)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{database}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    with new_database(postgres_server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, db_path: Path) -> Target:
    """Where a test's own database is, once per engine: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return db_path
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A database holding the shared corpus, once per engine, for the tests of a module that only read it
    (making a PostgreSQL database takes longer than filling it)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("corpus") / "papers.db"
        asyncio.run(_fill(path))
        yield path
        return
    server: str = request.getfixturevalue("postgres_server")
    with new_database(server) as url:
        asyncio.run(_fill(url))
        yield url


async def _fill(target: Target) -> None:
    async with await Store.open(target) as store:
        await store.papers.upsert(corpus_papers())
