"""`paperboy search QUERY`: the same search the slash command runs."""

from __future__ import annotations

import argparse
import re
import sys

from paperboy.cli import command_position
from paperboy.cli.options import positive_int
from paperboy.cli.output import hit_json, hit_text, print_hints, print_json, styled
from paperboy.config import Settings
from paperboy.models import SearchPage, Sort
from paperboy.query import canonical
from paperboy.service import PaperService
from paperboy.store import Store

#: the long options of `search` and the global ones, with whether each takes a value
_OPTIONS = {"--limit": True, "--offset": True, "--sort": True, "--config": True, "--json": False, "--verbose": False}
#: `-h` and `-v`, `-vv`, …: the only words with one "-" that are options; any other is an excluded word
_SHORT_FLAGS = re.compile(r"-h|-v+")


def separate_query(argv: list[str]) -> list[str]:
    """Put the words of a `search` query after `--`, so that `-video` (exclude a word) reads as query text and
    not as an unknown option: `search diffusion -video --limit 3` → `search --limit 3 -- diffusion -video`.

    What is an option keeps its meaning wherever it stands: `-h`, `-v`, and every word that starts with `--`
    (`--lim` is `--limit`, as argparse reads it; an unknown one is argparse's to refuse). A `--` of the user's
    own ends the options: all after it is query text (`search -- -h` searches for papers without "h")."""
    at = command_position(argv)
    if at is None or argv[at] != "search":
        return argv
    rest = argv[at + 1 :]
    own_end = rest.index("--") if "--" in rest else len(rest)
    options: list[str] = []
    words: list[str] = []
    before = iter(rest[:own_end])
    for arg in before:
        if arg.startswith("--") or _SHORT_FLAGS.fullmatch(arg):
            options.append(arg)
            # a missing value stays missing, for argparse to say "expected one argument"
            value = next(before, None) if _takes_a_value(arg) else None
            if value is not None:
                options.append(value)
        else:
            words.append(arg)
    return [*argv[: at + 1], *options, "--", *words, *rest[own_end + 1 :]]


def _takes_a_value(arg: str) -> bool:
    """Whether `arg` is an option whose value is the next argument: `--limit`, or `--lim` as argparse reads it."""
    if "=" in arg or _SHORT_FLAGS.fullmatch(arg):
        return False
    if arg in _OPTIONS:
        return _OPTIONS[arg]
    named = [name for name in _OPTIONS if name.startswith(arg)]
    return len(named) == 1 and _OPTIONS[named[0]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Search every paper seen so far."
    parser.epilog = (
        "A word that starts with - is left out of the results (-video), wherever it stands; the options "
        "above keep their meaning. After --, everything is query text: paperboy search diffusion -- -v finds "
        'diffusion papers without the word "v".'
    )
    parser.add_argument(
        "query",
        nargs="+",
        help='the query: words (all must match), "a phrase", a OR b (or a | b), -word (or NOT word), (groups), '
        "quant*, title:, abstract:, author:, keyword:, org:, cat:, id:, more:N (what digest N left out), "
        "code:yes|no, upvotes>=N, stars>N, comments>=N, since:7d, before:2025-06-01; an arXiv id or link alone "
        'finds that paper; the README\'s "The query language" says what each does',
    )
    parser.add_argument("--limit", type=positive_int, default=10, help="how many results (default 10, at most 100)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many results first (for the next page)")
    parser.add_argument(
        "--sort", choices=[s.value for s in Sort], default=Sort.RELEVANCE.value, help="order (default relevance)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")


def page_text(page: SearchPage, first: int, *, bold: bool) -> list[str]:
    """Each result as `hit_text` shows it, after a line announcing the partial matches that start there."""
    shown = []
    for at, hit in enumerate(page.hits):
        partial = page.divider(at)
        text = hit_text(first + at, hit, bold=bold)
        shown.append(f"-- {partial.label} --\n\n{text}" if partial is not None else text)
    return shown


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    async with await Store.open(settings.database.target) as store:
        page = await PaperService(store).search(query, sort=Sort(args.sort), limit=args.limit, offset=args.offset)
    if args.json:
        print_json([hit_json(hit) for hit in page.hits])
    else:
        print_page(page, args.offset, empty=f"no papers match {canonical(query)}")
    sys.stdout.flush()  # the answer, then what was noticed about the query (stderr is not buffered)
    print_hints(page.hints)
    return 0


def print_page(page: SearchPage, offset: int, *, empty: str) -> None:
    """A page of results as text, numbered from `offset + 1`, with the `--offset` of the next page if any;
    `empty` when there are none."""
    if not page.hits:
        print(empty + (" on this page" if offset else ""))
        return
    print("\n\n".join(page_text(page, offset + 1, bold=styled(sys.stdout))))
    if page.has_more:
        print(f"\nmore: --offset {offset + len(page.hits)}")
