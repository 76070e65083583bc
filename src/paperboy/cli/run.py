"""`paperboy run`: fetch on schedule (and, in later versions, serve chat platforms) until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from paperboy.app import serve
from paperboy.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    return sub.add_parser(
        "run",
        help="run everything configured until stopped",
        description="Fetch every enabled source now and then on its interval, until SIGINT or SIGTERM.",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await serve(settings, stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
