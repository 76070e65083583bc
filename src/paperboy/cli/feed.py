"""`paperboy feed`: a channel's Atom feed address, or a new one (`--revoke`)."""

from __future__ import annotations

import argparse
import sys

from paperboy.cli.options import add_channel_options, operator, subscribed_ref
from paperboy.config import Settings
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print the address of a subscribed channel's Atom feed (its digests, for feed readers), made the first "
        "time it is asked for. Anyone with the address can read the channel's digests (so /papers feed show gives "
        "it only to those who may change the channel's feed): --revoke gives it a new one, and the old one answers "
        "404 from then on. The URL starts with feeds.base_url; without it, the path is printed."
    )
    add_channel_options(parser)
    parser.add_argument(
        "--revoke", action="store_true", help="give the feed a new address; the old one stops working at once"
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        service = SubscriptionService(store, settings.digest, feed_base_url=settings.feeds.base_url)
        ref = await subscribed_ref(store, args)
        address = await service.replace_feed(ref, by=operator()) if args.revoke else await service.feed(ref)
    # stdout holds the address alone, for scripts; what a person should know goes to stderr
    print(address.url or address.path)
    if args.revoke:
        print(f"paperboy: {ref} has a new feed address; the old one no longer works", file=sys.stderr)
    if address.url is None:
        print(
            "paperboy: feeds.base_url is not set, so this is the path alone: put paperboy's public address "
            "before it, and set feeds.base_url so that /papers feed show gives whole URLs",
            file=sys.stderr,
        )
    if not settings.health.port:
        print("paperboy: health.port is not set; paperboy run serves feeds only on that port", file=sys.stderr)
    return 0
