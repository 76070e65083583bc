"""`paperboy search QUERY`: the same search the slash command runs."""

from __future__ import annotations

import argparse

from paperboy.cli.options import positive_int
from paperboy.cli.output import hit_json, hit_text, print_json
from paperboy.config import Settings
from paperboy.models import Sort
from paperboy.query import canonical
from paperboy.service import PaperService
from paperboy.store import Store

#: options of `search` and the global ones, with whether each takes a value
_OPTIONS = {"--limit": True, "--offset": True, "--sort": True, "--config": True, "--json": False, "--verbose": False}
_SHORT_FLAGS = {"-h", "--help", "-v", "-vv", "-vvv"}


def separate_query(argv: list[str]) -> list[str]:
    """Put the words of a `search` query after `--`, so that `-video` (exclude a word) reads as query text and
    not as an unknown option: `search diffusion -video --limit 3` → `search --limit 3 -- diffusion -video`."""
    at = _command_position(argv)
    if at is None or argv[at] != "search" or "--" in argv:
        return argv
    options: list[str] = []
    words: list[str] = []
    rest = iter(argv[at + 1 :])
    for arg in rest:
        name = arg.split("=", 1)[0]
        if name in _OPTIONS:
            options.append(arg)
            if _OPTIONS[name] and "=" not in arg:
                options.append(next(rest, ""))
        elif arg in _SHORT_FLAGS:
            options.append(arg)
        else:
            words.append(arg)
    return [*argv[: at + 1], *options, "--", *words]


def _command_position(argv: list[str]) -> int | None:
    """Where the sub-command is: the first argument that is neither a global option nor its value."""
    at = 0
    while at < len(argv):
        name = argv[at].split("=", 1)[0]
        if name == "--config" and "=" not in argv[at]:
            at += 2
        elif name.startswith("-"):
            at += 1
        else:
            return at
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Search every paper seen so far."
    parser.add_argument(
        "query",
        nargs="+",
        help='the query: words (all must match), "a phrase", OR, -word, (groups), quant*, title:, author:, '
        "org:, cat:, id:, code:yes, upvotes>=N, stars>N, since:7d, before:2025-06-01",
    )
    parser.add_argument("--limit", type=positive_int, default=10, help="how many results (default 10, at most 100)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many results first (for the next page)")
    parser.add_argument(
        "--sort", choices=[s.value for s in Sort], default=Sort.RELEVANCE.value, help="order (default relevance)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    async with await Store.open(settings.database.path) as store:
        page = await PaperService(store).search(query, sort=Sort(args.sort), limit=args.limit, offset=args.offset)
    if args.json:
        print_json([hit_json(hit) for hit in page.hits])
    elif not page.hits:
        print(f"no papers match {canonical(query)}" + (" on this page" if args.offset else ""))
    else:
        first = args.offset + 1
        print("\n\n".join(hit_text(rank, hit) for rank, hit in enumerate(page.hits, first)))
        if page.has_more:
            print(f"\nmore: --offset {args.offset + len(page.hits)}")
    return 0
