"""The relevance evaluation: judged queries over the shared corpus (tests/data/papers.json), run through the real
search path, scored with hits@1, hits@3, MRR, nDCG@10 and nDCG@20. bench/relevance.py prints the table;
tests/store/test_relevance.py holds floors on it.

Three query sets, all deterministic:
- `title`: known items by their title. A query is the title's 3 rarest words (fewest papers hold them; ties go
  to the earlier word), in title order; the paper is the one answer. Someone who remembers a few words of a
  title should find it at once.
- `abstract`: known items by what they are about. A query is the abstract's 2 most distinctive words by
  tf·idf (times in the abstract × log(papers / papers holding the word); ties go to the earlier word), in the
  abstract's order, among words of at least 4 letters that are not in the title and are held by at least
  `ABSTRACT_MIN_PAPERS` papers: the words an abstract keeps coming back to, which a reader remembers. Tried
  first and left: the 3 rarest words (199 of 203 queries had one result, which tests matching, not ranking),
  and 3 words by tf·idf (169 of 203 had one result); with 2, about half the queries find several papers.
- `topical`: 13 topics with papers graded 0–3 by hand, in tests/data/relevance.json (its "about" says how the
  candidates were found); each topic states its grade rule there. Unlisted papers are grade 0. A paper of
  grade 2 or 3 counts as a hit.

Known-item queries take a paper's words as FTS5 reads them (`WORD_CHARS`, case folded): letters and digits.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from paperboy.models import Paper
from paperboy.query import parse
from paperboy.query.parser import WORD_CHARS
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.store.sqlite.search import fts_expression
from tests.fakes.corpus import corpus_papers

JUDGMENTS = Path(__file__).resolve().parent / "data" / "relevance.json"
#: the corpus' newest day: the recency boost sees the papers as a live database would see its latest ones
TODAY = date(2025, 1, 16)
#: results read per query: nDCG@20 needs 20
DEPTH = 20
#: a grade from which a topical result counts as a hit
RELEVANT = 2
TITLE_WORDS = 3
ABSTRACT_WORDS = 2
ABSTRACT_MIN_PAPERS = 2
#: words that say nothing of a paper (the query language would also take `or`/`and` as words)
_STOP_WORDS = (
    "the and for with from that this are was were its their our via using use into onto over under than then "
    "when where which while such can not but also these those has have been being both each more most"
)
STOP = frozenset(_STOP_WORDS.split(" "))
SETS = ("title", "abstract", "topical")


@dataclass(frozen=True, slots=True)
class Judged:
    """A query and the grade of each paper it should find (papers not named are grade 0)."""

    set: str
    text: str
    grades: dict[str, int]


@dataclass(frozen=True, slots=True)
class Scores:
    hits1: float
    hits3: float
    mrr: float
    ndcg10: float
    ndcg20: float
    queries: int


#: a ranking under evaluation: the query's text → the ids of its first `DEPTH` results, best first
Ranker = Callable[[str], Awaitable[list[str]]]


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD_CHARS.findall(text)]


@cache
def _papers() -> tuple[Paper, ...]:
    return tuple(corpus_papers())


@cache
def _document_frequency() -> Counter[str]:
    return Counter(w for p in _papers() for w in set(_words(f"{p.title} {p.abstract}")))


def _top(words: list[str], count: int, weight: Callable[[str], float]) -> str:
    """The `count` heaviest of `words` (ties to the earlier), as a query: unique, in their order."""
    unique = list(dict.fromkeys(words))
    chosen = set(sorted(unique, key=lambda w: (-weight(w), unique.index(w)))[:count])
    return " ".join(w for w in unique if w in chosen)


def _distinctive(word: str, least_length: int) -> bool:
    return len(word) >= least_length and not word.isdigit() and word not in STOP


def title_queries() -> list[Judged]:
    df = _document_frequency()
    queries = []
    for paper in _papers():
        words = [w for w in _words(paper.title) if _distinctive(w, 3)]
        queries.append(Judged("title", _top(words, TITLE_WORDS, lambda w: -df[w]), {paper.id: 1}))
    return queries


def abstract_queries() -> list[Judged]:
    return [Judged("abstract", _abstract_query(paper), {paper.id: 1}) for paper in _papers()]


def _abstract_query(paper: Paper) -> str:
    df = _document_frequency()
    papers = len(_papers())
    in_title = set(_words(paper.title))
    words = [
        w
        for w in _words(paper.abstract)
        if _distinctive(w, 4) and w.isalpha() and w not in in_title and df[w] >= ABSTRACT_MIN_PAPERS
    ]
    tf = Counter(words)
    return _top(words, ABSTRACT_WORDS, lambda w: tf[w] * math.log(papers / df[w]))


def topical_queries() -> list[Judged]:
    ids = {p.title: p.id for p in _papers()}
    topics = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["topics"]
    return [
        Judged("topical", t["query"], {ids[title]: int(g) for g, titles in t["grades"].items() for title in titles})
        for t in topics
    ]


def judged_queries() -> list[Judged]:
    return title_queries() + abstract_queries() + topical_queries()


def scores(ranked: Sequence[Sequence[str]], judged: Sequence[Judged]) -> Scores:
    """The mean of each measure over the queries; `ranked[i]` is the result ids for `judged[i]`."""
    hits1 = hits3 = mrr = ndcg10 = ndcg20 = 0.0
    for ids, query in zip(ranked, judged, strict=True):
        first = next((rank for rank, i in enumerate(ids, 1) if query.grades.get(i, 0) >= _hit_grade(query)), None)
        hits1 += first is not None and first <= 1
        hits3 += first is not None and first <= 3
        mrr += 1 / first if first else 0.0
        ndcg10 += _ndcg(ids, query.grades, 10)
        ndcg20 += _ndcg(ids, query.grades, 20)
    n = len(judged)
    return Scores(hits1 / n, hits3 / n, mrr / n, ndcg10 / n, ndcg20 / n, n)


def _hit_grade(query: Judged) -> int:
    return RELEVANT if query.set == "topical" else 1


def _ndcg(ids: Sequence[str], grades: dict[str, int], depth: int) -> float:
    """Normalised discounted cumulative gain at `depth`, with gains 2^grade − 1."""
    gained = sum((2 ** grades.get(i, 0) - 1) / math.log2(rank + 1) for rank, i in enumerate(ids[:depth], 1))
    ideal = sorted(grades.values(), reverse=True)[:depth]
    best = sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return gained / best if best else 0.0


async def evaluate(rank: Ranker, judged: Sequence[Judged] | None = None) -> dict[str, Scores]:
    """Each query set's scores under `rank`."""
    queries = list(judged) if judged is not None else judged_queries()
    return by_set(await ranked(rank, queries), queries)


