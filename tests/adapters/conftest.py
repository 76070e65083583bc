"""The adapters render and send: their tests use a SQLite store only (the store's own tests cover both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from paperboy.store import Store


@pytest_asyncio.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as opened:
        yield opened
