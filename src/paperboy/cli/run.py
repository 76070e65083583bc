"""`paperboy run`: fetch on schedule, send digests, answer Discord and Slack, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
from dataclasses import replace

from paperboy.config import Settings
from paperboy.errors import UserInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Fetch every enabled source on its interval, send digests when they are due, and answer "
        "Discord and Slack (whichever are configured), until SIGINT or SIGTERM."
    )
    parser.add_argument(
        "--health-port",
        type=int,
        metavar="PORT",
        help="serve /healthz and /metrics on this port (overrides health.port; 0: off)",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    if args.health_port is not None:
        if not 0 <= args.health_port <= 65535:
            raise UserInputError(f"--health-port must be between 0 and 65535, not {args.health_port}")
        settings = replace(settings, health=replace(settings.health, port=args.health_port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        # imported once a stop is ours to handle: a Ctrl-C while the platforms' SDKs load is a stop while
        # starting, not an interrupt that leaves half-opened connections behind
        from paperboy.app import serve
        from paperboy.health import HealthPortUnavailable

        try:
            await serve(settings, stop)
        except HealthPortUnavailable as error:
            if args.health_port is None:
                raise
            raise error.given_by("--health-port") from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
