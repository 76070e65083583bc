"""The papers table and its full-text index: upsert with dedup (which also keeps the index), lookup, search."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

import aiosqlite

from paperboy.dedup import merge_papers, merge_sightings
from paperboy.errors import QueryError
from paperboy.models import Paper, SearchHit, SearchPage, Snippet, Sort, UpsertCounts
from paperboy.query.ast import Node
from paperboy.store.database import transaction
from paperboy.store.rows import COLUMNS, from_row, iso, to_row, utc_text
from paperboy.store.search import PAPER_DAY, Statement, compile_query, probe_statement, search_statement

#: papers written per transaction: big enough to amortise the commit, small enough to let other writers in
BATCH_SIZE = 2_000

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM papers"
_SELECT_P = f"SELECT {', '.join('p.' + c for c in COLUMNS)} FROM papers p"
_INSERT = f"INSERT INTO papers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_UPDATE = f"UPDATE papers SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} WHERE id = ?"
_INDEXED = "title, abstract, authors, ai_keywords"
_IDS = "id IN (SELECT value FROM json_each(?))"
# the full-text index holds what the rows hold: 'delete' must be given the values that were indexed
_UNINDEX = (
    f"INSERT INTO papers_fts(papers_fts, rowid, {_INDEXED}) SELECT 'delete', pk, {_INDEXED} FROM papers WHERE {_IDS}"
)
_INDEX = f"INSERT INTO papers_fts(rowid, {_INDEXED}) SELECT pk, {_INDEXED} FROM papers WHERE {_IDS}"
_EXTEND_DAYS = (
    f"INSERT INTO paper_days (day, min_pk, max_pk) SELECT {PAPER_DAY}, min(p.pk), max(p.pk) FROM papers p "
    f"WHERE p.{_IDS} GROUP BY 1 "
    "ON CONFLICT (day) DO UPDATE SET min_pk = min(min_pk, excluded.min_pk), max_pk = max(max_pk, excluded.max_pk)"
)
#: words in a search snippet
SNIPPET_TOKENS = 32


class PaperStore:
    """Papers in SQLite. Every write path goes through `upsert`, so dedup has one home."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def upsert(self, papers: Iterable[Paper], now: datetime | None = None) -> UpsertCounts:
        """Store `papers`, merging each with what is already known of it; count new, updated, unchanged."""
        now_text = utc_text(now or datetime.now(UTC))
        # papers given together are sightings made at the same time: a paper named twice is merged first
        pending = merge_sightings(papers)
        total = UpsertCounts()
        for start in range(0, len(pending), BATCH_SIZE):
            batch = pending[start : start + BATCH_SIZE]
            async with transaction(self._conn):
                stored = await self._get_many([p.id for p in batch])
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
                # upvote changes are most updates: they leave the index alone
                if reindex:
                    await self._conn.execute(_UNINDEX, (json.dumps(reindex),))
                await self._conn.executemany(_INSERT, inserts)
                await self._conn.executemany(_UPDATE, updates)
                to_index = [row[0] for row in inserts] + reindex
                if to_index:
                    await self._conn.execute(_INDEX, (json.dumps(to_index),))
                written = [row[0] for row in inserts] + [row[-1] for row in updates]
                if written:
                    await self._conn.execute(_EXTEND_DAYS, (json.dumps(written),))
            total = total + UpsertCounts(len(inserts), len(updates), len(batch) - len(inserts) - len(updates))
        return total

    async def get(self, paper_id: str) -> Paper | None:
        async with self._conn.execute(f"{_SELECT} WHERE id = ?", (paper_id,)) as cursor:
            row = await cursor.fetchone()
        return from_row(row) if row else None

    async def dated_since(self, day: date) -> list[Paper]:
        """Every paper dated `day` or later (the Daily Papers day, else arXiv's, else first seen)."""
        least = "SELECT min(min_pk) FROM paper_days WHERE day >= ?"
        sql = f"{_SELECT_P} WHERE p.pk >= coalesce(({least}), {2**62}) AND {PAPER_DAY} >= ? ORDER BY p.pk"
        async with self._conn.execute(sql, (day.isoformat(), day.isoformat())) as cursor:
            return [from_row(row) for row in await cursor.fetchall()]

    async def latest_day(self) -> date | None:
        """The newest day any paper is dated."""
        async with self._conn.execute("SELECT max(day) FROM paper_days") as cursor:
            row = await cursor.fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    async def count(self) -> int:
        async with self._conn.execute("SELECT count(*) FROM papers") as cursor:
            row = await cursor.fetchone()
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
        """One page of the papers matching `query`, in `sort` order, each with a snippet of its abstract."""
        try:
            statement = await self._search_statement(query, sort, limit, offset, today)
            async with self._conn.execute(statement.sql, statement.params) as cursor:
                rows = list(await cursor.fetchall())
        except sqlite3.OperationalError as error:
            raise QueryError(f"the search could not run ({error}); simplify it and try again") from error
        hits = tuple(
            SearchHit(paper := from_row(row), float(row[-2]), Snippet(row[-1] or _opening(paper.abstract)))
            for row in rows[:limit]
        )
        return SearchPage(hits, offset, has_more=len(rows) > limit)

    async def query_plan(
        self, query: Node, *, sort: Sort = Sort.RELEVANCE, limit: int = 10, offset: int = 0, today: date | None = None
    ) -> list[str]:
        """SQLite's plan for `search` with these arguments, a line per step (for tuning and benchmarks)."""
        statement = await self._search_statement(query, sort, limit, offset, today)
        async with self._conn.execute(f"EXPLAIN QUERY PLAN {statement.sql}", statement.params) as cursor:
            return [str(row[-1]) for row in await cursor.fetchall()]

    async def _search_statement(
        self, query: Node, sort: Sort, limit: int, offset: int, today: date | None
    ) -> Statement:
        today = today or datetime.now(UTC).date()
        compiled = compile_query(query, today)
        broad = False
        if compiled.match is not None and sort is Sort.RELEVANCE:
            probe = probe_statement(compiled)
            if probe is not None:
                async with self._conn.execute(probe.sql, probe.params) as cursor:
                    row = await cursor.fetchone()
                broad = bool(row and row[0])
        return search_statement(
            compiled, sort=sort, limit=limit, offset=offset, today=today, snippet_tokens=SNIPPET_TOKENS, broad=broad
        )

    async def get_many(self, ids: Sequence[str]) -> list[Paper]:
        """The papers with these ids that exist, in the order of `ids`."""
        found = await self._get_many(ids)
        return [found[i] for i in ids if i in found]

    async def _get_many(self, ids: Sequence[str]) -> dict[str, Paper]:
        sql = f"{_SELECT} WHERE id IN (SELECT value FROM json_each(?))"
        async with self._conn.execute(sql, (json.dumps(list(ids)),)) as cursor:
            rows = await cursor.fetchall()
        return {row[0]: from_row(row) for row in rows}


def _opening(abstract: str) -> str:
    words = abstract.split()
    return " ".join(words[:SNIPPET_TOKENS]) + (" …" if len(words) > SNIPPET_TOKENS else "")


def _indexed_text(paper: Paper) -> tuple[object, ...]:
    return (paper.title, paper.abstract, paper.authors, paper.ai_keywords)
