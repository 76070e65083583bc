"""Fan-out over several processes: 2,000 channels due at once, four processes sharing one PostgreSQL database,
against a fake receiver that allows 50 requests in any one second: the Discord bot API (`--kind discord`, the
bot's global rate limit), Discord webhooks (`--kind webhook`), or half each, each kind its own receiver.

    python bench/fanout_processes.py [--channels 2000] [--processes 4] [--kind discord] [--papers 100]
                                     [--limit 50] [--share 0.94] [--timeline]

The database is a new one on $PAPERBOY_BENCH_DATABASE_URL's server, or on a throwaway server (.ci/postgres).
Each worker process does what `paperboy run` does for digests: it writes its heartbeat in the process table,
builds its sinks through `paperboy.wiring` (so the Discord and webhook paces are shared by the live processes)
and runs the due digests until none is left unfinished; each claims what it sends, and takes over what the
others planned but have not started. paperboy is set to `share` of the receiver's limit
(`discord.requests_per_second`, `delivery.webhook_requests_per_second`), each process taking its part. The day
has `papers` new papers (Daily Papers has up to about 100): each digest records them all, in the digest or
left out.

Prints, for each receiver, the rate from its first request to its last (target: >= 90 % of the allowed rate),
the busiest one-second window and how many requests it refused (target: none, the limit never exceeded);
`--timeline` adds the requests of each second and each process's sends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from postgres import bench_database, bench_server, server_version
from synthetic import synthetic_papers

from paperboy.clock import OFFSET_ENV, SystemClock
from paperboy.config import DatabaseSettings, DeliverySettings, DigestSettings, DiscordSettings, Secret, Settings
from paperboy.delivery import DigestRunner, Result
from paperboy.digest import Digest
from paperboy.heartbeat import Heartbeat, Holds, beating
from paperboy.models import ChannelRef, Platform
from paperboy.sinks import Sink
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from paperboy.wiring.sinks import open_sinks

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.discord import TOKEN, FakeDiscord
from tests.fakes.rate import RateWindow
from tests.fakes.webhooks import FakeWebhooks

TARGET_SHARE = 0.90
#: the workers' clocks run ahead, so that channels subscribed for a minute from now are due at their start
OFFSET = "3m"
TIMELINE_ENV = "PAPERBOY_BENCH_TIMELINE"
WORKER_TIMEOUT_S = 600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--papers", type=int, default=100, help="the day's new papers (Daily Papers has up to ~100)")
    parser.add_argument("--limit", type=int, default=50, help="requests per second each receiver allows")
    parser.add_argument("--share", type=float, default=0.94, help="paperboy's rate setting, as a share of --limit")
    parser.add_argument(
        "--kind", choices=("discord", "webhook", "both"), default="discord",
        help="the channels: Discord bot channels, Discord webhooks, or half each (each kind its own receiver)",
    )  # fmt: skip
    parser.add_argument("--timeline", action="store_true", help="print requests a second, and each process's sends")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "DISCORD_API", "RATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, api, rate = args.worker
        return asyncio.run(worker(url, api, int(rate)))
    return asyncio.run(bench(args))


async def bench(args: argparse.Namespace) -> int:
    print(f"python {platform.python_version()}, {platform.machine()}, {sys.platform}, {os.cpu_count()} cpus")
    discord, webhooks = FakeDiscord(), FakeWebhooks(per_second=args.limit)
    discord.rate.per_second = args.limit
    await discord.start()
    await webhooks.start()
    rate = max(1, int(args.limit * args.share))
    try:
        with bench_server() as server, bench_database(server, "paperboy_bench_fanout") as url:
            print(f"PostgreSQL {server_version(url)}; {args.processes} processes, paperboy set to {rate}/s each kind")
            await prepare(url, args.channels, args.papers, webhooks, args.kind)
            started = time.perf_counter()
            results = await run_workers(url, discord.api_url, rate, args.processes, timeline=args.timeline)
            elapsed = time.perf_counter() - started
    finally:
        await discord.stop()
        await webhooks.stop()
    sent = [int(result["sent"]) for result in results]
    print(f"{sum(sent):,} of {args.channels:,} digests sent ({', '.join(map(str, sent))} by each process), "
          f"{elapsed:.1f} s with start-up and planning")  # fmt: skip
    ok = sum(sent) == args.channels
    for name, window in (("Discord bot API", discord.rate), ("Discord webhooks", webhooks.rate)):
        if window.accepted:
            ok = report(name, window, args.limit) and ok
            if args.timeline:
                print(f"  {name} requests a second:", per_second(window.times(), window.times()[0]))
    if args.timeline:
        start = min(min(result["sends"], default=0) for result in results)
        for n, result in enumerate(results):
            print(f"  process {n} sends a second:", per_second(result["sends"], start))
    print(f"target >= {TARGET_SHARE:.0%} of the allowed rate, never over the limit: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


async def prepare(url: str, channels: int, papers: int, webhooks: FakeWebhooks, kind: str) -> None:
    """`papers` papers of today, and `channels` subscriptions of `kind` due in a minute or two."""
    today = datetime.now(UTC).date()
    # two minutes ahead: subscribing takes seconds, and a channel subscribed after its time is first due tomorrow
    at = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%H:%M")
    async with await Store.open(url) as store:
        await store.papers.upsert([replace(p, daily_date=today) for p in synthetic_papers(papers)])
        service = SubscriptionService(store, DigestSettings())
        for n in range(channels):
            if kind == "webhook" or (kind == "both" and n % 2):
                ref = ChannelRef(Platform.WEBHOOK, webhooks.discord_url(str(n)))
            else:
                ref = ChannelRef(Platform.DISCORD, str(1_100_000_000_000_000_000 + n), "1000000000000000001")
            await service.subscribe(ref, by="bench", time=at, days="daily", max_papers=5)


async def run_workers(url: str, api: str, rate: int, processes: int, *, timeline: bool) -> list[dict[str, Any]]:
    """Start the worker processes together and wait for them; what each one says it did."""
    env = os.environ | {OFFSET_ENV: OFFSET} | ({TIMELINE_ENV: "1"} if timeline else {})
    with tempfile.TemporaryDirectory() as folder:
        logs = [Path(folder) / f"worker-{n}.log" for n in range(processes)]
        command = [sys.executable, __file__, "--worker", url, api, str(rate)]
        workers = []
        for log in logs:
            with log.open("wb") as stderr:
                process = await asyncio.create_subprocess_exec(
                    *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr
                )
                workers.append(process)
        results = []
        async with asyncio.timeout(WORKER_TIMEOUT_S):
            for process, log in zip(workers, logs, strict=True):
                stdout, _ = await process.communicate()
                if process.returncode != 0:
                    raise SystemExit(f"a worker failed ({process.returncode}):\n{log.read_text()[-3000:]}")
                results.append(json.loads(stdout.decode().splitlines()[-1]))
    return results


def report(name: str, window: RateWindow, limit: int) -> bool:
    first, last = window.first_and_last()
    rate = (window.accepted - 1) / (last - first)
    busiest = window.most_in_one_second()
    print(
        f"{name}: {window.accepted:,} requests, {rate:.1f}/s from the first to the last of {limit} allowed "
        f"({rate / limit:.0%}); busiest second {busiest}; refused {window.limited}"
    )
    return rate >= TARGET_SHARE * limit and busiest <= limit and window.limited == 0


def per_second(moments: list[float], start: float) -> list[int]:
    counts: list[int] = []
    for moment in moments:
        second = int(moment - start)
        counts += [0] * (second + 1 - len(counts))
        counts[second] += 1
    return counts


async def worker(url: str, api: str, rate: int) -> int:
    """One process: heartbeats in the process table, and due digests run until none is left unfinished."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(
        database=DatabaseSettings(url=Secret(url)),
        discord=DiscordSettings(token=Secret(TOKEN), api_base_url=api, requests_per_second=rate),
        delivery=DeliverySettings(webhook_requests_per_second=rate),
    )
    clock, sent, sends = SystemClock.from_env(), 0, list[float]()

    async def holds() -> Holds:
        return {}

    async with (
        await Store.open(url) as store,
        httpx.AsyncClient() as client,
        # the heartbeat `paperboy run` writes: the pace counts the live processes from these rows
        beating(Heartbeat(store, clock, holds)),
        open_sinks(settings, client, store, clock) as sinks,
    ):
        if os.environ.get(TIMELINE_ENV):
            sinks = {platform: Timed(sink, sends) for platform, sink in sinks.items()}
        runner = DigestRunner(store, sinks, clock, settings.delivery, lease=settings.database.lease)
        while True:
            sent += sum(o.result is Result.SENT for o in await runner.run_due())
            if not await unfinished(store):
                break
            # the rest is held by other processes: look again when a claim of theirs runs out (they died), as
            # `paperboy run` does, or in a second, to see whether they have finished
            lapse = await runner.next_takeover()
            wait = (lapse - clock.now()).total_seconds() if lapse else 1.0
            await asyncio.sleep(min(max(wait, 0.0), 1.0))
    print(json.dumps({"sent": sent, "sends": sends}))
    return 0


class Timed:
    """A sink that notes when each of its sends ended (monotonic clock: the same on every process here)."""

    def __init__(self, sink: Sink, ends: list[float]) -> None:
        self._sink = sink
        self._ends = ends

    async def send(self, digest: Digest) -> tuple[str, ...]:
        ids = await self._sink.send(digest)
        self._ends.append(time.monotonic())
        return ids


async def unfinished(store: Store) -> int:
    row = await store.db.fetchone("SELECT count(*) FROM digests WHERE state IN ('planned', 'sending')")
    return int(row[0]) if row else 0


if __name__ == "__main__":
    raise SystemExit(main())
