"""The papers table and its full-text index: upsert with dedup (which also keeps the index), lookup, search."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from paperboy.dedup import merge_papers, merge_sightings
from paperboy.models import Paper, PartialMatch, SearchHit, SearchPage, Snippet, Sort, UpsertCounts
from paperboy.query.ast import And, Match, MatchField, Node, Not, Or, Term
from paperboy.store import partial, similarity
from paperboy.store.engine import Database, Queries, Row, SearchRequest
from paperboy.store.rows import COLUMNS, PAPER_DAY, from_row, iso, to_row, utc_text

#: papers written per transaction: big enough to amortise the commit, small enough to let other writers in
BATCH_SIZE = 2_000

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM papers"
_SELECT_P = f"SELECT {', '.join('p.' + c for c in COLUMNS)} FROM papers p"
#: words in a search snippet
SNIPPET_TOKENS = 32


class PaperStore:
    """Papers. Every write path goes through `upsert`, so dedup has one home."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, papers: Iterable[Paper], now: datetime | None = None) -> UpsertCounts:
        """Store `papers`, merging each with what is already known of it; count new, updated, unchanged."""
        now_text = utc_text(now or datetime.now(UTC))
        # papers given together are sightings made at the same time: a paper named twice is merged first
        pending = merge_sightings(papers)
        total = UpsertCounts()
        for start in range(0, len(pending), BATCH_SIZE):
            batch = pending[start : start + BATCH_SIZE]
            # one writer of papers at a time: two processes storing the same new paper must not both insert it
            async with self._db.transaction(lock="papers") as tx:
                stored = await self._get_many([p.id for p in batch], tx)
                inserts, updates, reindex = [], [], []
                for paper in batch:
                    old = stored.get(paper.id)
                    if old is None:
                        inserts.append(to_row(paper, first_seen_at=now_text, updated_at=now_text))
                        continue
                    merged = merge_papers(old, paper)
                    if merged != old:
                        row = to_row(merged, first_seen_at=iso(old.first_seen_at) or now_text, updated_at=now_text)
                        updates.append((*row[1:], paper.id))
                        if _indexed_text(merged) != _indexed_text(old):
                            reindex.append(paper.id)
                inserts.sort()  # in id order: new rows then extend the id index at one end, not all over it
                await self._db.index.write(tx, inserts, updates, reindex)
            total = total + UpsertCounts(len(inserts), len(updates), len(batch) - len(inserts) - len(updates))
        return total

    async def get(self, paper_id: str) -> Paper | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE id = ?", (paper_id,))
        return from_row(row) if row else None

    async def dated_since(self, day: date) -> list[Paper]:
        """Every paper dated `day` or later (the Daily Papers day, else arXiv's, else first seen)."""
        least = "SELECT min(min_pk) FROM paper_days WHERE day >= ?"
        sql = f"{_SELECT_P} WHERE p.pk >= coalesce(({least}), {2**62}) AND {PAPER_DAY} >= ? ORDER BY p.pk"
        return [from_row(row) for row in await self._db.fetchall(sql, (day.isoformat(), day.isoformat()))]

    async def latest_day(self) -> date | None:
        """The newest day any paper is dated."""
        row = await self._db.fetchone("SELECT max(day) FROM paper_days")
        return date.fromisoformat(row[0]) if row and row[0] else None

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM papers")
        return int(row[0]) if row else 0

    async def search(
        self,
        query: Node,
        *,
        sort: Sort = Sort.RELEVANCE,
        limit: int = 10,
        offset: int = 0,
        today: date | None = None,
    ) -> SearchPage:
        """One page of the papers matching `query`, in `sort` order, each with a snippet of its abstract.

        A relevance search of several words goes on with partial matches when the papers holding every word run
        out (`store/partial.py`): the pages run through the full matches, then each tier of partial ones, as one
        list. A page that starts past a part counts that part's results to know where the next one starts."""
        parts: list[tuple[Node, PartialMatch | None]] = [(query, None)]
        hits: list[SearchHit] = []
        skip = offset
        for at, (node, match) in enumerate(parts):
            wanted = limit - len(hits)
            request = self._request(node, sort, wanted, skip, today)
            rows = await self._db.index.search(self._db, request)
            hits += [_hit(row, match) for row in rows[:wanted]]
            if len(rows) > wanted:
                return SearchPage(tuple(hits), offset, has_more=True)
            if rows:
                skip = 0
            elif skip:
                skip -= await self._db.index.count(self._db, request, skip)
            if at == 0 and sort is Sort.RELEVANCE and partial.tiers(query):
                # the loop goes on through the parts added here
                parts += [(tier.query, tier.match) for tier in partial.tiers(query, await self.latest_day())]
        return SearchPage(tuple(hits), offset, has_more=False)

    async def similar(
        self, paper_id: str, *, limit: int = 10, offset: int = 0, today: date | None = None
    ) -> SearchPage:
        """One page of the papers most like paper `paper_id`, best first: a search for its distinctive words
        (`store/similarity.py`), itself left out. An empty page when there is no such paper, or when no other
        paper holds any of its words."""
        words = await self._db.index.words(self._db, paper_id)
        total = await self._db.fetchone("SELECT max(pk) FROM papers")  # how many papers, near enough, at no cost
        chosen = similarity.distinctive(words or [], int(total[0]) if total and total[0] else 0)
        if not chosen:
            return SearchPage((), offset, has_more=False)
        query = And((Or(tuple(Term(word.query) for word in chosen)), Not(Match(MatchField.ID, paper_id))))
        return await self.search(query, limit=limit, offset=offset, today=today)

    async def query_plan(
        self, query: Node, *, sort: Sort = Sort.RELEVANCE, limit: int = 10, offset: int = 0, today: date | None = None
    ) -> list[str]:
        """The engine's plan for `search` with these arguments, a line per step (for tuning and benchmarks)."""
        return await self._db.index.plan(self._db, self._request(query, sort, limit, offset, today))

    @staticmethod
    def _request(query: Node, sort: Sort, limit: int, offset: int, today: date | None) -> SearchRequest:
        return SearchRequest(query, sort, limit, offset, today or datetime.now(UTC).date(), SNIPPET_TOKENS)

    async def get_many(self, ids: Sequence[str]) -> list[Paper]:
        """The papers with these ids that exist, in the order of `ids`."""
        found = await self._get_many(ids)
        return [found[i] for i in ids if i in found]

    async def _get_many(self, ids: Sequence[str], queries: Queries | None = None) -> dict[str, Paper]:
        sql = f"{_SELECT} WHERE id IN ({self._db.dialect.json_values})"
        rows = await (queries or self._db).fetchall(sql, (json.dumps(list(ids)),))
        return {row[0]: from_row(row) for row in rows}


def _hit(row: Row, match: PartialMatch | None) -> SearchHit:
    paper = from_row(row)
    return SearchHit(paper, float(row[-2]), Snippet(row[-1] or _opening(paper.abstract)), match)


def _opening(abstract: str) -> str:
    words = abstract.split()
    return " ".join(words[:SNIPPET_TOKENS]) + (" …" if len(words) > SNIPPET_TOKENS else "")


def _indexed_text(paper: Paper) -> tuple[object, ...]:
    return (paper.title, paper.abstract, paper.authors, paper.ai_keywords)
