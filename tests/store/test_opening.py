"""Opening the database file: only the file is created, in a folder that must exist, and a path that cannot
work is one sentence naming it (a ConfigError: fixing database.path fixes it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paperboy.errors import ConfigError
from paperboy.store import Store

pytestmark = pytest.mark.asyncio


def entries(folder: Path) -> list[Path]:
    return list(folder.iterdir())


async def test_a_new_database_is_created_in_an_existing_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "paperboy.db"
    path.parent.mkdir()
    async with await Store.open(path):
        pass
    assert path.is_file()


async def test_a_missing_folder_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "dta" / "sub" / "paperboy.db"
    with pytest.raises(ConfigError) as error:
        await Store.open(path)
    assert str(error.value) == (f"the folder {path.parent} for database.path does not exist; create it or fix the path")
    assert entries(tmp_path) == [], "no folder was made"


async def test_a_path_under_a_regular_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    path = tmp_path / "notes.txt" / "paperboy.db"
    with pytest.raises(ConfigError) as error:
        await Store.open(path)
    assert str(error.value) == f"{path.parent} is a file, not a folder; fix database.path"


async def test_a_path_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        await Store.open(tmp_path)
    example = tmp_path / "paperboy.db"
    assert str(error.value) == f"database.path {tmp_path} is a folder; name a file in it, like {example}"


@pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs a folder that even root cannot write: Linux's /sys")
async def test_a_folder_paperboy_cannot_write_is_an_error() -> None:
    path = Path("/sys/paperboy.db")
    with pytest.raises(ConfigError) as error:
        await Store.open(path)
    assert str(error.value).startswith(f"cannot create the database {path} (")
    assert str(error.value).endswith("); check database.path and that paperboy may write there")


async def test_a_new_database_is_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "paperboy.db"
    async with await Store.open(path):
        pass
    assert path.stat().st_mode & 0o777 == 0o600
