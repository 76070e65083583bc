"""Floors on search relevance: the evaluation of tests/relevance.py (bench/relevance.py prints it in full) run on
a SQLite store of the corpus, so that a ranking change cannot make search worse without a test saying so.

Each floor is what the shipped ranking reached when it was set, rounded down a little (bench/README.md,
`relevance.py`, has the figures): raise a floor when a change raises its figure.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from paperboy.store import Store
from tests.relevance import Scores, evaluate, fill, shipped


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scores]:
    """Each query set's scores under the shipped ranking (the evaluation reads; it runs once for the module)."""
    return asyncio.run(_evaluate(tmp_path_factory.mktemp("relevance") / "papers.db"))


async def _evaluate(path: Path) -> dict[str, Scores]:
    async with await Store.open(path) as store:
        await fill(store)
        return await evaluate(shipped(store))


def test_every_paper_is_first_for_three_words_of_its_title(scores: dict[str, Scores]) -> None:
    assert scores["title"].hits1 == 1.0
    assert scores["title"].hits3 == 1.0


def test_papers_are_found_by_two_words_of_their_abstract(scores: dict[str, Scores]) -> None:
    abstract = scores["abstract"]
    assert abstract.hits1 >= 0.86
    assert abstract.hits3 >= 0.98
    assert abstract.mrr >= 0.92


def test_topical_searches_put_relevant_papers_first(scores: dict[str, Scores]) -> None:
    topical = scores["topical"]
    assert topical.hits1 >= 0.92
    assert topical.hits3 == 1.0
    assert topical.ndcg10 >= 0.88
    assert topical.ndcg20 >= 0.89
