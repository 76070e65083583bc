"""Ingest benchmark: N synthetic papers into a fresh database through the one upsert path (dedup + full-text
index), on SQLite and PostgreSQL side by side, with the papers in id order and shuffled.

    python bench/ingest.py [--papers 100000] [--day-size 500] [--backends sqlite,postgresql]

Papers come from bench/synthetic.py: the test corpus' words at real lengths. They arrive a "day" at a time,
as from a source, in three passes: every paper new; the same papers again with a tenth of them upvoted (the
lookback re-fetch); and the papers again from a second source with a higher version (cross-source dedup).
Each backend runs twice: papers in id order, and the same papers shuffled. Prints papers/s for each.
PostgreSQL runs on $PAPERBOY_BENCH_DATABASE_URL's server, or on a throwaway one (bench/postgres.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from postgres import bench_database, bench_server, server_version
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


async def three_passes(target: Path | str, papers: list[Paper], day_size: int) -> list[float]:
    rng = random.Random(11)
    upvoted = [replace(p, upvotes=(p.upvotes or 0) + 1) if rng.random() < 0.1 else p for p in papers]
    from_arxiv = [
        replace(p, upvotes=None, comments=None, version=2, categories=("cs.LG",), sources=frozenset({"arxiv"}))
        for p in papers
    ]
    async with await Store.open(target) as store:
        rates = [
            report("  fresh db, all new", *await ingest_in_days(store, papers, day_size), len(papers)),
            report("  re-fetch, 10% upvoted", *await ingest_in_days(store, upvoted, day_size), len(papers)),
            report("  second source, v2", *await ingest_in_days(store, from_arxiv, day_size), len(papers)),
        ]
        assert await store.papers.count() == len(papers), "dedup failed: rows were duplicated"
    return rates


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--day-size", type=int, default=500, help="papers per upsert call (one source day)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    args = parser.parse_args()

    in_order = list(synthetic_papers(args.papers))
    shuffled = in_order[:]
    random.Random(7).shuffle(shuffled)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")
    slowest: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(bench_server()) if "postgresql" in backends else ""
        if server:
            print(f"PostgreSQL {server_version(server)}")
        for backend in backends:
            for order, papers in (("id order", in_order), ("shuffled", shuffled)):
                print(f"{backend}, papers in {order}:")
                if backend == "sqlite":
                    with tempfile.TemporaryDirectory() as folder:
                        rates = await three_passes(Path(folder) / "bench.db", papers, args.day_size)
                else:
                    with bench_database(server, "paperboy_bench_ingest") as url:
                        rates = await three_passes(url, papers, args.day_size)
                slowest[f"{backend}, {order}"] = min(rates)
    for name, rate in slowest.items():
        verdict = "ok" if rate >= TARGET else "BELOW TARGET"
        print(f"slowest pass, {name}: {rate:,.0f} papers/s (target {TARGET:,}): {verdict}")
    return 0 if all(rate >= TARGET for rate in slowest.values()) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
