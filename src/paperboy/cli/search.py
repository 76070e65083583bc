"""`paperboy search QUERY`: the same search the slash command runs."""

from __future__ import annotations

import argparse

from paperboy.cli.options import positive_int
from paperboy.cli.output import hit_text, paper_json, print_json
from paperboy.config import Settings
from paperboy.service import PaperService
from paperboy.store import Store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "search", help="search every paper seen so far", description="Search every paper seen so far."
    )
    parser.add_argument("query", nargs="+", help="words to look for; every word must match")
    parser.add_argument("--limit", type=positive_int, default=10, help="how many results (default 10, at most 100)")
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")
    return parser


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    async with await Store.open(settings.database.path) as store:
        hits = await PaperService(store).search(query, limit=args.limit)
    if args.json:
        print_json([paper_json(hit.paper) | {"score": round(hit.score, 4)} for hit in hits])
    elif not hits:
        print(f'no papers match "{query}"')
    else:
        print("\n\n".join(hit_text(rank, hit) for rank, hit in enumerate(hits, 1)))
    return 0
