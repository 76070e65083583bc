"""`paperboy subscriptions`: every subscribed channel, its schedule, filter and state."""

from __future__ import annotations

import argparse
from typing import Any

from paperboy.cli.output import print_json
from paperboy.config import Settings
from paperboy.models import Platform, Subscription
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService, describe
from paperboy.timespec import format_days


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List every subscribed channel with its schedule, filter and state: paused or with a problem, and why."
    )
    parser.add_argument("--platform", choices=[p.value for p in Platform], help="only this platform's channels")
    parser.add_argument("--json", action="store_true", help="print a JSON array for scripts")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    platform = Platform(args.platform) if args.platform else None
    async with await Store.open(settings.database.target) as store:
        subscriptions = await SubscriptionService(store, settings.digest).list(platform)
    if args.json:
        print_json([_json(s) for s in subscriptions])
    elif not subscriptions:
        print("no channel is subscribed; add one with paperboy subscribe")
    else:
        print("\n".join(describe(s) for s in subscriptions))
    return 0


def _json(s: Subscription) -> dict[str, Any]:
    return {
        "platform": s.ref.platform.value,
        "workspace": s.ref.workspace,
        "channel": s.ref.shown_channel,
        "filter": s.filter,
        "time": f"{s.schedule.at:%H:%M}",
        "timezone": s.schedule.timezone.key,
        "days": format_days(s.schedule.days, weekly=s.schedule.weekly),
        "max_papers": s.max_papers,
        "min_upvotes": s.min_upvotes,
        "post_empty": s.post_empty,
        "taste": s.taste,
        "taste_weight": s.taste_weight,
        "paused": s.paused_reason,
        "problem": s.last_error,
        "updated_by": s.updated_by,
        "updated_at": s.updated_at.isoformat() if s.updated_at else None,
    }
