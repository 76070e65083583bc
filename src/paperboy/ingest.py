"""Fetching papers from the sources into the store, a (source, day) at a time.

Each day is its own unit: stored as soon as it is fetched, so a failure later never loses what came before.
A source that is unreachable is not asked again for the remaining days of the same run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from paperboy.errors import SourceError
from paperboy.http import SourceUnavailable
from paperboy.models import DayReport, IngestReport
from paperboy.sources import Source
from paperboy.store import Store

log = logging.getLogger(__name__)

DayCallback = Callable[[DayReport], None]


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included, oldest first."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def lookback(days: int, today: date | None = None) -> list[date]:
    """The last `days` days up to and including today (UTC)."""
    today = today or datetime.now(UTC).date()
    return days_between(today - timedelta(days=days - 1), today)


async def ingest(store: Store, source: Source, days: Sequence[date], on_day: DayCallback | None = None) -> IngestReport:
    reports: list[DayReport] = []
    unavailable: str | None = None
    for day in days:
        if unavailable is not None:
            report = DayReport(source=source.name, day=day, error=unavailable)
        else:
            report = await _ingest_day(store, source, day)
            if report.error is not None and report.unavailable:
                unavailable = report.error
        reports.append(report)
        if on_day is not None:
            on_day(report)
    return IngestReport(days=tuple(reports))


async def _ingest_day(store: Store, source: Source, day: date) -> DayReport:
    try:
        fetched = await source.fetch_day(day)
    except SourceError as error:
        log.debug("%s %s failed: %s", source.name, day, error)
        return DayReport(
            source=source.name, day=day, error=str(error), unavailable=isinstance(error, SourceUnavailable)
        )
    counts = await store.papers.upsert(fetched.papers)
    log.debug(
        "%s %s: %d papers (%d new, %d updated, %d unchanged, %d skipped)",
        source.name,
        day,
        len(fetched.papers),
        counts.new,
        counts.updated,
        counts.unchanged,
        fetched.skipped,
    )
    return DayReport(source=source.name, day=day, counts=counts, skipped=fetched.skipped)
