"""Digest planning benchmark: 10,000 subscriptions with varied filters over a day of 500 new papers.

    python bench/digests.py [--subscriptions 10000] [--papers 500]

Times what the due-digest job does before sending anything: read the day's papers and what each channel
already had, match every filter (one scratch index, each distinct filter once), choose and rank each
channel's papers. Target: <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from synthetic import paper_day, queries, synthetic_papers

from paperboy.digest import DigestPlan, Window, plan
from paperboy.models import ChannelRef, Platform, Subscription
from paperboy.query import canonical
from paperboy.schedule import Schedule
from paperboy.store import Store
from paperboy.timespec import parse_timezone

TARGET_SECONDS = 2.0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=500)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")

    day = paper_day(0)
    schedule = Schedule(clock_time(9, 0), parse_timezone("UTC"), frozenset(range(7)))
    texts = [canonical(text) for _, text in queries(args.subscriptions, seed=5)]
    subscriptions = [
        Subscription(ChannelRef(Platform.CONSOLE, f"c{n}"), schedule, max_papers=10, filter=text, min_upvotes=n % 3)
        for n, text in enumerate(texts)
    ]
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.db") as store:
            await store.papers.upsert(list(synthetic_papers(args.papers)), now=datetime(2021, 1, 1, 12, tzinfo=UTC))
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                windows = [Window(s, day, since=day) for s in subscriptions]
                papers = await store.papers.dated_since(day)
                delivered = await store.ledger.delivered((s.ref for s in subscriptions), [p.id for p in papers])
                plans = await plan(windows, papers, delivered)
                runs.append(time.perf_counter() - started)
    chosen = [p for p in plans if isinstance(p, DigestPlan)]
    best = sorted(runs)[len(runs) // 2]
    print(
        f"{len(subscriptions):,} subscriptions ({len(set(texts)):,} distinct filters), {len(papers)} papers: "
        f"median of {len(runs)} runs {best * 1000:.0f} ms; {sum(len(p.paper_ids) for p in chosen):,} papers chosen, "
        f"{sum(1 for p in chosen if not p.paper_ids):,} empty digests, {len(plans) - len(chosen)} filters failed"
    )
    ok = best <= TARGET_SECONDS
    print(f"target <= {TARGET_SECONDS:.0f} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
