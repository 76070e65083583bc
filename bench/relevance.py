"""Relevance benchmark: how well search ranks what people look for, on the shipped corpus of 203 real papers.

    python bench/relevance.py [--backends sqlite[,postgresql]] [--set NAME=VALUE ...] [--experiments] [--topics]

Builds a store from tests/data/papers.json (SQLite in a temporary folder; PostgreSQL too when --backends names
it, in a throwaway database on $PAPERBOY_BENCH_DATABASE_URL's server or on a server of its own: bench/postgres.py)
and runs the judged queries of tests/relevance.py through `PaperService.search`: known items by 3 title words
and by 2 abstract words (a deterministic rule), and a dozen topics graded by hand (tests/data/relevance.json).
Prints hits@1, hits@3, MRR, nDCG@10 and nDCG@20 per query set, for the shipped ranking and for plain bm25
beside it (SQLite FTS5's bm25 over the same index, every column alike, no boosts).

`--set TITLE_WEIGHT=3` changes a constant of `paperboy.store.ranking` for this run (an experiment, not the
product); `--experiments` adds the experiments recorded in bench/README.md as more rows; `--topics` prints
nDCG@10 and nDCG@20 for each topic under each ranking.
tests/store/test_relevance.py holds floors on the shipped ranking's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from postgres import URL_VARIABLE, bench_database, bench_server, server_version

from paperboy.query import parse
from paperboy.store import Store, ranking
from paperboy.store.rows import COLUMNS, PAPER_DAY
from paperboy.store.sqlite.migrations import MIGRATIONS
from paperboy.store.sqlite.search import fts_expression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.relevance import (
    DEPTH,
    SETS,
    TODAY,
    Ranker,
    by_set,
    fill,
    judged_queries,
    plain_bm25,
    ranked,
    scores,
    shipped,
)

#: the experiments of bench/README.md: a name and the ranking constants it changes
EXPERIMENTS: dict[str, dict[str, float]] = {
    "title weight 3": {"TITLE_WEIGHT": 3.0},
    "broad mode forced": {"BM25_MAX_PAPERS": 0},
    "no partial matches": {"PARTIAL_SHARE": 1.0},
    "no exact-form bonus": {"EXACT_BONUS": 0.0},
}


def broad_bm25(store: Store) -> Ranker:
    """A sketch of issue 15's fix for broad searches, measured here before anyone builds it (SQLite only): the
    newest `ranking.CANDIDATES` matches, as broad mode takes them, copied into a scratch in-memory index and
    ranked there by the shipped bm25 and boosts. bm25's word rarity is then counted among the candidates, not
    in the whole store."""
    columns = ", ".join(COLUMNS)
    newest = (
        f"SELECT {columns} FROM papers WHERE pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
        f"ORDER BY rowid DESC LIMIT {ranking.CANDIDATES})"
    )
    ranked = (
        f"SELECT p.id FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ? "
        f"ORDER BY {ranking.bm25('papers_fts')} * {ranking.boosts('p.upvotes', PAPER_DAY, '?')} DESC, p.pk DESC "
        f"LIMIT {DEPTH}"
    )

    async def rank(text: str) -> list[str]:
        expression = fts_expression(parse(text))
        if expression is None:
            return []
        rows = await store.db.fetchall(newest, (expression,))
        with contextlib.closing(sqlite3.connect(":memory:")) as scratch:
            for migration in MIGRATIONS:
                scratch.executescript(migration.script)
            scratch.executemany(f"INSERT INTO papers ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
            scratch.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
            return [str(row[0]) for row in scratch.execute(ranked, (expression, TODAY.isoformat()))]

    return rank


@contextlib.contextmanager
def constants(changes: dict[str, float]) -> Iterator[None]:
    """`paperboy.store.ranking` with `changes` made for the block, then as it was."""
    before = {name: getattr(ranking, name) for name in changes}
    for name, value in changes.items():
        setattr(ranking, name, type(before[name])(value))
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(ranking, name, value)


def parse_set(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    if not hasattr(ranking, name) or not value:
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=VALUE with a constant of paperboy.store.ranking")
    return name, float(value)


#: a ranking's results for every judged query, by the ranking's name
Results = dict[str, list[list[str]]]


async def run(target: Path | str, variants: dict[str, dict[str, float]], *, bm25: bool, experiments: bool) -> Results:
    """Each variant's results, on a store at `target` filled with the corpus; plain bm25's too if `bm25` (SQLite),
    and with `experiments` the sketch of bm25 for broad searches (`broad_bm25`)."""
    judged = judged_queries()
    results: Results = {}
    async with await Store.open(target) as store:
        await fill(store)
        for name, changes in variants.items():
            with constants(changes):
                results[name] = await ranked(shipped(store), judged)
        if bm25 and experiments:
            results["broad mode, bm25 on a scratch index"] = await ranked(broad_bm25(store), judged)
        if bm25:
            results["plain bm25"] = await ranked(plain_bm25(store), judged)
    return results


def table(results: Results) -> list[str]:
    """The scores of each query set under each ranking, as a Markdown table."""
    judged = judged_queries()
    scored = {name: by_set(found, judged) for name, found in results.items()}
    lines = [
        "| queries | ranking | hits@1 | hits@3 | MRR | nDCG@10 | nDCG@20 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in SETS:
        for ranking_name, sets in scored.items():
            s = sets[name]
            figures = " | ".join(f"{v:.3f}" for v in (s.hits1, s.hits3, s.mrr, s.ndcg10, s.ndcg20))
            lines.append(f"| {name} ({s.queries}) | {ranking_name} | {figures} |")
    return lines


def topics_table(results: Results) -> list[str]:
    """nDCG@10 and nDCG@20 of each topical query under each ranking, as a Markdown table."""
    judged = judged_queries()
    names = [f"{name} @{depth}" for name in results for depth in (10, 20)]
    lines = ["| topic | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, query in enumerate(judged):
        if query.set == "topical":
            found = [scores([ranked[i]], [query]) for ranked in results.values()]
            figures = " | ".join(f"{s.ndcg10:.3f} | {s.ndcg20:.3f}" for s in found)
            lines.append(f"| {query.text} | {figures} |")
    return lines


def report(title: str, results: Results, topics: bool) -> None:
    print(title)
    print("\n".join(table(results)))
    if topics:
        print("nDCG@10 and nDCG@20 by topic:")
        print("\n".join(topics_table(results)))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "sqlite,postgresql" if os.environ.get(URL_VARIABLE) else "sqlite"
    parser.add_argument("--backends", default=default, help=f"comma-separated: sqlite, postgresql (default {default})")
    parser.add_argument("--set", type=parse_set, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--experiments", action="store_true", help="add the experiments of bench/README.md")
    parser.add_argument("--topics", action="store_true", help="also print nDCG@10 and @20 for each topical query")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    changes = dict(args.set)
    label = "shipped" + "".join(f", {n}={v:g}" for n, v in changes.items())
    variants = {label: changes} | (EXPERIMENTS if args.experiments else {})

    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {sys.platform}")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="paperboy-relevance-") as folder:
            results = await run(Path(folder) / "papers.db", variants, bm25=True, experiments=args.experiments)
        report("SQLite:", results, args.topics)
    if "postgresql" in backends:
        with bench_server() as server, bench_database(server, "paperboy_bench_relevance") as url:
            results = await run(url, variants, bm25=False, experiments=args.experiments)
            version = server_version(server)
        report(f"PostgreSQL {version}:", results, args.topics)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
