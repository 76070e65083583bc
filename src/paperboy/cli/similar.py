"""`paperboy similar ID`: the papers most like one paper, as `/papers similar` finds them."""

from __future__ import annotations

import argparse

from paperboy.cli.options import positive_int
from paperboy.cli.output import hit_json, print_json
from paperboy.cli.search import print_page
from paperboy.config import Settings
from paperboy.service import PaperService
from paperboy.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show the papers most like one paper: those sharing the most of its rarest title, keyword and abstract words."
    )
    parser.add_argument("id", help="arXiv id, e.g. 2401.12345, 2401.12345v2, hep-th/9901001, or an arXiv URL")
    parser.add_argument("--limit", type=positive_int, default=10, help="how many papers (default 10, at most 100)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many papers first (for the next page)")
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        page = await PaperService(store).similar(args.id, limit=args.limit, offset=args.offset)
    if args.json:
        print_json([hit_json(hit) for hit in page.hits])
    else:
        print_page(page, args.offset, empty=f"no papers are like {args.id} yet")
    return 0
