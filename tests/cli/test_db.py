"""`paperboy db backup|stats|vacuum` end to end."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.fakes.corpus import CorpusPaper

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
