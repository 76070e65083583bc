"""Ingest benchmark: N synthetic papers into a fresh database through the one upsert path (dedup + FTS5).

    python bench/ingest.py [--papers 100000] [--day-size 500]

Papers come from bench/synthetic.py: the test corpus' words at real lengths. They arrive a "day" at a time,
as from a source, in three passes: every paper new; the same papers again with a tenth of them upvoted (the
lookback re-fetch); and the papers again from a second source with a higher version (cross-source dedup).
Prints papers/s for each.
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
from dataclasses import replace
from pathlib import Path

from synthetic import synthetic_papers

from paperboy.models import Paper, UpsertCounts
from paperboy.store import Store

TARGET = 20_000


async def ingest_in_days(store: Store, papers: list[Paper], day_size: int) -> tuple[float, UpsertCounts]:
    started = time.perf_counter()
    counts = UpsertCounts()
    for start in range(0, len(papers), day_size):
        counts = counts + await store.papers.upsert(papers[start : start + day_size])
    return time.perf_counter() - started, counts


def report(label: str, seconds: float, counts: UpsertCounts, total: int) -> float:
    rate = total / seconds
    print(
        f"{label:<28}{total:>8} papers in {seconds:6.2f} s = {rate:>8,.0f} papers/s "
        f"({counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged)"
    )
    return rate


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--day-size", type=int, default=500, help="papers per upsert call (one source day)")
    args = parser.parse_args()

    papers = list(synthetic_papers(args.papers))
    rng = random.Random(11)
    upvoted = [replace(p, upvotes=(p.upvotes or 0) + 1) if rng.random() < 0.1 else p for p in papers]
    from_arxiv = [
        replace(p, upvotes=None, comments=None, version=2, categories=("cs.LG",), sources=frozenset({"arxiv"}))
        for p in papers
    ]
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        async with await Store.open(db) as store:
            rates = [
                report("fresh db, all new", *await ingest_in_days(store, papers, args.day_size), len(papers)),
                report("re-fetch, 10% upvoted", *await ingest_in_days(store, upvoted, args.day_size), len(papers)),
                report("second source, v2", *await ingest_in_days(store, from_arxiv, args.day_size), len(papers)),
            ]
            assert await store.papers.count() == len(papers), "dedup failed: rows were duplicated"
        print(f"database: {db.stat().st_size / 1e6:.0f} MB for {len(papers)} papers")
    slowest = min(rates)
    print(f"slowest pass: {slowest:,.0f} papers/s (target {TARGET:,}): {'ok' if slowest >= TARGET else 'BELOW TARGET'}")
    return 0 if slowest >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
