"""Taste benchmark: does a channel's digest learn what its members like? Precision@5 a day, for 20 days.

    python bench/taste.py [--channels 30] [--fillers 15] [--seeds 7] [--weight 1] [--days]

Simulated channels with a hidden interest (3 of the 13 hand-graded topics of tests/data/relevance.json) get a
digest of 5 a day from a stream of the corpus' 203 real papers (about 10 a day) and `--fillers` papers a day
about other subjects; simulated members vote with noise on what each digest shows (tests/taste_simulation.py
says exactly how). Reported: mean precision@5 over days 11-20 in upvote order (paperboy before taste) and with
taste, and the ceiling (a perfect order). Goal: taste at least twice the upvote order's.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.taste_simulation import DAYS, JUDGED_FROM, Outcome, simulate

GOAL = 2.0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=30)
    parser.add_argument("--fillers", type=int, default=15, help="papers a day about none of the topics")
    parser.add_argument("--seeds", default="7", help="comma-separated seeds (papers' order, upvotes, channels)")
    parser.add_argument("--weight", type=float, default=1.0, help="the channels' taste weight")
    parser.add_argument("--days", action="store_true", help="print precision@5 of each day")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {sys.platform}")
    ok = True
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        outcome = await simulate(args.channels, args.fillers, seed, args.weight)
        took = time.perf_counter() - started
        ok &= report(outcome, seed, args, took)
    return 0 if ok else 1


def report(outcome: Outcome, seed: int, args: argparse.Namespace, took: float) -> bool:
    upvotes, taste, ceiling = (outcome.judged(arm) for arm in ("upvotes", "taste", "ceiling"))
    ratio = taste / upvotes if upvotes else float("inf")
    print(
        f"seed {seed}: {outcome.channels} channels, {outcome.papers} papers over {DAYS} days, {outcome.votes:,} votes, "
        f"weight {args.weight:g}, {took:.1f} s. precision@5 on days {JUDGED_FROM + 1}-{DAYS}: upvote order "
        f"{upvotes:.3f}, taste {taste:.3f} ({ratio:.2f}x), ceiling {ceiling:.3f}: "
        f"{'ok' if ratio >= GOAL else 'MISSED'} (goal >= {GOAL:g}x)"
    )
    if args.days:
        print("| day | upvote order | taste | ceiling |\n|---|---|---|---|")
        for day in outcome.days:
            print(f"| {day.day} | {day.upvotes:.3f} | {day.taste:.3f} | {day.ceiling:.3f} |")
    return ratio >= GOAL


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
