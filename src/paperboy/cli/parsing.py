"""The argument parser of every command: a mistake on the command line is one line on stderr, like every other
failure (`paperboy: error: …`), with where to read how the command is used, and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from paperboy.log import redact_webhook_urls

#: the exit code of input that is wrong (the README's "Exit codes")
USAGE_ERROR = 2


class Parser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` without the usage block on errors. Sub-command parsers are made of the same
    class (`add_subparsers` makes its parsers with the class of the parser it is called on)."""

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --limit: …"; the option's own name reads better at the start of the line
        said = message.removeprefix("argument ")
        # a URL typed where it was not expected may be a webhook's, with its secret
        print(f"paperboy: error: {redact_webhook_urls(said)} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(USAGE_ERROR)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but words left over are refused by the parser of the command they were given to, so
        that the hint names that command's help."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            options = all(word.startswith("-") for word in extras)
            what = ("unknown option" if options else "unexpected argument") + ("s" if len(extras) > 1 else "")
            _chosen(self, parsed).error(f"{what} {' '.join(extras)}")
        return parsed


def _chosen(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost sub-command parser that `parsed` went through (`paperboy db stats`: that of `stats`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(parsed, action.dest, None)
            if isinstance(name, str) and name in action.choices:
                return _chosen(action.choices[name], parsed)
    return parser
