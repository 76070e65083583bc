"""The papers table on SQLite: writes that keep the FTS5 index and `paper_days` in step, and search through FTS5."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from paperboy.errors import QueryError
from paperboy.models import Sort
from paperboy.store.engine import Queries, Row, SearchRequest
from paperboy.store.rows import COLUMNS, PAPER_DAY
from paperboy.store.similarity import CommonWords, Word
from paperboy.store.sqlite import similar
from paperboy.store.sqlite.search import (
    Statement,
    compile_query,
    count_statement,
    probe_statement,
    search_statement,
)

INSERT = f"INSERT INTO papers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_UPDATE = f"UPDATE papers SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} WHERE id = ?"
_INSERT_COPIED = (
    f"INSERT INTO papers (pk, {', '.join(COLUMNS)}) VALUES ({', '.join('?' * (len(COLUMNS) + 1))}) "
    "ON CONFLICT DO NOTHING"
)
_INDEXED = "title, abstract, authors, ai_keywords"
_IDS = "id IN (SELECT value FROM json_each(?))"
# the full-text index holds what the rows hold: 'delete' must be given the values that were indexed
# Rows go to FTS5 in rowid order. FTS5 keeps new entries in memory and must write them out as a new segment
# whenever a rowid is not above the one before it; `id IN (…)` yields rows in id order, which for papers that
# arrive shuffled is not rowid order: that made ingest 2.7 times slower (bench/README.md, shuffled ingest).
_UNINDEX = (
    f"INSERT INTO papers_fts(papers_fts, rowid, {_INDEXED}) "
    f"SELECT 'delete', pk, {_INDEXED} FROM papers WHERE {_IDS} ORDER BY pk"
)
_INDEX = f"INSERT INTO papers_fts(rowid, {_INDEXED}) SELECT pk, {_INDEXED} FROM papers WHERE {_IDS} ORDER BY pk"
_EXTEND_DAYS = (
    f"INSERT INTO paper_days (day, min_pk, max_pk) SELECT {PAPER_DAY}, min(p.pk), max(p.pk) FROM papers p "
    f"WHERE p.{_IDS} GROUP BY 1 "
    "ON CONFLICT (day) DO UPDATE SET min_pk = min(min_pk, excluded.min_pk), max_pk = max(max_pk, excluded.max_pk)"
)


class SqlitePaperIndex:
    """`engine.PaperIndex` for SQLite's FTS5."""

    def __init__(self) -> None:
        self._common = CommonWords()  # for similar papers: words not worth counting again

    async def write(self, tx: Queries, inserts: Sequence[Row], updates: Sequence[Row], reindex: Sequence[str]) -> None:
        # upvote changes are most updates: they leave the index alone
        if reindex:
            await tx.execute(_UNINDEX, (json.dumps(list(reindex)),))
        await tx.executemany(INSERT, inserts)
        await tx.executemany(_UPDATE, updates)
        to_index = [row[0] for row in inserts] + list(reindex)
        if to_index:
            await tx.execute(_INDEX, (json.dumps(to_index),))
        written = [row[0] for row in inserts] + [row[-1] for row in updates]
        if written:
            await tx.execute(_EXTEND_DAYS, (json.dumps(written),))

    async def write_copied(self, tx: Queries, rows: Sequence[Row]) -> None:
        await tx.executemany(_INSERT_COPIED, rows)

    async def index_copied(self, tx: Queries) -> None:
        # an external-content FTS5 table reads every row of papers again: one pass, whatever was copied before
        await tx.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")

    async def search(self, db: Queries, request: SearchRequest) -> list[Row]:
        try:
            statement = await _statement(db, request)
            return await db.fetchall(statement.sql, statement.params)
        except sqlite3.OperationalError as error:
            raise QueryError(f"the search could not run ({error}); simplify it and try again") from error

    async def count(self, db: Queries, request: SearchRequest, most: int) -> int:
        statement = count_statement(compile_query(request.query, request.today), sort=request.sort, most=most)
        try:
            row = await db.fetchone(statement.sql, statement.params)
        except sqlite3.OperationalError as error:
            raise QueryError(f"the search could not run ({error}); simplify it and try again") from error
        return int(row[0]) if row else 0

    async def plan(self, db: Queries, request: SearchRequest) -> list[str]:
        statement = await _statement(db, request)
        return [str(row[-1]) for row in await db.fetchall(f"EXPLAIN QUERY PLAN {statement.sql}", statement.params)]

    async def words(self, db: Queries, paper_id: str) -> list[Word] | None:
        return await similar.words(db, paper_id, self._common)


async def _statement(db: Queries, request: SearchRequest) -> Statement:
    compiled = compile_query(request.query, request.today)
    broad = False
    if compiled.match is not None and request.sort is Sort.RELEVANCE:
        probe = probe_statement(compiled)
        if probe is not None:
            row = await db.fetchone(probe.sql, probe.params)
            broad = bool(row and row[0])
    return search_statement(
        compiled,
        sort=request.sort,
        limit=request.limit,
        offset=request.offset,
        today=request.today,
        snippet_tokens=request.snippet_tokens,
        broad=broad,
    )
