"""The papers table and its full-text index: upsert with dedup (which also keeps the index), lookup, word search."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite

from paperboy.dedup import merge_papers
from paperboy.errors import QueryError
from paperboy.models import Paper, SearchHit, UpsertCounts
from paperboy.store.database import transaction

#: papers written per transaction: big enough to amortise the commit, small enough to let other writers in
BATCH_SIZE = 2_000

_COLUMNS = (
    "id",
    "title",
    "abstract",
    "authors",
    "published_at",
    "daily_date",
    "upvotes",
    "comments",
    "ai_summary",
    "ai_keywords",
    "github_repo",
    "github_stars",
    "project_page",
    "organization",
    "categories",
    "version",
    "sources",
    "first_seen_at",
    "updated_at",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM papers"
_INSERT = f"INSERT INTO papers ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_UPDATE = f"UPDATE papers SET {', '.join(f'{c} = ?' for c in _COLUMNS[1:])} WHERE id = ?"
_INDEXED = "title, abstract, authors, ai_keywords"
_IDS = "id IN (SELECT value FROM json_each(?))"
# the full-text index holds what the rows hold: 'delete' must be given the values that were indexed
_UNINDEX = (
    f"INSERT INTO papers_fts(papers_fts, rowid, {_INDEXED}) SELECT 'delete', pk, {_INDEXED} FROM papers WHERE {_IDS}"
)
_INDEX = f"INSERT INTO papers_fts(rowid, {_INDEXED}) SELECT pk, {_INDEXED} FROM papers WHERE {_IDS}"
_WORD = re.compile(r"\w+")


class PaperStore:
    """Papers in SQLite. Every write path goes through `upsert`, so dedup has one home."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def upsert(self, papers: Iterable[Paper], now: datetime | None = None) -> UpsertCounts:
        """Store `papers`, merging each with what is already known of it; count new, updated, unchanged."""
        now_text = _utc_text(now or datetime.now(UTC))
        pending = list(papers)
        total = UpsertCounts()
        for start in range(0, len(pending), BATCH_SIZE):
            batch = _merge_within(pending[start : start + BATCH_SIZE])
            async with transaction(self._conn):
                stored = await self._get_many([p.id for p in batch])
                inserts, updates, reindex = [], [], []
                for paper in batch:
                    old = stored.get(paper.id)
                    if old is None:
                        inserts.append(_to_row(paper, first_seen_at=now_text, updated_at=now_text))
                        continue
                    merged = merge_papers(old, paper)
                    if merged != old:
                        row = _to_row(merged, first_seen_at=_iso(old.first_seen_at) or now_text, updated_at=now_text)
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
            total = total + UpsertCounts(len(inserts), len(updates), len(batch) - len(inserts) - len(updates))
        return total

    async def get(self, paper_id: str) -> Paper | None:
        async with self._conn.execute(f"{_SELECT} WHERE id = ?", (paper_id,)) as cursor:
            row = await cursor.fetchone()
        return _from_row(row) if row else None

    async def count(self) -> int:
        async with self._conn.execute("SELECT count(*) FROM papers") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def search_words(self, text: str, limit: int = 10) -> list[SearchHit]:
        """Papers containing every word of `text`, best bm25 first, title weighted above abstract.

        Only word characters reach FTS5, each as a quoted string, so no input can be read as FTS5 syntax.
        """
        words = _WORD.findall(text)
        if not words:
            raise QueryError("the search has no words in it; give one or more words, like: diffusion transformer")
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        sql = (
            f"SELECT {', '.join('p.' + c for c in _COLUMNS)}, bm25(papers_fts, 10.0, 1.0, 3.0, 2.0) AS score "
            "FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid "
            "WHERE papers_fts MATCH ? ORDER BY score LIMIT ?"
        )
        async with self._conn.execute(sql, (match, limit)) as cursor:
            rows = await cursor.fetchall()
        return [SearchHit(paper=_from_row(row), score=float(row[-1])) for row in rows]

    async def _get_many(self, ids: Sequence[str]) -> dict[str, Paper]:
        sql = f"{_SELECT} WHERE id IN (SELECT value FROM json_each(?))"
        async with self._conn.execute(sql, (json.dumps(list(ids)),)) as cursor:
            rows = await cursor.fetchall()
        return {row[0]: _from_row(row) for row in rows}


def _indexed_text(paper: Paper) -> tuple[object, ...]:
    return (paper.title, paper.abstract, paper.authors, paper.ai_keywords)


def _merge_within(papers: Sequence[Paper]) -> list[Paper]:
    """One paper per id: a batch that names a paper twice (a source listing it twice) merges in order."""
    by_id: dict[str, Paper] = {}
    for paper in papers:
        earlier = by_id.get(paper.id)
        by_id[paper.id] = paper if earlier is None else merge_papers(earlier, paper)
    return list(by_id.values())


def _to_row(paper: Paper, *, first_seen_at: str, updated_at: str) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        _json_list(paper.authors),
        _iso(paper.published_at),
        paper.daily_date.isoformat() if paper.daily_date else None,
        paper.upvotes,
        paper.comments,
        paper.ai_summary,
        _json_list(paper.ai_keywords),
        paper.github_repo,
        paper.github_stars,
        paper.project_page,
        paper.organization,
        _json_list(paper.categories),
        paper.version,
        _json_list(sorted(paper.sources)),
        first_seen_at,
        updated_at,
    )


def _from_row(row: Sequence[Any]) -> Paper:
    (
        paper_id,
        title,
        abstract,
        authors,
        published_at,
        daily_date,
        upvotes,
        comments,
        ai_summary,
        ai_keywords,
        github_repo,
        github_stars,
        project_page,
        organization,
        categories,
        version,
        sources,
        first_seen_at,
        updated_at,
    ) = row[: len(_COLUMNS)]
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        authors=tuple(json.loads(authors)),
        published_at=_parse_iso(published_at),
        daily_date=date.fromisoformat(daily_date) if daily_date else None,
        upvotes=upvotes,
        comments=comments,
        ai_summary=ai_summary,
        ai_keywords=tuple(json.loads(ai_keywords)),
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
        organization=organization,
        categories=tuple(json.loads(categories)),
        version=version,
        sources=frozenset(json.loads(sources)),
        first_seen_at=_parse_iso(first_seen_at),
        updated_at=_parse_iso(updated_at),
    )


# json.dumps with options builds a new encoder per call; upsert encodes four lists a row
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _json_list(items: Sequence[str]) -> str:
    return _encode_json(items)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc_text(moment)


def _utc_text(moment: datetime) -> str:
    """`2025-01-16T08:30:00Z`: UTC, to the second, so that text order is time order."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def _parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
