"""Filter benchmark: 10,000 saved topic filters against a digest's 500 new papers (target: <= 1 s in all).

    python bench/filters.py [--filters 10000] [--papers 500]

Filters are drawn like the search benchmark's queries (words, phrases, OR, exclusions, fields), so many are
distinct; papers are synthetic (bench/synthetic.py). Times parsing the saved filters and matching them all,
which is what a digest run does.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import statistics
import sys
import time
from datetime import date

from synthetic import paper_day, queries, synthetic_papers

from paperboy.models import Paper
from paperboy.query import parse
from paperboy.query.ast import Node
from paperboy.store.filtering import CandidateIndex

TARGET_SECONDS = 1.0


def match_filters(filters: dict[str, Node], papers: list[Paper], today: date) -> dict[str, list[str]]:
    """For each filter, the ids of `papers` it matches; a filter several channels share runs once."""
    with CandidateIndex(papers) as index:
        by_query: dict[Node, list[str]] = {}
        for query in filters.values():
            if query not in by_query:
                by_query[query] = index.matching(query, today)
        return {key: by_query[query] for key, query in filters.items()}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")

    papers = list(synthetic_papers(args.papers, start=1_000_000))
    texts = [text for _, text in queries(args.filters, seed=11)]
    today = paper_day(1_000_000)
    print(f"{len(texts):,} filters ({len(set(texts)):,} distinct) against {len(papers)} papers of {today}")

    runs = []
    for _ in range(args.runs):
        started = time.perf_counter()
        filters = {f"channel-{n}": parse(text) for n, text in enumerate(texts)}
        parsed = time.perf_counter()
        matched = await asyncio.to_thread(match_filters, filters, papers, today)
        done = time.perf_counter()
        runs.append((done - started, parsed - started, done - parsed))
    total, parsing, matching = (statistics.median(r[i] for r in runs) for i in range(3))
    hits = sum(len(ids) for ids in matched.values())
    print(
        f"median of {args.runs}: {total * 1000:.0f} ms in all = parse {parsing * 1000:.0f} ms "
        f"+ match {matching * 1000:.0f} ms; {hits:,} (filter, paper) matches, "
        f"{sum(1 for ids in matched.values() if ids):,} filters with at least one paper"
    )
    ok = total <= TARGET_SECONDS
    print(f"target <= {TARGET_SECONDS:.0f} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
