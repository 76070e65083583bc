"""Search on PostgreSQL: the query's syntax tree compiled to a `tsquery` over the weighted `document` column."""

from __future__ import annotations

from paperboy.store.engine import Queries, Row, SearchRequest


async def search(db: Queries, request: SearchRequest) -> list[Row]:
    raise NotImplementedError("PostgreSQL search is being written")


async def plan(db: Queries, request: SearchRequest) -> list[str]:
    raise NotImplementedError("PostgreSQL search is being written")
