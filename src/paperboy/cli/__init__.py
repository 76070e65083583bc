"""`paperboy …`: the operator's command line. One module per sub-command (`COMMANDS`), loaded only when it
runs; the README's "Commands" section documents every command and option.

Exit codes: 0 success, 1 the operation failed, 2 the user's input is wrong. Every failure prints one line on
stderr; a traceback only with `-v`. Output for scripts (`--json`) is pure JSON on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib
import io
import logging
import os
import re
import signal
import sys
from collections.abc import Iterable, Sequence
from typing import Protocol

import paperboy
from paperboy.cli.parsing import Parser
from paperboy.config import Settings, load_settings
from paperboy.errors import PaperboyError, UserInputError
from paperboy.log import redact_webhook_urls, setup_logging

log = logging.getLogger("paperboy")


class Command(Protocol):
    """What each sub-command module provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    async def execute(self, settings: Settings, args: argparse.Namespace) -> int: ...


#: each sub-command (a module of this package) and its line in `paperboy --help`. A module is imported only
#: when its command runs or its own help is asked for: `paperboy --help` and `paperboy search` load no
#: platform SDK and start in a blink (bench/startup.py)
COMMANDS: dict[str, str] = {
    "run": "run everything configured until stopped",
    "fetch": "fetch papers now",
    "search": "search every paper seen so far",
    "paper": "show one paper",
    "similar": "show the papers most like one paper",
    "subscribe": "subscribe a channel, or change its settings",
    "subscriptions": "list subscribed channels",
    "unsubscribe": "remove a channel's subscription",
    "feed": "print a channel's Atom feed address, or give it a new one",
    "taste": "show what a channel's votes taught paperboy, or forget them",
    "digest": "send due digests now",
    "doctor": "check config, database and endpoints",
    "status": "list the paperboy processes at work on the database",
    "discord": "Discord set-up: register commands, invite URL",
    "db": "database care: backup, stats, vacuum, copy",
}


def command(name: str) -> Command:
    """The module of sub-command `name`."""
    module: Command = importlib.import_module(f"paperboy.cli.{name}")
    return module


def build_parser(only: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, the arguments of just those sub-commands (the others are listed
    with their help line, and take no arguments)."""
    loaded = set(COMMANDS if only is None else only)

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

    parser = Parser(prog="paperboy", description="Daily machine-learning papers for Discord and Slack channels.")
    parser.add_argument("--version", action="version", version=f"paperboy {paperboy.__version__}")
    add_globals(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")  # none: the help
    for name, summary in COMMANDS.items():
        parsed = sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")
        parsed.set_defaults(command_name=name)
        if name not in loaded:
            continue
        command(name).add_arguments(parsed)
        add_globals(parsed, argparse.SUPPRESS)
        for nested in parsed._actions:  # `discord sync`: the global options after the action too
            if isinstance(nested, argparse._SubParsersAction):
                for action_parser in nested.choices.values():
                    add_globals(action_parser, argparse.SUPPRESS)
    return parser


def command_position(argv: Sequence[str]) -> int | None:
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


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:  # started with standard output closed (`>&-`): what would go there goes nowhere
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process's stdout, open until it ends
    _tolerate_any_text()
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader gone (`| head -1`) shows here, not as "Exception ignored" at exit
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:  # while the command's module loads, or before its work began
        _fail("interrupted")
        return 130


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    at = command_position(given)
    name = given[at] if at is not None and given[at] in COMMANDS else None
    parser = build_parser(only=[name] if name else [])
    if name == "search":
        from paperboy.cli import search

        given = search.separate_query(given)
    args = parser.parse_args(given)
    if args.command is None:
        parser.print_help()
        return 0
    verbose = args.verbose or 0
    try:
        _refuse_undecodable(parser, args)
        settings = load_settings(args.config)
        setup_logging(settings.logging.level, settings.secrets(), verbose)
        # SIGTERM (docker stop, a timeout) stops a one-shot command as Ctrl-C does: its work unwound, its
        # heartbeat removed, one line said. `paperboy run` sets its own handlers while its loop runs.
        signal.signal(signal.SIGTERM, _terminate)
        return asyncio.run(command(args.command_name).execute(settings, args))
    except PaperboyError as error:
        if verbose:
            log.exception("details")
        _fail(str(error))
        return error.exit_code
    except Terminated:
        _fail("stopped by SIGTERM")
        return 128 + signal.SIGTERM
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


def _tolerate_any_text() -> None:
    """Standard output and error write what their encoding cannot hold (a title's π on an ASCII terminal, an
    undecodable byte shown back) as `\\u03c0` escapes, instead of the command failing half way through."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


#: arguments checked where they are used: paths may hold any bytes, and a query says at which column it is wrong
_ANY_BYTES = {"config", "path", "query", "filter"}


def _refuse_undecodable(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """An argument with a byte that is not UTF-8 (the shell passes it on as a lone surrogate) is one clear line,
    not a failure deep inside SQLite or the terminal."""
    for key, value in vars(args).items():
        texts = value if isinstance(value, list) else [value]
        if key in _ANY_BYTES or not any(isinstance(t, str) and _SURROGATE.search(t) for t in texts):
            continue
        names = [a.option_strings for p in _parsers(parser) for a in p._actions if a.dest == key]
        shown = names[0][-1] if names and names[0] else key.upper()
        raise UserInputError(f"{shown} is not valid UTF-8 (it holds an undecodable byte); retype it")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """`parser` and every sub-command parser under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


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


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while a one-shot command ran."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _fail(message: str) -> None:
    print(f"paperboy: error: {redact_webhook_urls(message)}", file=sys.stderr)
