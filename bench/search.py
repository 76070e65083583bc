"""Search benchmark: latency of `PaperService.search` (top 10) on 1,000,000 synthetic papers, on SQLite and
PostgreSQL side by side, next to what a small script would do (read every row and count words in Python).

    python bench/search.py [--papers 1000000] [--db bench/.data/search-1000000.db] [--queries 210]
                           [--backends sqlite,postgresql]

The SQLite database is built once (a few minutes) and kept for later runs. PostgreSQL's is built in the database
`paperboy_bench_search_N` on $PAPERBOY_BENCH_DATABASE_URL's server and kept there, or on a throwaway server
(bench/postgres.py), built again each run. Queries are drawn from the corpus'
content words with their real frequencies: 1–4 words, phrases, OR, exclusions and field filters. Prints
p50/p90/p99 over every query (targets: p50 <= 10 ms, p99 <= 50 ms), the slowest queries, and the query plan
of the slowest.

    python bench/search.py --similar [--papers N] [--queries 210] …

measures `PaperService.similar` (the papers like one paper, top 10) instead, for papers spread over the whole
table (target p99 <= 50 ms), and prints how many words each search was given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from postgres import URL_VARIABLE, bench_database, bench_server, server_version
from synthetic import paper_day, paper_id, queries, synthetic_papers

from paperboy.models import Sort
from paperboy.query import parse
from paperboy.service import PaperService
from paperboy.store import Store, similarity

HERE = Path(__file__).resolve().parent


async def build(db: Path | str, count: int) -> None:
    if isinstance(db, Path):
        db.parent.mkdir(parents=True, exist_ok=True)
    async with await Store.open(db) as store:
        have = await store.papers.count()
        if have == count:
            return
        if have:
            raise SystemExit(f"{db} holds {have} papers, not {count}; delete it or pass another --db")
        started = time.perf_counter()
        chunk = 10_000
        for start in range(0, count, chunk):
            await store.papers.upsert(list(synthetic_papers(min(chunk, count - start), start=start)))
            if (start + chunk) % 100_000 == 0:
                print(f"  built {start + chunk:,} papers in {time.perf_counter() - started:.0f} s", flush=True)
        if not isinstance(db, Path):
            # the planner's statistics, as autovacuum would have made them by the time anyone searches (similar
            # papers read the commonest words from them)
            await store.vacuum()


async def measure(
    db: Path | str, cases: list[tuple[str, str]], today: date, similar: bool = False
) -> list[tuple[float, str, str]]:
    """Each case's time: a search for its text, or with `similar` the papers like the paper it names."""
    async with await Store.open(db) as store:
        # the benchmark's today is the newest papers' day, so that since:30d means the last 30 days of them
        service = PaperService(store, today=lambda: today)
        ask = service.similar if similar else service.search
        for _, text in cases[:20]:  # warm the page cache
            await ask(text)
        timings = []
        for kind, text in cases:
            started = time.perf_counter()
            await ask(text, limit=10)
            timings.append(((time.perf_counter() - started) * 1000, kind, text))
    return timings


async def plan(db: Path | str, text: str, today: date) -> list[str]:
    async with await Store.open(db) as store:
        return await store.papers.query_plan(parse(text), sort=Sort.RELEVANCE, today=today)


