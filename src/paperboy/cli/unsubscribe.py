"""`paperboy unsubscribe`: a channel leaves the feed."""

from __future__ import annotations

import argparse

from paperboy.cli.options import add_channel_options, subscribed_ref
from paperboy.config import Settings
from paperboy.errors import NotSubscribed
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Remove a channel's subscription: it gets no more digests (subscribing it again later never resends "
        "what it was given)."
    )
    add_channel_options(parser)


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        ref = await subscribed_ref(store, args)
        try:
            removed = await SubscriptionService(store, settings.digest).unsubscribe(ref)
        except NotSubscribed:
            # the service's message says to subscribe first, which is no answer to wanting a channel gone
            raise NotSubscribed(f"{ref} is not subscribed (paperboy subscriptions lists them)") from None
    print(f"unsubscribed {removed.ref}")
    return 0
