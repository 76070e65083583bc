"""Topic filters against candidate papers (a digest's new papers): which match, and why.

The candidates are copied into a scratch in-memory database with the same schema and full-text index as the
store, and each filter runs there as the same SQL a search would: a filter matches exactly what a search for
it would find. A few hundred candidates make the index small, so thousands of filters take well under a second.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Self

from paperboy.models import Paper
from paperboy.query.ast import (
    Bound,
    Compare,
    Count,
    DateLimit,
    Match,
    MatchField,
    Node,
    Phrase,
    Term,
    TextField,
    positive_leaves,
)
from paperboy.store.rows import COLUMNS, PAPER_DAY, to_row
from paperboy.store.sqlite.migrations import MIGRATIONS
from paperboy.store.sqlite.search import compile_query, fts_expression

_INSERT = f"INSERT INTO papers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_FIELD_WORDS = {
    TextField.TITLE: "title",
    TextField.ABSTRACT: "abstract",
    TextField.AUTHOR: "authors",
    TextField.KEYWORD: "keywords",
}


class CandidateIndex:
    """Candidate papers in a scratch database, closed at the end of a `with` block. Blocking: use it from a
    worker thread (`with CandidateIndex(papers) as index:` inside the function given to `asyncio.to_thread`)."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        for migration in MIGRATIONS:
            self._conn.executescript(migration.script)
        unique = {paper.id: paper for paper in papers}
        self._conn.executemany(_INSERT, [to_row(p, first_seen_at="", updated_at="") for p in unique.values()])
        self._conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
        self._pks = {row[1]: row[0] for row in self._conn.execute("SELECT pk, id FROM papers")}
        self._papers = unique

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def matching(self, query: Node, today: date) -> list[str]:
        """Ids of the candidates `query` matches, in the order they were given."""
        compiled = compile_query(query, today)
        if compiled.match is not None:
            sql = (
                "SELECT p.id FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid "
                f"WHERE papers_fts MATCH ? AND {compiled.where}"
            )
            params: tuple[object, ...] = (compiled.match, *compiled.params)
        else:
            sql, params = f"SELECT p.id FROM papers p WHERE {compiled.where}", compiled.params
        found = {row[0] for row in self._conn.execute(sql, params)}
        return [paper_id for paper_id in self._papers if paper_id in found]

    def reasons(self, query: Node, paper_id: str, today: date) -> tuple[str, ...]:
        """In words, the parts of `query` that candidate `paper_id` meets: `"diffusion" in the title`,
        `upvotes 42 (>= 10)`. Parts under a NOT are left out: they matched by being absent."""
        paper = self._papers[paper_id]
        return tuple(reason for leaf in positive_leaves(query) if (reason := self._reason(leaf, paper, today)))

    def _reason(self, leaf: Node, paper: Paper, today: date) -> str | None:
        if isinstance(leaf, Term | Phrase):
            fields = [leaf.field] if leaf.field is not None else list(TextField)
            where = [
                _FIELD_WORDS[field]
                for field in fields
                if self._has(type(leaf)(leaf.text, leaf.prefix, field), self._pks[paper.id])
            ]
            shown = f'"{leaf.text}"' + ("*" if leaf.prefix else "")
            return f"{shown} in the {', '.join(where)}" if where else None
        if paper.id not in self.matching(leaf, today):
            return None
        match leaf:
            case Match(MatchField.ORG, _):
                return f"organisation {paper.organization}"
            case Match(MatchField.CATEGORY, value):
                return f"category {value}"
            case Match(MatchField.ID, value):
                return f"id {value}"
            case Match(MatchField.CODE, value):
                return "has code" if value == "yes" else "has no code"
            case Compare(count, op, value):
                return f"{count.value} {_count(paper, count)} ({op.value} {value})"
            case DateLimit(bound, _, _):
                day = self._day(paper.id)
                return f"dated {day}" + (" (since the limit)" if bound is Bound.SINCE else " (before the limit)")
        return None  # pragma: no cover

    def _has(self, leaf: Term | Phrase, pk: int) -> bool:
        expression = fts_expression(leaf)
        sql = "SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? AND rowid = ?"
        return self._conn.execute(sql, (expression, pk)).fetchone() is not None

    def _day(self, paper_id: str) -> str:
        row = self._conn.execute(f"SELECT {PAPER_DAY} FROM papers p WHERE p.id = ?", (paper_id,)).fetchone()
        return str(row[0]) if row else "unknown"


def _count(paper: Paper, count: Count) -> int:
    value = {Count.UPVOTES: paper.upvotes, Count.STARS: paper.github_stars, Count.COMMENTS: paper.comments}[count]
    return value or 0
