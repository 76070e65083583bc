"""`paperboy db backup|stats|vacuum|copy` end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from paperboy.store.copy import TABLES
from paperboy.store.postgres.migrations import LATEST_VERSION as PG_LATEST_VERSION
from tests.cli.conftest import FETCHED_DAY, Cli, config_text
from tests.fakes.corpus import CorpusPaper, by_day
from tests.fakes.huggingface import FakeHuggingFace

pytestmark = pytest.mark.asyncio


async def test_a_backup_holds_every_paper(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], tmp_path: Path
) -> None:
    target = tmp_path / "backups" / "paperboy-backup.db"
    target.parent.mkdir()
    result = await cli("db", "backup", str(target), "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("backed up ")
    assert target.stat().st_mode & 0o777 == 0o600, "the copy may hold tokens: for its owner only"
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM papers").fetchone()[0] == len(fetched)
        assert copy.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'model'").fetchone()[0] > 0


async def test_a_backup_into_a_missing_folder_creates_nothing(cli: Cli, config_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "copy.db"
    result = await cli("db", "backup", str(target), "--config", str(config_path))
    assert result.code == 2
    assert (
        result.stderr
        == f"paperboy: error: the folder {target.parent} does not exist; create it or choose another path\n"
    )
    assert not target.parent.exists()


async def test_a_backup_never_overwrites(cli: Cli, config_path: Path, tmp_path: Path) -> None:
    existing = tmp_path / "old.db"
    existing.write_bytes(b"precious")
    result = await cli("db", "backup", str(existing), "--config", str(config_path))
    assert result.code == 2
    assert (
        result.stderr
        == f"paperboy: error: {existing} already exists; choose a new file name (a backup never overwrites)\n"
    )
    assert existing.read_bytes() == b"precious"


async def test_stats_count_what_the_database_holds(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    await cli("subscribe", "--platform", "console", "--channel", "lab", "--config", str(config_path))
    result = await cli("db", "stats", "--json", "--config", str(config_path))
    figures = json.loads(result.stdout)
    assert figures["papers"] == len(fetched)
    assert figures["days"] == 1
    assert figures["subscriptions"] == 1 and figures["paused_subscriptions"] == 0
    assert figures["file_bytes"] > 0


async def test_stats_read_as_text(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("db", "stats", "--config", str(config_path))
    assert f"  papers: {len(fetched)}\n" in result.stdout


async def test_vacuum_keeps_every_paper(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("db", "vacuum", "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("vacuumed ")
    search = await cli("search", "model", "--json", "--config", str(config_path))
    assert json.loads(search.stdout)


# `paperboy db copy`


def with_password(url: str, password: str) -> str:
    """The URL with a password in it (the test server trusts any)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{parts.hostname}:{parts.port}"))


def pg_config(tmp_path: Path, hf: FakeHuggingFace, url: str, name: str = "pg.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'database.url = "{url}"\n' + config_text(hf))
    return path


async def search_ids(cli: Cli, config: Path, query: str) -> list[str]:
    result = await cli("search", query, "--limit", "50", "--json", "--config", str(config))
    assert result.code == 0, result.stderr
    return [hit["id"] for hit in json.loads(result.stdout)]


async def test_a_copy_to_postgresql_and_back_finds_the_same_papers(
    cli: Cli,
    config_path: Path,
    fetched: list[CorpusPaper],
    postgres_url: str,
    hf_server: FakeHuggingFace,
    tmp_path: Path,
) -> None:
    url = with_password(postgres_url, "s3cret-pw")
    there = await cli("db", "copy", "--to", url, "--config", str(config_path))
    assert there.code == 0, there.stderr
    assert "s3cret-pw" not in there.stdout + there.stderr
    assert there.stdout.startswith(f"copied {len(fetched)} papers and ")
    assert f" other rows from {tmp_path / 'paperboy.db'} to postgresql://paperboy:***@127.0.0.1:" in there.stdout
    assert [line.split(":")[0] for line in there.stderr.splitlines()] == [table.name for table in TABLES]
    assert f"papers: {len(fetched)} rows\n" in there.stderr
    back = await cli("db", "copy", "--to", "back.db", "--config", str(pg_config(tmp_path, hf_server, url)))
    assert back.code == 0, back.stderr
    copy_config = tmp_path / "back.toml"
    copy_config.write_text(config_text(hf_server).replace("paperboy.db", "back.db"))
    for query in ("model", "diffusion OR video"):
        assert await search_ids(cli, copy_config, query) == await search_ids(cli, config_path, query)


async def test_a_copy_into_a_database_holding_data_is_refused(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], tmp_path: Path
) -> None:
    assert (await cli("db", "copy", "--to", "copy.db", "--config", str(config_path))).code == 0
    again = await cli("db", "copy", "--to", "copy.db", "--config", str(config_path))
    assert again.code == 2
    assert again.stderr == (
        f"paperboy: error: {tmp_path / 'copy.db'} already holds data (papers, paper_days, markers); copy into an "
        "empty database, or add --append to add the rows it lacks (rows whose key it holds are kept as they are)\n"
    )


