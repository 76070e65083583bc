"""How sightings of the same paper become one record.

A paper is seen many times: on several Daily Papers fetches (its upvotes growing), from Hugging Face and from
arXiv, as version 1 and later version 3, and sometimes twice in one response (a `v2` copy and the `v1` copy).
`merge_papers` is the single rule for two sightings; `merge_sightings` applies it to sightings made at the
same time (one response, one batch to store), where no copy is newer than another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from functools import reduce
from typing import TypeVar

from paperboy.models import Paper

T = TypeVar("T")
D = TypeVar("D", date, datetime)


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """`stored` updated with what `incoming` knows.

    - counts that change over time (upvotes, comments, GitHub stars) take the newer sighting's value when it
      has one; a source that lacks a field never erases it;
    - descriptive fields (title, abstract, authors, AI summary, links …) come from the higher version: an
      `incoming` that names a lower version than `stored` only fills what `stored` lacks; otherwise (same or
      higher version, or a version not given) the newer sighting's value wins;
    - dates of record (arXiv publication, the Daily Papers day) keep the earliest known value;
    - the highest version wins and the set of sources grows;
    - `first_seen_at` and `updated_at` are the store's business and stay as stored.
    """
    if stored.id != incoming.id:
        raise ValueError(f"cannot merge {stored.id} with {incoming.id}")
    older = incoming.version is not None and stored.version is not None and incoming.version < stored.version
    # the sighting whose descriptive fields win, and the one that only fills gaps
    first, second = (stored, incoming) if older else (incoming, stored)
    return replace(
        stored,
        title=first.title or second.title,
        abstract=first.abstract or second.abstract,
        authors=first.authors or second.authors,
        published_at=_earliest(stored.published_at, incoming.published_at),
        daily_date=_earliest(stored.daily_date, incoming.daily_date),
        upvotes=_newer(stored.upvotes, incoming.upvotes),
        comments=_newer(stored.comments, incoming.comments),
        ai_summary=_newer(second.ai_summary, first.ai_summary),
        ai_keywords=first.ai_keywords or second.ai_keywords,
        github_repo=_newer(second.github_repo, first.github_repo),
        github_stars=_newer(stored.github_stars, incoming.github_stars),
        project_page=_newer(second.project_page, first.project_page),
        organization=_newer(second.organization, first.organization),
        categories=first.categories or second.categories,
        version=_highest(stored.version, incoming.version),
        sources=stored.sources | incoming.sources,
    )


def merge_sightings(papers: Iterable[Paper]) -> list[Paper]:
    """One paper per id, in order of first sighting, from sightings made at the same time.

    They merge by `merge_papers` (so the highest version's fields win whatever the order), except the
    counts: no copy is newer than another, so each count keeps its highest value, and a stale copy listed
    after a fresh one cannot lower them.
    """
    groups: dict[str, list[Paper]] = {}
    for paper in papers:
        groups.setdefault(paper.id, []).append(paper)
    return [_merge_group(group) for group in groups.values()]


def _merge_group(group: list[Paper]) -> Paper:
    merged = reduce(merge_papers, group)
    if len(group) == 1:
        return merged
    return replace(
        merged,
        upvotes=_most(p.upvotes for p in group),
        comments=_most(p.comments for p in group),
        github_stars=_most(p.github_stars for p in group),
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


def _most(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None
