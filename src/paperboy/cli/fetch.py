"""`paperboy fetch`: ingest now. A progress bar on a terminal; one line a day, and totals, on stdout."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from paperboy.cli.options import day
from paperboy.config import Settings
from paperboy.errors import SourceError, UserInputError
from paperboy.models import DayReport, IngestReport, UpsertCounts

if TYPE_CHECKING:
    from rich.progress import Progress

    from paperboy.ingest import DayCallback
    from paperboy.sources import Source
    from paperboy.store import Store

SOURCES = ("huggingface", "arxiv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Fetch papers now: one day (--date), every day since a date (--since), or the last "
        "lookback_days of each enabled source."
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=day, metavar="D", help="fetch this day only (YYYY-MM-DD, today, yesterday)")
    when.add_argument("--since", type=day, metavar="D", help="fetch every day from D to today")
    parser.add_argument("--source", choices=SOURCES, help="fetch only this source (even if not enabled in the config)")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    # imported here, not above, so that `paperboy fetch --help` answers at once
    from paperboy.http import make_client
    from paperboy.runtime import build_sources
    from paperboy.store import Store

    today = datetime.now(UTC).date()
    if args.since is not None and args.since > today:
        raise UserInputError(f"--since {args.since} is in the future; give a day up to {today}")
    async with await Store.open(settings.database.target) as store, make_client(settings.http) as client:
        sources = build_sources(settings, client, only=args.source)
        if not sources:
            raise UserInputError(
                "no source is enabled; set sources.huggingface.enabled = true in the config, or pass --source"
            )
        plans = {name: _days(settings, name, args.date, args.since) for name in sources}
        with _progress(sum(len(days) for days in plans.values())) as progress:
            task = progress.add_task("fetching", total=sum(len(days) for days in plans.values()))

            def on_day(report: DayReport) -> None:
                print(_day_line(report), flush=True)
                progress.advance(task)

            # the sources at once: one that is slow or out of reach does not hold up the other
            fetches = (_fetch(store, source, plans[name], on_day) for name, source in sources.items())
            reports = list(await asyncio.gather(*fetches))
    return _finish(reports)


async def _fetch(store: Store, source: Source, days: list[date], on_day: DayCallback) -> IngestReport:
    """Fetch the days of `source`, in turn with any other process fetching it (a running `paperboy run`)."""
    from paperboy.ingest import fetch_turn, ingest

    def waiting(holder: str) -> None:
        print(f"{source.name} is being fetched by {holder}; waiting for it to finish", file=sys.stderr, flush=True)

    async with fetch_turn(store, source.name, on_busy=waiting, wait=True):
        return await ingest(store, source, days, on_day)


def _days(settings: Settings, source: str, on: date | None, since: date | None) -> list[date]:
    from paperboy.ingest import days_between, lookback

    if on is not None:
        return [on]
    if since is not None:
        return days_between(since, datetime.now(UTC).date())
    window = settings.sources.huggingface if source == "huggingface" else settings.sources.arxiv
    return lookback(window.lookback_days)


def _progress(total: int) -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal or total < 2,
        # lines printed to stdout go above the bar only when stdout is that same terminal
        redirect_stdout=sys.stdout.isatty(),
    )


def _counts_text(counts: UpsertCounts, skipped: int) -> str:
    return f"{counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged, {skipped} skipped"


def _day_line(report: DayReport) -> str:
    if report.error is not None:
        return f"{report.source} {report.day}: {'failed: ' if report.asked else ''}{report.error}"
    counts = report.counts
    papers = counts.new + counts.updated + counts.unchanged
    if papers == 0 and report.skipped == 0:
        return f"{report.source} {report.day}: no papers for {report.day}"
    return f"{report.source} {report.day}: {papers} papers: {_counts_text(counts, report.skipped)}"


def _finish(reports: list[IngestReport]) -> int:
    days = [day for report in reports for day in report.days]
    if len(days) > 1:
        total = IngestReport(days=tuple(days))
        print(f"total: {_counts_text(total.counts, total.skipped)}")
    failed = [day for day in days if day.error is not None]
    if not failed:
        return 0
    if len(days) == 1:
        raise SourceError(f"the day could not be fetched: {failed[0].error}")
    # each day's reason is on its own line above; this line says how many and which
    raise SourceError(f"{len(failed)} of {len(days)} days could not be fetched: {_which(failed)}")


def _which(failed: list[DayReport]) -> str:
    """`huggingface 2025-01-15, 2025-01-13; arxiv 2025-01-15`: the failed days, by source."""
    by_source: dict[str, list[str]] = {}
    for report in failed:
        by_source.setdefault(report.source, []).append(report.day.isoformat())
    return "; ".join(f"{source} {', '.join(days)}" for source, days in by_source.items())
