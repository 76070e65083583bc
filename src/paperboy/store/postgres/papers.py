"""The papers table on PostgreSQL: writes (the `document` column indexes itself), and search through `tsquery`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from paperboy.store.engine import Queries, Row, SearchRequest
from paperboy.store.postgres import search, similar
from paperboy.store.postgres.connection import Statements
from paperboy.store.rows import COLUMNS, PAPER_DAY
from paperboy.store.similarity import CommonWords, Word

#: a paper's search document from its columns (of `papers` or of the staging table `s`)
DOCUMENT = (
    "setweight(to_tsvector('english', {t}.title), 'A') || setweight(to_tsvector('english', {t}.ai_keywords), 'B') || "
    "setweight(to_tsvector('english', {t}.authors), 'C') || setweight(to_tsvector('english', {t}.abstract), 'D')"
)
_COLUMNS = ", ".join(COLUMNS)
# rows arrive by COPY in a scratch table (dropped at commit), then go to papers in one statement each way
_STAGE = f"CREATE TEMPORARY TABLE staged_papers ON COMMIT DROP AS SELECT {_COLUMNS} FROM papers WITH NO DATA"
_COPY_STAGED = f"COPY staged_papers ({_COLUMNS}) FROM STDIN"
_INSERT = (
    f"INSERT INTO papers ({_COLUMNS}, document) SELECT {_COLUMNS}, {DOCUMENT.format(t='s')} FROM staged_papers s "
    "WHERE s.id NOT IN (SELECT json_array_elements_text(CAST(%s AS json))) ORDER BY s.id"
)
_UPDATE = (
    f"UPDATE papers p SET {', '.join(f'{c} = s.{c}' for c in COLUMNS[1:])}, "
    f"document = CASE WHEN s.id IN (SELECT json_array_elements_text(CAST(%s AS json))) "
    f"THEN {DOCUMENT.format(t='s')} ELSE p.document END "
    "FROM staged_papers s WHERE p.id = s.id AND s.id IN (SELECT json_array_elements_text(CAST(%s AS json)))"
)
# papers copied from another database keep their pk; their document is computed on the way in
_STAGE_COPIED = f"CREATE TEMPORARY TABLE copied_papers ON COMMIT DROP AS SELECT pk, {_COLUMNS} FROM papers WITH NO DATA"
_COPY_COPIED = f"COPY copied_papers (pk, {_COLUMNS}) FROM STDIN"
_INSERT_COPIED = (
    f"INSERT INTO papers (pk, {_COLUMNS}, document) SELECT pk, {_COLUMNS}, {DOCUMENT.format(t='s')} "
    "FROM copied_papers s ORDER BY pk ON CONFLICT DO NOTHING"
)
_EXTEND_DAYS = (
    f"INSERT INTO paper_days (day, min_pk, max_pk) SELECT {PAPER_DAY}, min(p.pk), max(p.pk) FROM papers p "
    "WHERE p.id IN (SELECT json_array_elements_text(CAST(? AS json))) GROUP BY 1 "
    "ON CONFLICT (day) DO UPDATE SET min_pk = least(paper_days.min_pk, excluded.min_pk), "
    "max_pk = greatest(paper_days.max_pk, excluded.max_pk)"
)


class PostgresPaperIndex:
    """`engine.PaperIndex` for PostgreSQL: rows go in with COPY and set-based statements, several times faster
    than a statement per paper (bench/ingest.py); the search document is computed for new and changed text only."""

    def __init__(self) -> None:
        self._common = CommonWords()  # for similar papers: words not worth counting again

    async def write(self, tx: Queries, inserts: Sequence[Row], updates: Sequence[Row], reindex: Sequence[str]) -> None:
        assert isinstance(tx, Statements)
        if not inserts and not updates:
            return
        updated = [row[-1] for row in updates]  # an update row is the columns after id, then the id
        async with tx.connection.cursor() as cursor:
            await cursor.execute(_STAGE)
            async with cursor.copy(_COPY_STAGED) as copy:
                for row in inserts:
                    await copy.write_row(row)
                for row in updates:
                    await copy.write_row((row[-1], *row[:-1]))
            if inserts:
                await cursor.execute(_INSERT, (json.dumps(updated),))
            if updates:
                await cursor.execute(_UPDATE, (json.dumps(list(reindex)), json.dumps(updated)))
        written = [row[0] for row in inserts] + updated
        await tx.execute(_EXTEND_DAYS, (json.dumps(written),))

    async def write_copied(self, tx: Queries, rows: Sequence[Row]) -> None:
        assert isinstance(tx, Statements)
        if not rows:
            return
        async with tx.connection.cursor() as cursor:
            await cursor.execute(_STAGE_COPIED)
            async with cursor.copy(_COPY_COPIED) as copy:
                for row in rows:
                    await copy.write_row(row)
            await cursor.execute(_INSERT_COPIED)

    async def index_copied(self, tx: Queries) -> None:
        pass  # each copied paper's document was computed as it went in

    async def search(self, db: Queries, request: SearchRequest) -> list[Row]:
        return await search.search(db, request)

    async def count(self, db: Queries, request: SearchRequest, most: int) -> int:
        return await search.count(db, request, most)

    async def plan(self, db: Queries, request: SearchRequest) -> list[str]:
        return await search.plan(db, request)

    async def words(self, db: Queries, paper_id: str) -> list[Word] | None:
        return await similar.words(db, paper_id, self._common)
