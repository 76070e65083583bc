"""tests/postgres.py: each test its own fresh PostgreSQL database, dropped afterwards; one skip line without a
server, a failure under CI without one, and one line naming the address when the server cannot be reached.

The tests about other tests (two tests, what happens after a test) run a small inner session with pytester,
against the same server, so that they observe the fixture from the outside as pytest drives it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.postgres import DATABASE_PREFIX, SKIP_REASON, URL_VARIABLE, PostgresServer

pytest_plugins = ["pytester"]

#: the inner sessions' conftest: the fixtures as tests/conftest.py offers them
INNER_CONFTEST = (
    "from tests.postgres import database_target, postgres_server, postgres_url, pytest_runtest_makereport\n"
)

#: inner tests' helper: record which database the test got, and how many tables it held, in seen.txt
RECORD = """
from pathlib import Path

import psycopg

def record(url):
    with psycopg.connect(url) as connection:
        (name,) = connection.execute("SELECT current_database()").fetchone()
        (tables,) = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        connection.execute("CREATE TABLE marker (id integer)")
    with Path("seen.txt").open("a") as seen:
        seen.write(f"{name} {tables}\\n")
"""


def run_inner(pytester: pytest.Pytester, tests: str, *options: str) -> pytest.RunResult:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=tests)
    # without the plugins the inner tests do not use, an inner session takes a tenth of the time
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio", "-ra", *options)


def seen(pytester: pytest.Pytester) -> list[tuple[str, int]]:
    """(database, tables it held at the start) for each inner test that recorded one."""
    lines = (pytester.path / "seen.txt").read_text(encoding="utf-8").splitlines()
    return [(name, int(tables)) for name, tables in (line.split() for line in lines)]


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a developer's machine with no PostgreSQL set up."""
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but not listening, so connecting to it is refused at once."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def test_postgres_url_is_an_empty_database_that_takes_tables_and_rows(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        (name,) = connection.execute("SELECT current_database()").fetchone() or ("",)
        (tables,) = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() or (-1,)
        connection.execute("CREATE TABLE papers (id text PRIMARY KEY, title text NOT NULL)")
        connection.execute("INSERT INTO papers VALUES (%s, %s)", ("2401.00001", "Attention, again"))
        rows = connection.execute("SELECT id, title FROM papers").fetchall()
    assert name.startswith(DATABASE_PREFIX)
    assert tables == 0
    assert rows == [("2401.00001", "Attention, again")]


def test_two_tests_get_different_empty_databases(pytester: pytest.Pytester, postgres_server: PostgresServer) -> None:
    tests = """
def test_one(postgres_url):
    record(postgres_url)

def test_two(postgres_url):
    record(postgres_url)
"""
    result = run_inner(pytester, RECORD + tests)
    result.assert_outcomes(passed=2)
    (first, first_tables), (second, second_tables) = seen(pytester)
    assert first != second
    assert first_tables == second_tables == 0, "each test starts with no tables, whatever the other one made"


def test_the_database_is_dropped_after_its_test(pytester: pytest.Pytester, postgres_server: PostgresServer) -> None:
    tests = """
def test_one(postgres_url):
    record(postgres_url)
"""
    result = run_inner(pytester, RECORD + tests)
    result.assert_outcomes(passed=1)
    [(name, _)] = seen(pytester)
    assert name not in postgres_server.database_names()


def test_the_database_is_dropped_even_if_the_test_left_a_connection_open(
    pytester: pytest.Pytester, postgres_server: PostgresServer
) -> None:
    # the module-scoped fixture outlives the test's database: its connection is still open when that is dropped
    tests = """
import pytest

@pytest.fixture(scope="module")
def left_open():
    connections = []
    yield connections
    for connection in connections:
        connection.close()

def test_one(left_open, postgres_url):
    record(postgres_url)
    left_open.append(psycopg.connect(postgres_url))
"""
    result = run_inner(pytester, RECORD + tests)
    result.assert_outcomes(passed=1)
    [(name, _)] = seen(pytester)
    assert name not in postgres_server.database_names()


def test_database_target_is_a_sqlite_file_or_a_fresh_postgresql_database(database_target: Path | str) -> None:
    if isinstance(database_target, Path):
        assert database_target.name == "paperboy.db"
        assert not database_target.exists()
        return
    assert database_target.startswith("postgresql://")
    with psycopg.connect(database_target) as connection:
        (name,) = connection.execute("SELECT current_database()").fetchone() or ("",)
    assert name.startswith(DATABASE_PREFIX)


def test_database_target_runs_a_test_once_per_backend(pytester: pytest.Pytester, no_server: None) -> None:
    result = run_inner(pytester, "def test_store(database_target):\n    pass\n", "-v")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*test_store[[]sqlite[]] PASSED*", "*test_store[[]postgresql[]] SKIPPED*"])


def test_without_a_server_postgresql_tests_skip_in_one_summary_line(pytester: pytest.Pytester, no_server: None) -> None:
    tests = """
def test_one(postgres_url):
    pass

def test_two(postgres_server):
    pass

def test_three(database_target):
    pass
"""
    result = run_inner(pytester, tests)
    result.assert_outcomes(passed=1, skipped=3)
    skip_lines = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1, skip_lines
    assert skip_lines[0].startswith("SKIPPED [3] ")
    assert skip_lines[0].endswith(SKIP_REASON)


def test_under_ci_without_a_server_postgresql_tests_fail_saying_ci_must_provide_one(
    pytester: pytest.Pytester, no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = run_inner(pytester, "def test_one(postgres_url):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*CI must provide {URL_VARIABLE} (.ci/run starts a server)"])


def test_a_server_out_of_reach_fails_naming_its_address_and_not_the_password(
    pytester: pytest.Pytester, no_server: None, monkeypatch: pytest.MonkeyPatch, refused_port: int
) -> None:
    monkeypatch.setenv(URL_VARIABLE, f"postgresql://paperboy:hunter2@127.0.0.1:{refused_port}/postgres")
    result = run_inner(pytester, "def test_one(postgres_url):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cannot connect to PostgreSQL at 127.0.0.1:{refused_port} ({URL_VARIABLE}): *"])
    assert "hunter2" not in result.stdout.str() + result.stderr.str()
