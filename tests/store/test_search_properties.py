"""Property tests, on each engine: whatever text or tree is searched, only the language's own error escapes, and
the database is left exactly as it was."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from paperboy.errors import QueryError
from paperboy.query import parse
from paperboy.query.ast import Node
from paperboy.store import Store, Target
from tests.query.strategies import trees

TODAY = date(2025, 1, 20)


def database_digest(target: Target) -> str:
    """The papers' rows and the schema, hashed."""
    if isinstance(target, Path):
        with sqlite3.connect(target) as conn:
            rows = conn.execute("SELECT * FROM papers ORDER BY pk").fetchall()
            schema = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    else:
        import psycopg

        with psycopg.connect(target) as pg:
            rows = pg.execute("SELECT * FROM papers ORDER BY pk").fetchall()
            schema = pg.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2"
            ).fetchall()
            indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            schema += pg.execute(indexes).fetchall()
    return hashlib.sha256(repr((rows, schema)).encode()).hexdigest()


async def run_each(target: Target, queries: list[str | Node]) -> None:
    async with await Store.open(target) as store:
        for query in queries:
            try:
                tree = parse(query) if isinstance(query, str) else query
                await store.papers.search(tree, today=TODAY)
            except QueryError:
                pass


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=10))
def test_random_text_leaves_only_query_errors_and_an_unchanged_database(
    corpus_target: Target, texts: list[str]
) -> None:
    before = database_digest(corpus_target)
    asyncio.run(run_each(corpus_target, list(texts)))
    assert database_digest(corpus_target) == before


@settings(max_examples=60, deadline=None)
@given(st.lists(trees, min_size=1, max_size=10))
def test_random_trees_compile_and_run(corpus_target: Target, queries: list[Node]) -> None:
    before = database_digest(corpus_target)
    asyncio.run(run_each(corpus_target, list(queries)))
    assert database_digest(corpus_target) == before
