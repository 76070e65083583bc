"""PostgreSQL for the tests: a fresh, empty database per test on the server named by PAPERBOY_TEST_DATABASE_URL.

`.ci/run` starts a throwaway server (`.ci/postgres start DIR`) and sets the variable; without it the PostgreSQL
tests skip, all for one reason and reported from one place so that `-ra` sums them up in a single line, except
under CI, where a missing server is a failure rather than tests quietly not run.

Fixtures and the hook that folds the skips (tests/conftest.py imports them):
- `postgres_server`: the server, checked once per session;
- `postgres_url`: the URL of a new, empty database for this test, dropped afterwards;
- `database_target`: each test twice, once with a SQLite file and once with a PostgreSQL URL, as
  `Store.open` takes either.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

URL_VARIABLE = "PAPERBOY_TEST_DATABASE_URL"

SKIP_REASON = (
    "PostgreSQL tests need a server: run .ci/run, or `.ci/postgres start DIR` and set PAPERBOY_TEST_DATABASE_URL"
)

#: every test database's name begins so, to tell them apart from anything else on the server
DATABASE_PREFIX = "paperboy_test_"

#: a server out of reach fails the session in seconds, not after the TCP timeout of the OS
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """The server the tests may create databases on, by its URL (which names its maintenance database)."""

    url: str

    def url_for(self, database: str) -> str:
        """The server's URL with another database in it; credentials, host and options kept."""
        return urlsplit(self.url)._replace(path=f"/{database}").geturl()

    def admin(self) -> psycopg.Connection[TupleRow]:
        """A connection for CREATE/DROP DATABASE, which may not run inside a transaction."""
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)

    def database_names(self) -> set[str]:
        """The databases on the server now."""
        with self.admin() as connection:
            return {name for (name,) in connection.execute("SELECT datname FROM pg_database").fetchall()}

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new, empty database's URL, dropped at the end even if connections to it were left open."""
        name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
        # template0: nothing anyone added to template1, and copying it never waits on a connection to it
        with self.admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        try:
            yield self.url_for(name)
        finally:
            with self.admin() as connection:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_address(url: str) -> str:
    """host:port of a URL, without the user or password, for messages."""
    params = conninfo_to_dict(url)
    return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def connection_failure(error: psycopg.Error) -> str:
    """libpq's reason in one line: the last part of its first line (no password ever appears in it)."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return " ".join(first.rsplit(" failed: ", 1)[-1].split())


def check_server(url: str) -> PostgresServer:
    """The server at `url`, after one connection proves that it answers; the test fails in one line if not."""
    try:
        conninfo_to_dict(url)
        valid = url.startswith(("postgresql://", "postgres://"))
    except psycopg.Error:
        valid = False
    if not valid:
        pytest.fail(f"{URL_VARIABLE} must be a postgresql:// URL, like .ci/postgres start prints", pytrace=False)
    server = PostgresServer(url)
    failure = None
    try:
        server.admin().close()
    except psycopg.Error as error:
        failure = connection_failure(error)
    if failure is not None:  # failed outside the except block, so that pytest does not show libpq's error as well
        pytest.fail(f"cannot connect to PostgreSQL at {server_address(url)} ({URL_VARIABLE}): {failure}", pytrace=False)
    return server


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The test server; skips (fails under CI) when there is none."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        if in_ci():
            pytest.fail(f"CI must provide {URL_VARIABLE} (.ci/run starts a server)", pytrace=False)
        # the one place PostgreSQL tests skip from: `-ra` folds skips by place and reason into one line
        pytest.skip(SKIP_REASON)
    return check_server(url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Reports a no-server skip at the fixture's line rather than each test's (pytest's way for skips from
    fixtures), so that `-ra` folds them all into one line instead of one per test."""
    report = yield
    excinfo = call.excinfo
    skip = excinfo.value if excinfo is not None else None
    if report.skipped and isinstance(skip, pytest.skip.Exception) and skip.msg == SKIP_REASON:
        here = Path(__file__)
        lines = [entry.lineno + 1 for entry in excinfo.traceback if Path(entry.path) == here] if excinfo else []
        if lines:
            report.longrepr = (str(here), lines[-1], f"Skipped: {SKIP_REASON}")
    return report


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database for this test alone, dropped after it."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store lives, once per backend: a SQLite file's path, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "paperboy.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
