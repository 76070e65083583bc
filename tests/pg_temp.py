"""TEMPORARY (h-claims): the PostgreSQL fixtures `tests/postgres.py` brings on main, with the same names, so that
this branch's tests run before it lands. Delete this file and its import in conftest.py once main has it.

`postgres_url`: a fresh empty database per test on the server at $PAPERBOY_TEST_DATABASE_URL (skipped with one
line when unset, failing under CI=true). `database_target`: each test once on SQLite, once on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

URL_ENV = "PAPERBOY_TEST_DATABASE_URL"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server = os.environ.get(URL_ENV, "")
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail(f"${URL_ENV} is not set: under CI the PostgreSQL tests must run")
        pytest.skip(f"PostgreSQL tests need ${URL_ENV} (a server URL, like postgresql://user@127.0.0.1:5432/postgres)")
    name = f"h_claims_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "paperboy.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
