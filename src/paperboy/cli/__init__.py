"""`paperboy …`: the operator's command line (DESIGN.md §3).

Exit codes: 0 success, 1 the operation failed, 2 the user's input is wrong. Every failure prints one line on
stderr; a traceback only with `-v`. Output for scripts (`--json`) is pure JSON on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Protocol

import paperboy
from paperboy.cli import db, digest, discord, doctor, fetch, paper, run, search, subscribe, subscriptions, unsubscribe
from paperboy.cli.output import tolerate_any_text
from paperboy.config import Settings, load_settings
from paperboy.errors import PaperboyError
from paperboy.log import redact_webhook_urls, setup_logging

log = logging.getLogger("paperboy")


class Command(Protocol):
    """What each sub-command module provides."""

    def add_parser(self, sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser: ...

    async def execute(self, settings: Settings, args: argparse.Namespace) -> int: ...


COMMANDS: dict[str, Command] = {
    "run": run,
    "fetch": fetch,
    "search": search,
    "paper": paper,
    "subscribe": subscribe,
    "subscriptions": subscriptions,
    "unsubscribe": unsubscribe,
    "digest": digest,
    "doctor": doctor,
    "discord": discord,
    "db": db,
}


def build_parser() -> argparse.ArgumentParser:
    # the global options are accepted before and after the sub-command; SUPPRESS keeps the sub-command's
    # parser from overwriting a value given before it with its default
    def add_globals(parser: argparse.ArgumentParser, default: object) -> None:
        parser.add_argument(
            "--config",
            metavar="PATH",
            default=default,
            help="TOML config file (default: $PAPERBOY_CONFIG, else ./config.toml if present, else built-in defaults)",
        )
        parser.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=default,
            help="more log output, and tracebacks on errors (-vv: HTTP details too)",
        )

    parser = argparse.ArgumentParser(
        prog="paperboy", description="Daily machine-learning papers for Discord and Slack channels."
    )
    parser.add_argument("--version", action="version", version=f"paperboy {paperboy.__version__}")
    add_globals(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")  # none: the help
    for name, module in COMMANDS.items():
        command = module.add_parser(sub)
        add_globals(command, argparse.SUPPRESS)
        for nested in command._actions:  # `discord sync`: the global options after the action too
            if isinstance(nested, argparse._SubParsersAction):
                for action_parser in nested.choices.values():
                    add_globals(action_parser, argparse.SUPPRESS)
        command.set_defaults(command_name=name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:  # started with standard output closed (`>&-`): what would go there goes nowhere
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process's stdout, open until it ends
    tolerate_any_text()
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader gone (`| head -1`) shows here, not as "Exception ignored" at exit
    except BrokenPipeError:
        return _reader_gone()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(search.separate_query(list(sys.argv[1:] if argv is None else argv)))
    if args.command is None:
        parser.print_help()
        return 0
    verbose = args.verbose or 0
    try:
        settings = load_settings(args.config)
        setup_logging(settings.logging.level, settings.secrets(), verbose)
        return asyncio.run(COMMANDS[args.command_name].execute(settings, args))
    except PaperboyError as error:
        if verbose:
            log.exception("details")
        _fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        raise
    except Exception as error:
        if isinstance(error, OSError) and error.errno in _OUTPUT_ERRORS:
            _fail(f"cannot write the output ({error.strerror}); check where it goes")
            return 1
        if verbose:
            log.exception("details")
        _fail(f"unexpected {type(error).__name__}: {error}; run again with -v for details, and please report it")
        return 1


#: failures to write the output that say where it goes is wrong (a full disk), not that paperboy is
_OUTPUT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _reader_gone() -> int:
    """What reads our output has stopped (`paperboy search … | head -1`): end without a word, with the code of a
    command killed by SIGPIPE as other command-line tools are. Standard output now goes nowhere, so that the
    interpreter's own flush at exit has nothing to complain about."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def _fail(message: str) -> None:
    print(f"paperboy: error: {redact_webhook_urls(message)}", file=sys.stderr)