def similar_cases(papers: int, n: int) -> list[tuple[str, str]]:
    """`n` papers spread evenly over the table, oldest to newest (each a case of kind "similar")."""
    step = max(1, papers // n)
    return [("similar", paper_id(k)) for k in range(step // 2, papers, step)][:n]


def naive_search(db: Path, text: str) -> list[str]:
    """What a small script does: read every paper, count the query's words in title and abstract, keep the best."""
    words = [w.lower() for w in re.findall(r"\w+", text) if w not in ("OR",)]
    best: list[tuple[int, str]] = []
    with sqlite3.connect(db) as conn:
        for paper_id, title, abstract in conn.execute("SELECT id, title, abstract FROM papers"):
            title, abstract = title.lower(), abstract.lower()
            if all(w in title or w in abstract for w in words):
                score = sum(10 * title.count(w) + abstract.count(w) for w in words)
                heapq.heappush(best, (score, paper_id))
                if len(best) > 10:
                    heapq.heappop(best)
    return [paper_id for _, paper_id in sorted(best, reverse=True)]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--queries", type=int, default=210)
    parser.add_argument("--naive", type=int, default=12, help="queries to run the naive baseline on")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--similar", action="store_true", help="measure similar papers (`paperboy similar`) instead")
    args = parser.parse_args()
    db = args.db or HERE / ".data" / f"search-{args.papers}.db"
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")
    cases = similar_cases(args.papers, args.queries) if args.similar else queries(args.queries)
    verdicts = []
    if "sqlite" in backends:
        print(f"SQLite: {db} ({args.papers:,} papers)")
        await build(db, args.papers)
        timings = await measure(db, cases, paper_day(args.papers - 1), args.similar)
        verdicts.append(await summarise(db, timings, paper_day(args.papers - 1), similar=args.similar))
        if not args.similar:
            await compare_with_naive(db, cases, timings, args.naive)
    if "postgresql" in backends:
        keep = bool(os.environ.get(URL_VARIABLE))
        with bench_server() as server, contextlib.ExitStack() as stack:
            name = f"paperboy_bench_search_{args.papers}"
            url = urlsplit(server)._replace(path=f"/{name}").geturl()
            if keep:
                with psycopg.connect(server, autocommit=True) as admin:
                    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            else:
                url = stack.enter_context(bench_database(server, name))
            print(f"PostgreSQL {server_version(server)}: {name} ({args.papers:,} papers)")
            started = time.perf_counter()
            await build(url, args.papers)
            print(f"  ready in {time.perf_counter() - started:.0f} s")
            timings = await measure(url, cases, paper_day(args.papers - 1), args.similar)
            verdicts.append(await summarise(url, timings, paper_day(args.papers - 1), similar=args.similar))
    ok = all(verdicts)
    targets = "p99 <= 50 ms" if args.similar else "p50 <= 10 ms, p99 <= 50 ms"
    print(f"targets {targets} on every backend: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


async def summarise(db: Path | str, timings: list[tuple[float, str, str]], today: date, similar: bool = False) -> bool:
    """Print the percentiles, the slowest queries and the plan of the slowest (for similar papers, the words
    the slowest searched for); whether the targets were met."""
    values = [t for t, _, _ in timings]
    p50, p90, p99 = (percentile(values, q) for q in (50, 90, 99))
    print(
        f"  {len(values)} queries, top 10: p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(values):.1f} ms"
    )
    by_kind: dict[str, list[float]] = {}
    for value, kind, _ in timings:
        by_kind.setdefault(kind, []).append(value)
    print("  by kind (median ms): " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in by_kind.items()))
    print("  slowest:")
    for value, kind, text in sorted(timings, reverse=True)[:5]:
        print(f"    {value:7.1f} ms  {kind:<11} {text}")
    slowest = max(timings)[2]
    if similar:
        print(f"  words of the slowest ({slowest}): {' '.join(await similar_words(db, slowest))}")
        return p99 <= 50
    print(f"  plan of the slowest ({slowest}):")
    for line in await plan(db, slowest, today):
        print(f"    {line}")
    return p50 <= 10 and p99 <= 50


async def similar_words(db: Path | str, paper: str) -> list[str]:
    """The words `similar` searches for, each with the papers holding it (`+`: more than it counts)."""
    async with await Store.open(db) as store:
        words = await store.db.index.words(store.db, paper) or []
        top = await store.db.fetchone("SELECT max(pk) FROM papers")
        chosen = similarity.distinctive(words, int(top[0]) if top and top[0] else 0)
    return [f"{w.query}({w.papers}{'+' if w.papers > similarity.MAX_PAPERS else ''})" for w in chosen]


async def compare_with_naive(
    db: Path, cases: list[tuple[str, str]], timings: list[tuple[float, str, str]], n: int
) -> None:
    sample = cases[:: max(1, len(cases) // n)][:n] if n else []
    naive_times, ours = [], []
    for _, text in sample:
        started = time.perf_counter()
        await asyncio.to_thread(naive_search, db, text)
        naive_times.append((time.perf_counter() - started) * 1000)
        ours.append(next(t for t, _, q in timings if q == text))
    if sample:
        ratio = statistics.median(naive_times) / statistics.median(ours)
        print(
            f"  naive Python scan, same {len(sample)} queries: median {statistics.median(naive_times):.0f} ms "
            f"vs {statistics.median(ours):.1f} ms: {ratio:,.0f}x faster"
        )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
