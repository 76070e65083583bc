"""PostgreSQL's search where it must answer as SQLite's does (the same papers, the same boosts), and where it
cannot (stop words), said plainly; errors from what PostgreSQL refuses are the language's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.errors import QueryError
from paperboy.models import Sort
from paperboy.query import parse
from paperboy.query.ast import Match, MatchField
from paperboy.store import Store, ranking
from paperboy.store.postgres import search
from tests.fakes.corpus import corpus_papers

TODAY = date(2025, 1, 20)
PAPERS = corpus_papers()
pytestmark = pytest.mark.asyncio

#: queries that both engines read alike (the stemmers differ on a few words: porter's "generation" is
#: "gener", matching "general"; snowball's is "generat"); fields, operators, filters and word starts
SAME_PAPERS = [
    "diffusion models",
    '"language model"',
    "quant*",
    "GPT-4",
    "mixture-of-experts",
    "transformer -diffusion",
    '(llm OR "language model") -survey',
    "title:diffusion",
    "abstract:diffusion",
    "title:(sparse attention)",
    "reinforcement learning OR pruning",
    "org:nvidia OR cat:cs.CL",
    "attention upvotes>=2",
    "llm",
    "GPUs",
    "model since:2025-01-16",
    "diffusion OR upvotes>=10",
    "-code:yes transformer",
    "dîffusion",
]


@pytest_asyncio.fixture
async def postgres(postgres_url: str) -> AsyncIterator[Store]:
    async with await Store.open(postgres_url) as store:
        await store.papers.upsert(PAPERS)
        yield store


@pytest_asyncio.fixture
async def sqlite(db_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(db_path) as store:
        await store.papers.upsert(PAPERS)
        yield store


async def ids(store: Store, text: str, **options: object) -> list[str]:
    """The papers `text` matches in full (partial matches, which follow them, are left out)."""
    page = await store.papers.search(parse(text), limit=1000, today=TODAY, **options)  # type: ignore[arg-type]
    return [hit.paper.id for hit in page.hits if hit.partial is None]


async def test_both_engines_find_the_same_papers(postgres: Store, sqlite: Store) -> None:
    for text in SAME_PAPERS:
        found = set(await ids(postgres, text))
        assert found and found == set(await ids(sqlite, text)), text


async def test_both_engines_boost_alike(postgres: Store, sqlite: Store) -> None:
    for sort in (Sort.UPVOTES, Sort.NEWEST, Sort.RELEVANCE):
        pages = [
            await store.papers.search(parse("upvotes>=0"), sort=sort, limit=300, today=TODAY)
            for store in (postgres, sqlite)
        ]
        scores = [{hit.paper.id: hit.score for hit in page.hits} for page in pages]
        assert scores[0].keys() == scores[1].keys()
        assert all(scores[0][key] == pytest.approx(scores[1][key], rel=1e-9) for key in scores[0]), sort


async def test_a_stop_word_holds_for_every_paper(postgres: Store) -> None:
    # FTS5 finds the papers that hold "the" (all but one of the corpus); PostgreSQL never indexed it
    everything = {p.id for p in PAPERS}
    assert set(await ids(postgres, "the")) == everything
    assert set(await ids(postgres, '"of the"')) == everything
    assert set(await ids(postgres, "the*")) == everything
    assert set(await ids(postgres, "the OR diffusion")) == everything
    assert await ids(postgres, "-the") == []
    assert await ids(postgres, "diffusion -the") == []


async def test_a_word_search_is_no_wider_with_alternative_readings(postgres: Store) -> None:
    # "mixture-of-experts" is also a whole word to PostgreSQL; it finds what its parts do, ranked alike
    assert await ids(postgres, "mixture-of-experts") == await ids(postgres, '"mixture of experts"')


async def test_what_postgresql_refuses_in_a_value_is_a_query_error(postgres: Store) -> None:
    # the parser refuses control characters; a tree made some other way reaches the store as it is
    with pytest.raises(QueryError) as raised:
        await postgres.papers.search(Match(MatchField.ORG, "nv\x00idia"), today=TODAY)
    assert "\n" not in str(raised.value) and str(raised.value).startswith("the search could not run")


async def test_the_plan_reads_the_papers_table(postgres: Store) -> None:
    for text in ("diffusion models", "upvotes>=10", "diffusion OR upvotes>=10"):
        lines = await postgres.papers.query_plan(parse(text), today=TODAY)
        assert lines and any("papers" in line for line in lines), text


async def test_a_large_table_asks_the_planner_whether_a_search_is_broad(
    postgres: Store, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE papers")  # the statistics of words the planner's estimate comes from
    monkeypatch.setattr(search, "EXACT_PROBE_BELOW", -1)  # as if the table were too large to count in
    monkeypatch.setattr(ranking, "BM25_MAX_PAPERS", 10)
    # (the planner estimates a phrase by its words: "continual inference" would count as broad here)
    for text, broad in (("model", True), ("diffusion", True), ("wombat", False), ("tabpfn", False)):
        compiled = search.compile_query(
            parse(text), TODAY, await search.analyse(postgres.db, search.inputs(parse(text)))
        )
        assert await search.is_broad(postgres.db, compiled) is broad, text


async def test_the_newest_matches_found_window_by_window_are_those_of_one_look(
    postgres: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "CANDIDATES", 7)  # fewer than most of these words match: the cut matters
    queries = ("model", '"language model"', "title:diffusion", "attention upvotes>=2", "model since:2025-01-16")
    monkeypatch.setattr(search, "FIRST_WINDOW", 10**9)
    whole = {text: await ids(postgres, text) for text in queries}
    monkeypatch.setattr(search, "FIRST_WINDOW", 2)
    monkeypatch.setattr(search, "WINDOW_GROWTH", 2)
    for text in queries:
        assert whole[text] and await ids(postgres, text) == whole[text], text


async def test_a_search_the_index_cannot_answer_alone_checks_the_newest_papers_with_its_words_only(
    postgres: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    everywhere = await ids(postgres, '"language model"')
    monkeypatch.setattr(search, "CHECKED", 3)
    monkeypatch.setattr(search, "FIRST_WINDOW", 2)
    newest = await ids(postgres, '"language model"')
    assert len(everywhere) > 3 and newest and len(newest) <= 3 and set(newest) <= set(everywhere)


async def test_a_phrase_or_a_field_is_loosened_to_its_words_but_not_under_a_negation() -> None:
    assert search.loosened("'mixtur' <2> 'expert' & 'sparse':*A") == "'mixtur'  &  'expert' & 'sparse':*"
    assert search.loosened("'diffus':AB | 'model'") == "'diffus' | 'model'"
    assert search.loosened("'model' & !('languag' <-> 'model')") is None
    assert search.loosened("'model' & !'survey'") == "'model' & !'survey'"
