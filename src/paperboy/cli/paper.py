"""`paperboy paper ID`: one paper in full."""

from __future__ import annotations

import argparse

from paperboy.cli.output import paper_json, paper_text, print_json
from paperboy.config import Settings
from paperboy.service import PaperService
from paperboy.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Show one paper by arXiv id."
    parser.add_argument("id", help="arXiv id, e.g. 2401.12345, 2401.12345v2, hep-th/9901001, or an arXiv URL")
    parser.add_argument("--json", action="store_true", help="print a JSON object for scripts")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        paper = await PaperService(store).paper(args.id)
    if args.json:
        print_json(paper_json(paper))
    else:
        print(paper_text(paper))
    return 0
