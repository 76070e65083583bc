"""Fetching papers from the sources into the store, a (source, day) at a time.

Each day is its own unit: stored as soon as it is fetched, so a failure later never loses what came before.
Days are fetched newest first (the newest are what digests want), and a day that fails does not stop the
others: only a source that cannot be reached at all (connection refused, unknown host) is not asked for the
remaining days of the same run, and each of those is reported as not asked, in a few words (the day that found
the source out of reach has the whole message).

A source is fetched by one process at a time, whichever processes share the database: each fetch holds the
source's lock (`fetch_turn`). A scheduled fetch that finds it held skips its round; whoever needs the papers
now (`paperboy fetch`, the fetch before a digest) waits for the other process to finish.

Before a weekly digest the fetch covers the week (`WEEK_DAYS`), not only the lookback days: a weekly digest
ranks papers up to a week old by their upvotes, and those keep changing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

from paperboy.errors import SourceError
from paperboy.models import DayReport, IngestReport
from paperboy.sources import Source, unreachable
from paperboy.store import Store
from paperboy.store.locks import SOMEONE
from paperboy.store.rows import parse_iso, utc_text

log = logging.getLogger(__name__)

DayCallback = Callable[[DayReport], None]
#: a source fetched this recently is fresh enough for a digest
FRESH_FOR = timedelta(minutes=5)
#: the days fetched before a weekly digest (UTC, up to today): the seven days before the digest's local day
#: and that day, and one more for the time zones behind UTC, whose local day may be UTC's yesterday
WEEK_DAYS = 9
#: how often a process waiting for another one's fetch of a source looks whether it has finished
TURN_POLL_SECONDS = 1.0
_FETCH_LOCK = "fetch:"


def fetch_lock(source: str) -> str:
    """The name of the lock a process holds while it fetches `source`."""
    return _FETCH_LOCK + source


def being_fetched(store: Store) -> list[str]:
    """The sources this process is fetching now, by name."""
    return sorted(name.removeprefix(_FETCH_LOCK) for name in store.locks.held() if name.startswith(_FETCH_LOCK))


@asynccontextmanager
async def fetch_turn(
    store: Store, source: str, *, on_busy: Callable[[str], None], wait: bool = False
) -> AsyncIterator[bool]:
    """Hold `source`'s fetch lock for the block (True). When another process holds it, `on_busy(holder)` is
    called once, and then the block runs at once with False, or, with `wait`, once that process has
    finished (True)."""
    told = False
    while True:
        async with store.locks.try_hold(fetch_lock(source)) as hold:
            if hold or not wait:
                if not hold:
                    on_busy(hold.holder or SOMEONE)
                yield bool(hold)
                return
            if not told:
                on_busy(hold.holder or SOMEONE)
                told = True
        await asyncio.sleep(TURN_POLL_SECONDS)


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included, oldest first."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def lookback(days: int, today: date | None = None) -> list[date]:
    """The last `days` days up to and including today (UTC)."""
    today = today or datetime.now(UTC).date()
    return days_between(today - timedelta(days=days - 1), today)


def fetch_days(lookback_days: int, today: date, *, week: bool = False) -> list[date]:
    """The days a fetch covers: the source's lookback days, or with `week` (a weekly digest is due) at least
    the `WEEK_DAYS`."""
    return lookback(max(lookback_days, WEEK_DAYS) if week else lookback_days, today)


async def ingest(store: Store, source: Source, days: Sequence[date], on_day: DayCallback | None = None) -> IngestReport:
    """Fetch and store each of `days`, newest first; a report per day, in that order."""
    reports: list[DayReport] = []
    out_of_reach: DayReport | None = None
    for day in sorted(set(days), reverse=True):
        if out_of_reach is not None:
            report = _not_asked(out_of_reach, day)
        else:
            report = await _ingest_day(store, source, day)
            if report.unreachable:
                out_of_reach = report
        reports.append(report)
        if on_day is not None:
            on_day(report)
    if any(report.error is None for report in reports):
        now = datetime.now(UTC)
        await store.markers.put(_fetched_marker(source.name), utc_text(now))
        # a span of the week's length: the fetch before a weekly digest, or a longer one (days end today)
        if days and (max(days) - min(days)).days >= WEEK_DAYS - 1:
            await store.markers.put(_fetched_marker(source.name, week=True), utc_text(now))
    return IngestReport(days=tuple(reports))


def _fetched_marker(source: str, *, week: bool = False) -> str:
    return f"fetched-week.{source}" if week else f"fetched.{source}"


async def last_fetched(store: Store, source: str) -> datetime | None:
    """When any paperboy process last fetched a day of the source (None: never)."""
    return parse_iso(await store.markers.get(_fetched_marker(source)))


async def fetched_recently(store: Store, source: str, now: datetime, *, week: bool = False) -> bool:
    """Whether the source was fetched (at least one day of it, by any paperboy process) within `FRESH_FOR`;
    with `week`, a fetch that covered the `WEEK_DAYS`."""
    last = parse_iso(await store.markers.get(_fetched_marker(source, week=week)))
    return last is not None and now - last <= FRESH_FOR


async def refresh(
    store: Store, sources: Mapping[str, Source], lookback_days: Callable[[str], int], *, week: bool = False
) -> None:
    """Fetch the lookback days of every source not fetched within `FRESH_FOR` (with `week`, for a weekly
    digest: the week's days, unless fetched so within `FRESH_FOR`), so that a digest goes out with the day's
    papers and current upvotes; a source that fails is logged and the digest goes out with what is stored. A
    source that another process is fetching now is waited for, and then not fetched again."""
    for name, source in sources.items():
        if await fetched_recently(store, name, datetime.now(UTC), week=week):
            continue

        def waiting(holder: str, name: str = name) -> None:
            log.info("%s is being fetched by %s; waiting for it before the digests", name, holder)

        async with fetch_turn(store, name, on_busy=waiting, wait=True):
            now = datetime.now(UTC)
            if await fetched_recently(store, name, now, week=week):  # by the process waited for
                continue
            report = await ingest(store, source, fetch_days(lookback_days(name), now.date(), week=week))
        counts = report.counts
        log.info("fetched %s before the digests: %d new, %d updated", name, counts.new, counts.updated)
        for failed in report.errors:
            log.warning("fetching %s for %s failed: %s; the digests use what is stored", name, failed.day, failed.error)


def _not_asked(failed: DayReport, day: date) -> DayReport:
    # short: the day that found the source out of reach says why, in full, once
    reason = f"not asked: {failed.source} unreachable"
    return DayReport(source=failed.source, day=day, error=reason, unreachable=True, asked=False)


async def _ingest_day(store: Store, source: Source, day: date) -> DayReport:
    try:
        fetched = await source.fetch_day(day)
    except SourceError as error:
        log.debug("%s %s failed: %s", source.name, day, error)
        return DayReport(source=source.name, day=day, error=str(error), unreachable=unreachable(error))
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
