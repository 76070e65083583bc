"""Digest planning benchmark: 10,000 subscriptions with varied filters over a day of 500 new papers.

    python bench/digests.py [--subscriptions 10000] [--papers 500] [--voters 10000] [--votes 30]

Times what the due-digest job does before sending anything: read the day's papers and what each channel
already had, match every filter (one scratch index, each distinct filter once), choose and rank each
channel's papers. With `--voters N`, the first N channels have `--votes` votes each (by 5 members, on papers
of the week before) and so a taste profile (built before the timing, as votes keep it up to date), and planning
also reads the profiles, the candidates' vectors and orders each channel by its taste (`learning.py`), as
`Planner.choose` does; its first run makes and stores the day's vectors (printed apart). Target: <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from synthetic import PER_DAY, paper_day, paper_id, queries, synthetic_papers

from paperboy.digest import DigestPlan, Window, plan
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Platform, Subscription
from paperboy.query import canonical
from paperboy.schedule import Schedule
from paperboy.store import Store
from paperboy.store.taste import REBUILD_MARKER
from paperboy.timespec import parse_timezone

TARGET_SECONDS = 2.0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--voters", type=int, default=0, help="channels with votes (and taste on)")
    parser.add_argument("--votes", type=int, default=30, help="votes of each of those channels")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")

    schedule = Schedule(clock_time(9, 0), parse_timezone("UTC"), frozenset(range(7)))
    texts = [canonical(text) for _, text in queries(args.subscriptions, seed=5)]
    subscriptions = [
        Subscription(ChannelRef(Platform.CONSOLE, f"c{n}"), schedule, max_papers=10, filter=text, min_upvotes=n % 3)
        for n, text in enumerate(texts)
    ]
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.db") as store:
            week = 7 * PER_DAY if args.voters else 0  # the week before, voted on
            fresh = list(synthetic_papers(args.papers, start=week))
            await store.papers.upsert(list(synthetic_papers(week)) + fresh, now=datetime(2021, 1, 1, 12, tzinfo=UTC))
            day = paper_day(week)
            now = datetime.combine(day, clock_time(9, 0), UTC)
            learner = Learner(store, FixedClock(now))
            if args.voters:
                await add_votes(store, subscriptions[: args.voters], args.votes, week)
                started = time.perf_counter()
                await store.markers.put(REBUILD_MARKER, "1")  # the profiles, from the votes (not timed)
                await learner.rebuild_pending()
                print(f"{args.voters:,} profiles built from the votes in {time.perf_counter() - started:.1f} s")
            runs, plain = [], []
            for _ in range(3):
                for taste, timed in ((False, plain), (True, runs)) if args.voters else ((False, runs),):
                    started = time.perf_counter()
                    windows = [Window(s, day, since=day) for s in subscriptions]
                    papers = await store.papers.dated_since(day)
                    delivered = await store.ledger.delivered((s.ref for s in subscriptions), [p.id for p in papers])
                    tastes = await learner.tastes(subscriptions, papers) if taste else None
                    plans = await plan(windows, papers, delivered, tastes)
                    timed.append(time.perf_counter() - started)
    chosen = [p for p in plans if isinstance(p, DigestPlan)]
    if args.voters:
        print(f"{args.voters:,} channels with {args.votes} votes each, on {7 * PER_DAY:,} papers of the week before")
        print(f"first run (making the day's {len(papers)} vectors): {runs[0] * 1000:.0f} ms")
        print(f"the same planning without taste: median {sorted(plain)[1] * 1000:.0f} ms")
    best = sorted(runs)[len(runs) // 2]
    print(
        f"{len(subscriptions):,} subscriptions ({len(set(texts)):,} distinct filters), {len(papers)} papers: "
        f"median of {len(runs)} runs {best * 1000:.0f} ms; {sum(len(p.paper_ids) for p in chosen):,} papers chosen, "
        f"{sum(1 for p in chosen if not p.paper_ids):,} empty digests, {len(plans) - len(chosen)} filters failed"
    )
    ok = best <= TARGET_SECONDS
    print(f"target <= {TARGET_SECONDS:.0f} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


class FixedClock:
    """The moment of the digests, for the learner."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


async def add_votes(store: Store, subscriptions: list[Subscription], each: int, papers: int) -> None:
    """`each` votes per channel, by 5 members, on papers among the first `papers`: three in four 👍."""
    rng = random.Random(11)
    rows = []
    for s in subscriptions:
        # a channel's votes cluster on a few hundred papers, as a group's interest would
        start = rng.randrange(max(papers - 300, 1))
        for n in rng.sample(range(start, min(start + 300, papers)), min(each, 300)):
            rating = 1 if rng.random() < 0.75 else -1
            at = f"{paper_day(n)}T12:00:00Z"
            rows.append((s.ref.platform.value, s.ref.workspace, s.ref.channel, paper_id(n), f"U{n % 5}", rating, at))
    await store.db.executemany(
        "INSERT INTO votes (platform, workspace, channel, paper_id, member, rating, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
