"""Fan-out benchmark: digests to 2,000 webhook channels through a receiver that allows 50 requests/s.

    python bench/fanout.py [--channels 2000] [--limit 50]

The receiver is the tests' fake webhook server on 127.0.0.1, refusing (429) anything above its limit in any
one-second window. paperboy's webhook sink is set to 96 % of that limit. Prints the achieved rate (target:
>= 90 % of the allowed rate) and how many requests the receiver refused.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from synthetic import synthetic_papers

from paperboy.adapters.webhook import WebhookSink
from paperboy.config import DeliverySettings, DigestSettings
from paperboy.delivery import DigestRunner, Result
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.clock import FakeClock
from tests.fakes.webhooks import FakeWebhooks

TARGET_SHARE = 0.90


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=50, help="requests per second the receiver allows")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {sys.platform}")

    receiver = FakeWebhooks(per_second=args.limit)
    await receiver.start()
    clock = FakeClock(datetime(2021, 1, 2, 12, tzinfo=UTC))
    settings = DeliverySettings(webhook_requests_per_second=max(1, int(args.limit * 0.96)))
    try:
        with tempfile.TemporaryDirectory() as folder:
            async with await Store.open(Path(folder) / "bench.db") as store, httpx.AsyncClient() as client:
                await store.papers.upsert(list(synthetic_papers(500)))
                service = SubscriptionService(store, DigestSettings(), clock)
                for n in range(args.channels):
                    ref = ChannelRef(Platform.WEBHOOK, receiver.discord_url(str(n)))
                    await service.subscribe(ref, by="bench", max_papers=5)
                runner = DigestRunner(store, {Platform.WEBHOOK: WebhookSink(client, settings)}, clock)
                started = time.perf_counter()
                outcomes = await runner.run_now()
                elapsed = time.perf_counter() - started
    finally:
        await receiver.stop()
    sent = sum(1 for o in outcomes if o.result is Result.SENT)
    first, last = receiver.first_and_last()
    rate = (receiver.accepted - 1) / (last - first)
    print(
        f"{sent:,} of {args.channels:,} digests sent, {receiver.accepted:,} messages; "
        f"{rate:.1f} messages/s from the first to the last of {args.limit} allowed ({rate / args.limit:.0%}); "
        f"{elapsed:.1f} s with planning; receiver refused {receiver.limited} requests, "
        f"busiest second {receiver.most_in_one_second()} requests"
    )
    ok = sent == args.channels and rate >= TARGET_SHARE * args.limit and receiver.limited == 0
    print(f"target >= {TARGET_SHARE:.0%} of the allowed rate, nothing refused: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
