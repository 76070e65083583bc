"""`PaperService.search` on any text at all (what the CLI, Slack and Discord hand it): a page of papers or one
`QueryError`, never another exception, and the database as it was.

The text is hostile on purpose: every Unicode category with lone surrogates and control characters, queries of a
megabyte, parentheses nested ten thousand deep, fields with any value or none, numbers in any script and past 64
bits, FTS5's own syntax. The searches run against a real SQLite database of a few corpus papers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperboy.errors import QueryError
from paperboy.models import SearchPage, Sort
from paperboy.service import PaperService
from paperboy.store import Store
from tests.fakes.corpus import corpus_papers
from tests.query.strategies import hostile_texts

#: a few papers: enough for words to match, few enough that every example reads the whole database quickly
PAPERS = corpus_papers()[:12]
#: the fixture's database is shared by every example, which is the point: no search may change it
SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
searches = st.tuples(hostile_texts, st.sampled_from(list(Sort)), st.sampled_from([0, 3]))


@dataclass(frozen=True, slots=True)
class Searching:
    """A service over a real database, on an event loop of its own that lives as long as the fixture."""

    runner: asyncio.Runner
    service: PaperService
    path: Path

    def search(self, text: str, sort: Sort, offset: int) -> SearchPage:
        return self.runner.run(self.service.search(text, sort=sort, limit=5, offset=offset))

    def snapshot(self) -> str:
        """A digest of every table's rows and the schema, read through a connection of its own."""
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as reader:
            return hashlib.sha256("\n".join(reader.iterdump()).encode()).hexdigest()


@pytest.fixture(scope="module")
def searching(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searching]:
    path = tmp_path_factory.mktemp("any-input") / "paperboy.db"
    with asyncio.Runner() as runner:
        store = runner.run(Store.open(path))
        try:
            runner.run(store.papers.upsert(PAPERS))
            yield Searching(runner, PaperService(store, today=lambda: date(2025, 1, 17)), path)
        finally:
            runner.run(store.close())


def test_the_hostile_text_includes_queries_that_find_papers(searching: Searching) -> None:
    """The property tests below would pass vacuously if nothing got past the parser."""
    assert searching.search("diffusion OR model", Sort.RELEVANCE, 0).hits


@settings(SHARED, max_examples=400)
@given(searches)
def test_any_text_finds_papers_or_gets_one_query_error(searching: Searching, search: tuple[str, Sort, int]) -> None:
    try:
        page = searching.search(*search)
    except QueryError as error:
        message = str(error)
        assert message and len(message.splitlines()) == 1 and message == message.strip()
        message.encode("utf-8")  # shown in a chat or a terminal as it is: no surrogates in it
        return
    assert len(page.hits) <= 5


@settings(SHARED, max_examples=100)
@given(st.lists(searches, min_size=1, max_size=5))
def test_no_search_changes_the_database(searching: Searching, batch: list[tuple[str, Sort, int]]) -> None:
    before = searching.snapshot()
    for search in batch:
        with contextlib.suppress(QueryError):
            searching.search(*search)
    assert searching.snapshot() == before