async def ranked(rank: Ranker, judged: Sequence[Judged]) -> list[list[str]]:
    """The results of each query under `rank`."""
    return [await rank(q.text) for q in judged]


def by_set(results: Sequence[Sequence[str]], judged: Sequence[Judged]) -> dict[str, Scores]:
    """Each query set's scores, given the results of each query."""
    return {
        name: scores([r for r, q in zip(results, judged, strict=True) if q.set == name], chosen)
        for name in SETS
        if (chosen := [q for q in judged if q.set == name])
    }


async def fill(store: Store) -> None:
    await store.papers.upsert(_papers())


def shipped(store: Store) -> Ranker:
    """The product's ranking: `PaperService.search`, as every surface calls it."""
    service = PaperService(store, today=lambda: TODAY)

    async def rank(text: str) -> list[str]:
        page = await service.search(text, limit=DEPTH)
        return [hit.paper.id for hit in page.hits]

    return rank


def plain_bm25(store: Store) -> Ranker:
    """SQLite FTS5's bm25 over the store's own index, every column weighted alike, with no boosts (SQLite only)."""
    sql = (
        "SELECT p.id FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ? "
        f"ORDER BY bm25(papers_fts), p.pk DESC LIMIT {DEPTH}"
    )

    async def rank(text: str) -> list[str]:
        expression = fts_expression(parse(text))
        if expression is None:
            return []
        return [str(row[0]) for row in await store.db.fetchall(sql, (expression,))]

    return rank
