"""The papers table on PostgreSQL: writes (the `document` column indexes itself), and search through `tsquery`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from paperboy.store.engine import Queries, Row, SearchRequest
from paperboy.store.postgres import search
from paperboy.store.rows import COLUMNS, PAPER_DAY

_INSERT = f"INSERT INTO papers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_UPDATE = f"UPDATE papers SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} WHERE id = ?"
_EXTEND_DAYS = (
    f"INSERT INTO paper_days (day, min_pk, max_pk) SELECT {PAPER_DAY}, min(p.pk), max(p.pk) FROM papers p "
    "WHERE p.id IN (SELECT json_array_elements_text(CAST(? AS json))) GROUP BY 1 "
    "ON CONFLICT (day) DO UPDATE SET min_pk = least(paper_days.min_pk, excluded.min_pk), "
    "max_pk = greatest(paper_days.max_pk, excluded.max_pk)"
)


class PostgresPaperIndex:
    """`engine.PaperIndex` for PostgreSQL: the weighted `document` tsvector is a generated column."""

    async def write(self, tx: Queries, inserts: Sequence[Row], updates: Sequence[Row], reindex: Sequence[str]) -> None:
        await tx.executemany(_INSERT, inserts)
        await tx.executemany(_UPDATE, updates)
        written = [row[0] for row in inserts] + [row[-1] for row in updates]
        if written:
            await tx.execute(_EXTEND_DAYS, (json.dumps(written),))

    async def search(self, db: Queries, request: SearchRequest) -> list[Row]:
        return await search.search(db, request)

    async def plan(self, db: Queries, request: SearchRequest) -> list[str]:
        return await search.plan(db, request)
