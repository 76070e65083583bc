"""`paperboy subscribe`: the admin path to what `/papers subscribe` does (a second call updates)."""

from __future__ import annotations

import argparse

from paperboy.cli.options import add_channel_options, channel_ref, operator, positive_int
from paperboy.config import Settings
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService, describe


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "subscribe",
        help="subscribe a channel, or change its settings",
        description="Subscribe a channel to the daily digest, or change the settings given of its subscription.",
    )
    add_channel_options(parser)
    parser.add_argument("--filter", metavar="QUERY", help="topic filter in the query language (see the README)")
    parser.add_argument("--time", metavar="HH:MM", help="local time of the digest (default from the config)")
    parser.add_argument("--timezone", metavar="TZ", help="IANA time zone of that time, like Europe/Berlin")
    parser.add_argument("--days", metavar="DAYS", help='days to post: "daily", "mon-fri", "mon,wed,fri"')
    parser.add_argument("--max", type=positive_int, metavar="N", help="most papers per digest (1 to 50)")
    parser.add_argument("--min-upvotes", type=int, metavar="N", help="only papers with at least N upvotes")
    parser.add_argument(
        "--post-empty",
        action=argparse.BooleanOptionalAction,
        default=None,
        help='post "nothing new" on days without papers (--no-post-empty: stay quiet)',
    )
    return parser


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.path) as store:
        subscription = await SubscriptionService(store, settings.digest).subscribe(
            channel_ref(args),
            by=operator(),
            filter=args.filter,
            time=args.time,
            timezone=args.timezone,
            days=args.days,
            max_papers=args.max,
            min_upvotes=args.min_upvotes,
            post_empty=args.post_empty,
        )
    print(f"subscribed {describe(subscription)}")
    return 0
