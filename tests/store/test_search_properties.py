"""Property tests: whatever text or tree is searched, only the language's own error escapes, and the database
is left exactly as it was."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperboy.errors import QueryError
from paperboy.query import parse
from paperboy.query.ast import Node
from paperboy.store import Store
from tests.fakes.corpus import corpus_papers
from tests.query.strategies import trees

TODAY = date(2025, 1, 20)


def database_digest(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM papers ORDER BY pk").fetchall()
        schema = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    return hashlib.sha256(repr((rows, schema)).encode()).hexdigest()


async def run_each(path: Path, queries: list[str | Node]) -> None:
    async with await Store.open(path) as store:
        for query in queries:
            try:
                tree = parse(query) if isinstance(query, str) else query
                await store.papers.search(tree, today=TODAY)
            except QueryError:
                pass


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "papers.db"

    async def fill() -> None:
        async with await Store.open(path) as store:
            await store.papers.upsert(corpus_papers())

    asyncio.run(fill())
    return path


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=10))
def test_random_text_leaves_only_query_errors_and_an_unchanged_database(corpus_file: Path, texts: list[str]) -> None:
    before = database_digest(corpus_file)
    asyncio.run(run_each(corpus_file, list(texts)))
    assert database_digest(corpus_file) == before


@settings(max_examples=60, deadline=None)
@given(st.lists(trees, min_size=1, max_size=10))
def test_random_trees_compile_and_run(corpus_file: Path, queries: list[Node]) -> None:
    before = database_digest(corpus_file)
    asyncio.run(run_each(corpus_file, list(queries)))
    assert database_digest(corpus_file) == before
