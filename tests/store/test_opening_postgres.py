"""Opening a PostgreSQL database: migrations once however many processes start, and errors in one sentence."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import psycopg
import pytest

from paperboy.errors import StoreError
from paperboy.store import Store
from paperboy.store.postgres.migrations import LATEST_VERSION


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
async def test_a_server_that_is_not_there_is_one_sentence_without_the_password() -> None:
    url = f"postgresql://paperboy:hunter2@127.0.0.1:{closed_port()}/paperboy"
    with pytest.raises(StoreError) as raised:
        await Store.open(url)
    message = str(raised.value)
    assert "cannot connect to the database postgresql://paperboy:***@127.0.0.1" in message
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.asyncio
async def test_processes_starting_at_once_migrate_the_database_once(postgres_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(postgres_url) for _ in range(4)))
    try:
        assert {await store.schema_version() for store in stores} == {LATEST_VERSION}
        rows = await stores[0].db.fetchall("SELECT version FROM paperboy_schema ORDER BY version")
        assert [row[0] for row in rows] == list(range(1, LATEST_VERSION + 1))
    finally:
        for store in stores:
            await store.close()


@pytest.mark.asyncio
async def test_a_database_from_a_newer_paperboy_is_refused(postgres_url: str) -> None:
    async with await Store.open(postgres_url) as store:
        await store.db.execute("INSERT INTO paperboy_schema (version, applied_at) VALUES (?, 'later')", (99,))
    with pytest.raises(StoreError, match=r"written by a newer paperboy \(schema version 99"):
        await Store.open(postgres_url)


@pytest.mark.asyncio
async def test_what_a_store_writes_another_process_reads(postgres_url: str) -> None:
    async with await Store.open(postgres_url) as one, await Store.open(postgres_url) as other:
        await one.markers.put("commands", "abc")
        assert await other.markers.get("commands") == "abc"


@pytest.mark.asyncio
async def test_a_restarted_server_costs_one_failed_statement_at_most(postgres_url: str) -> None:
    async with await Store.open(postgres_url) as store:
        await store.markers.put("a", "1")
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        # the pool checks a connection before handing it out, so the dropped one is replaced
        assert await store.markers.get("a") == "1"


def test_a_postgresql_url_without_the_driver_says_what_to_install() -> None:
    script = (
        "import sys, asyncio; sys.modules['psycopg'] = None\n"
        "from paperboy.store import Store\n"
        "from paperboy.errors import ConfigError\n"
        "try:\n"
        "    asyncio.run(Store.open('postgresql://u@127.0.0.1:1/db'))\n"
        "except ConfigError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == (
        "database.url names a PostgreSQL database, but its driver is not installed; run: "
        "pip install 'paperboy[postgres]'"
    )
