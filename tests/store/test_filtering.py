"""Topic filters against candidate papers: the same answers as a search, and the reasons in words."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from paperboy.models import Paper
from paperboy.query import parse
from paperboy.store import Store
from paperboy.store.filtering import CandidateIndex
from tests.fakes.corpus import corpus_papers

TODAY = date(2025, 1, 20)
PAPERS = corpus_papers()
NEW = [p for p in PAPERS if p.daily_date == date(2025, 1, 16)]

FILTERS = [
    "diffusion",
    '"language model" OR llm',
    "transformer -survey",
    "quant* code:yes",
    "title:(reasoning OR inference)",
    "upvotes>=5 OR org:nvidia",
    "-diffusion since:7d",
    "cat:cs.CL attention",
]


@pytest.fixture
def index() -> Iterator[CandidateIndex]:
    with CandidateIndex(NEW) as index:
        yield index


@pytest.mark.asyncio
@pytest.mark.parametrize("text", FILTERS)
async def test_a_filter_matches_what_a_search_finds_among_the_candidates(db_path: Path, text: str) -> None:
    async with await Store.open(db_path) as store:
        await store.papers.upsert(PAPERS)
        page = await store.papers.search(parse(text), limit=1000, today=TODAY)
    candidates = {p.id for p in NEW}
    searched = [hit.paper.id for hit in page.hits if hit.paper.id in candidates]
    with CandidateIndex(NEW) as index:
        assert sorted(index.matching(parse(text), TODAY)) == sorted(searched)


def test_matches_come_in_the_candidates_order(index: CandidateIndex) -> None:
    found = index.matching(parse("model"), TODAY)
    order = [p.id for p in NEW]
    assert found == sorted(found, key=order.index)


def test_a_paper_given_twice_is_one_candidate() -> None:
    paper = NEW[0]
    with CandidateIndex([paper, replace(paper, upvotes=99)]) as index:
        assert index.matching(parse(f"id:{paper.id}"), TODAY) == [paper.id]


def test_reasons_say_where_the_words_matched() -> None:
    paper = Paper(
        id="2501.99999",
        title="Diffusion transformers at scale",
        abstract="We scale diffusion models.",
        upvotes=42,
        github_repo="https://github.com/x/y",
        organization="NVIDIA",
        categories=("cs.CV",),
        daily_date=date(2025, 1, 18),
    )
    query = parse('diffusion "at scale" upvotes>=10 org:nvidia code:yes cat:cs.cv since:7d -video')
    with CandidateIndex([paper]) as index:
        assert index.reasons(query, paper.id, TODAY) == (
            '"diffusion" in the title, abstract',
            '"at scale" in the title',
            "upvotes 42 (>= 10)",
            "organisation NVIDIA",
            "has code",
            "category cs.CV",
            "dated 2025-01-18 (since the limit)",
        )


def test_reasons_leave_out_the_branch_that_did_not_match() -> None:
    paper = Paper(id="2501.99999", title="Flow matching for audio", abstract="Audio.", upvotes=1)
    with CandidateIndex([paper]) as index:
        reasons = index.reasons(parse("diffusion OR title:flow* OR upvotes>=10"), paper.id, TODAY)
    assert reasons == ('"flow"* in the title',)


def test_an_index_is_closed_when_its_with_block_ends() -> None:
    with CandidateIndex(NEW) as index:
        index.matching(parse("model"), TODAY)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        index.matching(parse("model"), TODAY)


@pytest.mark.parametrize("spelled", ["cat:cs.CL", "cat:cs.cl", "cat:CS.CL"])
def test_a_category_matches_in_any_case_and_is_named_as_arxiv_spells_it(spelled: str) -> None:
    paper = replace(NEW[0], categories=("cs.CL", "cs.LG"))
    with CandidateIndex([paper, *NEW[1:]]) as index:
        found = index.matching(parse(spelled), TODAY)
        assert paper.id in found
        assert all("cs.CL" in p.categories for p in [paper, *NEW[1:]] if p.id in found)
        assert index.reasons(parse(spelled), paper.id, TODAY) == ("category cs.CL",)
