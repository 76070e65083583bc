"""A PostgreSQL database for a benchmark: on the server $PAPERBOY_BENCH_DATABASE_URL names, or on a throwaway
server started with .ci/postgres in a temporary folder (stopped and removed at the end).

    with bench_database("ingest") as url: ...   # a new, empty database, dropped afterwards
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

URL_VARIABLE = "PAPERBOY_BENCH_DATABASE_URL"
SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "postgres"


@contextmanager
def bench_server() -> Iterator[str]:
    """The URL of a server's maintenance database: the one named by $PAPERBOY_BENCH_DATABASE_URL, else a new one."""
    given = os.environ.get(URL_VARIABLE, "").strip()
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="paperboy-bench-pg-", dir="/tmp"))
    os.chmod(folder, 0o755)
    try:
        started = subprocess.run([str(SCRIPT), "start", str(folder / "data")], capture_output=True, text=True)
        if started.returncode != 0:
            raise SystemExit(f"cannot start PostgreSQL for the benchmark: {started.stderr.strip()}")
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder / "data")], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def bench_database(server: str, name: str) -> Iterator[str]:
    """A new, empty database called `name` on `server`, dropped at the end."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
