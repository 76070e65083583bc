"""How two sightings of the same paper become one record.

A paper is seen many times: on several Daily Papers fetches (its upvotes growing), from Hugging Face and from
arXiv, as version 1 and later version 3. `merge_papers` is the single rule for all of them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from paperboy.models import Paper

T = TypeVar("T")
D = TypeVar("D", date, datetime)


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """`stored` updated with what `incoming` knows.

    - counts that change over time (upvotes, comments, GitHub stars) and descriptive fields take the newer
      sighting's value when it has one; a source that lacks a field never erases it;
    - dates of record (arXiv publication, the Daily Papers day) keep the earliest known value;
    - the highest version wins and the set of sources grows;
    - `first_seen_at` and `updated_at` are the store's business and stay as stored.
    """
    if stored.id != incoming.id:
        raise ValueError(f"cannot merge {stored.id} with {incoming.id}")
    return replace(
        stored,
        title=incoming.title or stored.title,
        abstract=incoming.abstract or stored.abstract,
        authors=incoming.authors or stored.authors,
        published_at=_earliest(stored.published_at, incoming.published_at),
        daily_date=_earliest(stored.daily_date, incoming.daily_date),
        upvotes=_newer(stored.upvotes, incoming.upvotes),
        comments=_newer(stored.comments, incoming.comments),
        ai_summary=_newer(stored.ai_summary, incoming.ai_summary),
        ai_keywords=incoming.ai_keywords or stored.ai_keywords,
        github_repo=_newer(stored.github_repo, incoming.github_repo),
        github_stars=_newer(stored.github_stars, incoming.github_stars),
        project_page=_newer(stored.project_page, incoming.project_page),
        organization=_newer(stored.organization, incoming.organization),
        categories=incoming.categories or stored.categories,
        version=_highest(stored.version, incoming.version),
        sources=stored.sources | incoming.sources,
    )


def _newer(stored: T | None, incoming: T | None) -> T | None:
    return stored if incoming is None else incoming


def _earliest(a: D | None, b: D | None) -> D | None:
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def _highest(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)
