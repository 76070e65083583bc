"""Similar papers on each engine, against the shared corpus: the paper's distinctive words found again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from paperboy.store import Store, Target, similarity
from paperboy.store.similarity import Word
from tests.fakes.corpus import corpus_papers

PAPERS = corpus_papers()
#: a paper with a clear topic in the corpus ("Systematic Relational Reasoning With Epistemic Graph Neural
#: Networks") and one that names it in its title
GRAPH_PAPER, GRAPH_NEIGHBOUR = "2501.00003", "2501.00007"


@pytest_asyncio.fixture
async def store(corpus_target: Target) -> AsyncIterator[Store]:
    async with await Store.open(corpus_target) as opened:
        yield opened


@pytest.mark.asyncio
async def test_the_paper_itself_is_left_out(store: Store) -> None:
    page = await store.papers.similar(GRAPH_PAPER, limit=20)
    assert page.hits and GRAPH_PAPER not in [hit.paper.id for hit in page.hits]


@pytest.mark.asyncio
async def test_a_paper_sharing_its_title_words_is_among_the_first(store: Store) -> None:
    page = await store.papers.similar(GRAPH_PAPER, limit=5)
    assert GRAPH_NEIGHBOUR in [hit.paper.id for hit in page.hits]


@pytest.mark.asyncio
async def test_pages_follow_on_without_repeating(store: Store) -> None:
    first = await store.papers.similar(GRAPH_PAPER, limit=3)
    second = await store.papers.similar(GRAPH_PAPER, limit=3, offset=3)
    both = await store.papers.similar(GRAPH_PAPER, limit=6)
    assert first.has_more
    assert [h.paper.id for h in first.hits + second.hits] == [h.paper.id for h in both.hits]


@pytest.mark.asyncio
async def test_an_unknown_paper_has_none(store: Store) -> None:
    page = await store.papers.similar("2912.99999")
    assert page.hits == () and not page.has_more


@pytest.mark.asyncio
async def test_each_engine_counts_the_papers_holding_each_word(store: Store) -> None:
    words = await store.db.index.words(store.db, GRAPH_PAPER)
    assert words is not None
    held = {word.key: word.papers for word in words}
    # the paper holds each of its words; "graph" is in some of the corpus' papers, not in every one
    assert all(papers >= 1 for papers in held.values())
    assert 1 < next(papers for key, papers in held.items() if key.startswith("graph")) < len(PAPERS)


@pytest.mark.asyncio
async def test_an_unknown_paper_has_no_words(store: Store) -> None:
    assert await store.db.index.words(store.db, "2912.99999") is None


def word(key: str, tf: float, papers: int) -> Word:
    return Word(key, key, tf, papers)


def test_rarer_words_are_chosen_first_at_equal_weight() -> None:
    chosen = similarity.distinctive([word("common", 1, 900), word("rare", 1, 3)], total=1000)
    assert [w.key for w in chosen][:1] == ["rare"]


def test_a_title_word_beats_an_abstract_word_as_rare() -> None:
    words = [word("abstract", similarity.ABSTRACT_TF, 5), word("title", similarity.TITLE_TF, 5)]
    chosen = similarity.distinctive(words, total=1000)
    assert [w.key for w in chosen] == ["title", "abstract"]


def test_a_word_only_this_paper_holds_is_not_chosen() -> None:
    assert similarity.distinctive([word("alone", 9, 1)], total=1000) == []


def test_common_words_are_chosen_only_when_there_is_no_rare_one() -> None:
    common = [word(f"common{n}", 9, similarity.MAX_PAPERS + 1) for n in range(similarity.FEWEST + 1)]
    rare = word("rare", 1, 10)
    assert similarity.distinctive([*common, rare], total=10**6) == [rare]
    assert similarity.distinctive(common, total=10**6) == common[: similarity.FEWEST]


@pytest.mark.parametrize("word", ["the", "which", "42", "of"])
def test_stop_words_numbers_and_short_words_are_never_counted(word: str) -> None:
    assert not similarity.worth_counting(word)


def test_common_words_are_remembered_and_rare_ones_not() -> None:
    common = similarity.CommonWords()
    common.add([word("model", 1, similarity.MAX_PAPERS + 1), word("jacobian", 1, 12)])
    assert "model" in common and "jacobian" not in common


def test_common_words_forget_the_first_ones_beyond_their_size() -> None:
    common = similarity.CommonWords(most=2)
    common.add([word(key, 1, similarity.MAX_PAPERS + 1) for key in ("a1", "b2", "c3")])
    assert "a1" not in common and "b2" in common and "c3" in common