async def test_a_copy_with_append_adds_to_a_database_holding_data(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await cli("db", "copy", "--to", "copy.db", "--config", str(config_path))
    again = await cli("db", "copy", "--to", "copy.db", "--append", "--config", str(config_path))
    assert again.code == 0, again.stderr
    assert again.stdout.startswith("copied ")


async def test_a_copy_onto_the_configured_database_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("db", "copy", "--to", "paperboy.db", "--config", str(config_path))
    assert (result.code, result.stderr) == (
        2,
        "paperboy: error: --to names the configured database itself; name another database\n",
    )


async def test_a_copy_into_a_missing_folder_creates_nothing(cli: Cli, config_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "copy.db"
    result = await cli("db", "copy", "--to", str(target), "--config", str(config_path))
    assert (result.code, result.stderr) == (
        2,
        f"paperboy: error: the folder {target.parent} does not exist; create it or choose another path\n",
    )
    assert not target.parent.exists()


async def test_a_copy_to_another_kind_of_url_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("db", "copy", "--to", "mysql://user@host/db", "--config", str(config_path))
    assert (result.code, result.stderr) == (
        2,
        "paperboy: error: --to takes a SQLite file's path or a postgresql:// URL; fix it\n",
    )


# backup, stats and vacuum on PostgreSQL


@pytest_asyncio.fixture
async def pg_fetched(
    cli: Cli, postgres_url: str, hf_server: FakeHuggingFace, tmp_path: Path
) -> tuple[Path, list[CorpusPaper]]:
    """A config naming a PostgreSQL database, and the corpus papers of a day fetched into it."""
    config = pg_config(tmp_path, hf_server, with_password(postgres_url, "s3cret-pw"))
    hf_server.serve_corpus_day(FETCHED_DAY)
    result = await cli("fetch", "--date", FETCHED_DAY.isoformat(), "--config", str(config))
    assert result.code == 0, result.stderr
    return config, list({p.id: p for p in by_day()[FETCHED_DAY]}.values())


async def test_a_postgresql_backup_is_a_pg_dump_archive_holding_every_paper(
    cli: Cli, pg_fetched: tuple[Path, list[CorpusPaper]], tmp_path: Path
) -> None:
    config, _ = pg_fetched
    target = tmp_path / "paperboy.dump"
    result = await cli("db", "backup", str(target), "--config", str(config))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("backed up postgresql://paperboy:***@")
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert target.stat().st_mode & 0o777 == 0o600, "the copy may hold tokens: for its owner only"
    restore = await asyncio.create_subprocess_exec("pg_restore", "--list", str(target), stdout=asyncio.subprocess.PIPE)
    listing, _ = await restore.communicate()
    assert "TABLE DATA public papers " in listing.decode()


async def test_a_postgresql_backup_without_pg_dump_says_what_to_use(
    cli: Cli, pg_fetched: tuple[Path, list[CorpusPaper]], tmp_path: Path
) -> None:
    config, _ = pg_fetched
    target = tmp_path / "paperboy.dump"
    result = await cli("db", "backup", str(target), "--config", str(config), env={"PATH": str(tmp_path / "empty")})
    assert (result.code, result.stderr) == (
        2,
        "paperboy: error: backing up PostgreSQL needs pg_dump (the PostgreSQL client tools, e.g. the "
        "postgresql-client package); install it, or use your provider's backups, or `paperboy db copy --to "
        "FILE.db` for a SQLite copy\n",
    )
    assert not target.exists()


async def test_postgresql_stats_count_what_the_database_holds(
    cli: Cli, pg_fetched: tuple[Path, list[CorpusPaper]]
) -> None:
    config, papers = pg_fetched
    result = await cli("db", "stats", "--json", "--config", str(config))
    assert result.code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["path"].startswith("postgresql://paperboy:***@")
    assert (figures["papers"], figures["days"], figures["schema_version"]) == (len(papers), 1, PG_LATEST_VERSION)
    assert figures["file_bytes"] > 0 and figures["wal_bytes"] == 0


async def test_postgresql_vacuum_keeps_every_paper(cli: Cli, pg_fetched: tuple[Path, list[CorpusPaper]]) -> None:
    config, papers = pg_fetched
    result = await cli("db", "vacuum", "--config", str(config))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("vacuumed postgresql://paperboy:***@")
    stats = await cli("db", "stats", "--json", "--config", str(config))
    assert json.loads(stats.stdout)["papers"] == len(papers)
