"""The `paperboy` command's entry point (and `python -m paperboy`'s). The CLI is imported here, inside the
function, so that Ctrl-C while it is still loading ends with one line instead of an import traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from paperboy.cli import main as cli_main
    except KeyboardInterrupt:
        print("paperboy: error: interrupted", file=sys.stderr)
        return 130
    return cli_main()
