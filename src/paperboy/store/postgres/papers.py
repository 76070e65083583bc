"""The papers table on PostgreSQL: writes (the `document` column indexes itself), and search through `tsquery`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from paperboy.store.engine import Queries, Row, SearchRequest
from paperboy.store.postgres import search
from paperboy.store.postgres.connection import Statements
from paperboy.store.rows import COLUMNS, PAPER_DAY

_COPY_IN = f"COPY papers ({', '.join(COLUMNS)}) FROM STDIN"
# updates arrive in a scratch table (dropped at commit) and are applied by one UPDATE … FROM
_STAGE = f"CREATE TEMPORARY TABLE staged_papers ON COMMIT DROP AS SELECT {', '.join(COLUMNS)} FROM papers WITH NO DATA"
_COPY_STAGED = f"COPY staged_papers ({', '.join(COLUMNS)}) FROM STDIN"
_APPLY = (
    f"UPDATE papers p SET {', '.join(f'{c} = s.{c}' for c in COLUMNS[1:])} FROM staged_papers s WHERE p.id = s.id"
)
_EXTEND_DAYS = (
    f"INSERT INTO paper_days (day, min_pk, max_pk) SELECT {PAPER_DAY}, min(p.pk), max(p.pk) FROM papers p "
    "WHERE p.id IN (SELECT json_array_elements_text(CAST(? AS json))) GROUP BY 1 "
    "ON CONFLICT (day) DO UPDATE SET min_pk = least(paper_days.min_pk, excluded.min_pk), "
    "max_pk = greatest(paper_days.max_pk, excluded.max_pk)"
)


class PostgresPaperIndex:
    """`engine.PaperIndex` for PostgreSQL: the weighted `document` tsvector is a generated column, so a write
    needs no index upkeep of its own. Rows go in with COPY, several times faster than INSERTs (bench/ingest.py)."""

    async def write(self, tx: Queries, inserts: Sequence[Row], updates: Sequence[Row], reindex: Sequence[str]) -> None:
        assert isinstance(tx, Statements)
        conn = tx.connection
        if inserts:
            async with conn.cursor() as cursor, cursor.copy(_COPY_IN) as copy:
                for row in inserts:
                    await copy.write_row(row)
        if updates:
            async with conn.cursor() as cursor:
                await cursor.execute(_STAGE)
                async with cursor.copy(_COPY_STAGED) as copy:
                    for row in updates:  # an update row is the columns after id, then the id
                        await copy.write_row((row[-1], *row[:-1]))
                await cursor.execute(_APPLY)
        written = [row[0] for row in inserts] + [row[-1] for row in updates]
        if written:
            await tx.execute(_EXTEND_DAYS, (json.dumps(written),))

    async def search(self, db: Queries, request: SearchRequest) -> list[Row]:
        return await search.search(db, request)

    async def plan(self, db: Queries, request: SearchRequest) -> list[str]:
        return await search.plan(db, request)
