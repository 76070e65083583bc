"""How a `Paper` is laid out in a row of the papers table, both ways."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from paperboy.models import Paper

COLUMNS = (
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
#: a paper's day, in SQL both engines read: its Daily Papers day, else its arXiv day, else the day first seen
PAPER_DAY = "coalesce(p.daily_date, substr(p.published_at, 1, 10), substr(p.first_seen_at, 1, 10))"


def to_row(paper: Paper, *, first_seen_at: str, updated_at: str) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        _json_list(paper.authors),
        iso(paper.published_at),
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


def from_row(row: Sequence[Any]) -> Paper:
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
    ) = row[: len(COLUMNS)]
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        authors=tuple(json.loads(authors)),
        published_at=parse_iso(published_at),
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
        first_seen_at=parse_iso(first_seen_at),
        updated_at=parse_iso(updated_at),
    )


# json.dumps with options builds a new encoder per call; upsert encodes four lists a row
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _json_list(items: Sequence[str]) -> str:
    return _encode_json(items)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def utc_text(moment: datetime) -> str:
    """`2025-01-16T08:30:00Z`: UTC, to the second, so that text order is time order."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
