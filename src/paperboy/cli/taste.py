"""`paperboy taste`: what a channel's votes taught paperboy (its taste), or forget them (`--reset`)."""

from __future__ import annotations

import argparse

from paperboy.cli.options import add_channel_options, operator, subscribed_ref
from paperboy.config import Settings
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show what a subscribed channel's votes (👍 / 👎 on its digests) taught paperboy: the words that count "
        "most for and against a paper, from how many votes and members, and how much it counts in the digest's "
        "order. --reset forgets the channel's votes: its digest is ordered by upvotes again."
    )
    add_channel_options(parser)
    parser.add_argument("--reset", action="store_true", help="forget the channel's votes, and with them its taste")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        service = SubscriptionService(store, settings.digest)
        ref = await subscribed_ref(store, args)
        if args.reset:
            forgotten = await service.reset_taste(ref, by=operator())
            print(f"{ref}: forgot {forgotten} vote{'s' if forgotten != 1 else ''}; the digest is ordered by upvotes")
            return 0
        report = await service.taste(ref)
    print(f"{ref}: {report.describe()}")
    return 0
