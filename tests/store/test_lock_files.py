"""The files a SQLite database's locks leave beside it are ones git ignores, as the database itself is."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from paperboy.store.sqlite.locks import lock_file

GITIGNORE = (Path(__file__).resolve().parent.parent.parent / ".gitignore").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["fetch:huggingface", "fetch:arxiv", "run"])
def test_a_lock_file_is_ignored_by_git(name: str) -> None:
    patterns = [line.strip() for line in GITIGNORE.splitlines() if line.strip() and not line.startswith("#")]
    file = lock_file(Path("paperboy.db"), name).name
    assert any(fnmatch(file, pattern) for pattern in patterns), file
