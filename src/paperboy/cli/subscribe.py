"""`paperboy subscribe`: the admin path to what `/papers subscribe` does (a second call updates)."""

from __future__ import annotations

import argparse
from dataclasses import replace

from paperboy.cli.options import (
    add_channel_options,
    channel_ref,
    operator,
    positive_int,
    shown_fingerprint,
    webhook_with,
)
from paperboy.cli.output import print_hints
from paperboy.config import Settings
from paperboy.errors import UserInputError
from paperboy.models import ChannelRef, Platform
from paperboy.query import hints
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService, describe
from paperboy.taste import MAX_WEIGHT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Subscribe a channel to the daily (or weekly) digest, or change the settings given of its subscription."
    )
    add_channel_options(parser)
    topic = parser.add_mutually_exclusive_group()
    topic.add_argument("--filter", metavar="QUERY", help="topic filter in the query language (see the README)")
    topic.add_argument("--no-filter", action="store_true", help="remove the channel's filter: every new paper")
    parser.add_argument("--time", metavar="HH:MM", help="local time of the digest (default from the config)")
    parser.add_argument("--timezone", metavar="TZ", help="IANA time zone of that time, like Europe/Berlin")
    parser.add_argument(
        "--days",
        metavar="DAYS",
        help='days to post: "daily", "mon-fri", "mon,wed,fri", or "weekly on mon" for a weekly digest',
    )
    parser.add_argument("--max", type=positive_int, metavar="N", help="most papers per digest (1 to 50)")
    parser.add_argument("--min-upvotes", type=int, metavar="N", help="only papers with at least N upvotes")
    parser.add_argument(
        "--post-empty",
        action=argparse.BooleanOptionalAction,
        default=None,
        help='post "nothing new" on days without papers (--no-post-empty: stay quiet)',
    )
    parser.add_argument(
        "--taste",
        choices=("on", "off"),
        help="order the digest by the channel's votes too (on, the default), or by upvotes alone (off)",
    )
    parser.add_argument(
        "--taste-weight",
        type=float,
        metavar="W",
        help=f"how much the channel's taste counts, 0 to {MAX_WEIGHT:g} (1, the default: as much as upvotes)",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        ref = await _existing_webhook(store, channel_ref(args))
        if ref.platform is Platform.SLACK and not ref.workspace:
            ref = replace(ref, workspace=await slack_workspace(settings, store))
        service = SubscriptionService(store, settings.digest)
        subscription = await service.subscribe(
            ref,
            by=operator(),
            filter=args.filter,
            time=args.time,
            timezone=args.timezone,
            days=args.days,
            max_papers=args.max,
            min_upvotes=args.min_upvotes,
            post_empty=args.post_empty,
            taste=None if args.taste is None else args.taste == "on",
            taste_weight=args.taste_weight,
        )
        if args.no_filter:
            subscription = await service.clear_filter(ref, by=operator())
    print(f"subscribed {describe(subscription)}")
    print_hints(hints(args.filter) if args.filter is not None else ())
    return 0


async def _existing_webhook(store: Store, ref: ChannelRef) -> ChannelRef:
    """A webhook channel given by the fingerprint `paperboy subscriptions` shows is that subscription's (its
    settings change, a pause ends); a new webhook can only be given by its URL."""
    fingerprint = shown_fingerprint(ref)
    if fingerprint is None:
        return ref
    found = await webhook_with(store, fingerprint)
    if found is None:
        raise UserInputError(
            f"no webhook subscription has the fingerprint #{fingerprint}; give the webhook's URL to subscribe it"
        )
    return found


async def slack_workspace(settings: Settings, store: Store) -> str:
    """The workspace of a Slack channel given without `--workspace`: the bot token's (asked of Slack), or the
    one workspace paperboy is installed in. Subscriptions made in Slack carry it, so these must too."""
    slack = settings.slack
    if slack.bot_token:
        # Slack's SDK is loaded only for a Slack channel given without its workspace
        import aiohttp
        from slack_sdk.errors import SlackApiError

        from paperboy.adapters.slack_errors import error_code, is_outage
        from paperboy.adapters.slack_tokens import ConfiguredToken
        from paperboy.wiring.slack import slack_client

        try:
            return await ConfiguredToken(slack_client(settings), slack.bot_token.reveal()).team()
        except SlackApiError as error:
            if is_outage(error):
                raise UserInputError(
                    f"Slack failed ({error_code(error)}) when asked which workspace slack.bot_token belongs to; "
                    "try again later, or pass --workspace with the team id (T…)"
                ) from None
            code = error_code(error)
            raise UserInputError(
                f"Slack refused slack.bot_token ({code}) when asked for its workspace; fix the token, or pass "
                "--workspace with the team id (T…)"
            ) from None
        except (TimeoutError, aiohttp.ClientError):
            raise UserInputError(
                "cannot reach Slack to ask which workspace slack.bot_token belongs to; pass --workspace with the "
                "team id (T…)"
            ) from None
    installed = [i.workspace for i in await store.installations.list(Platform.SLACK)]
    if len(installed) == 1:
        return installed[0]
    if installed:
        raise UserInputError(
            f"paperboy is installed in {len(installed)} Slack workspaces ({', '.join(installed)}); pass --workspace "
            "with the channel's"
        )
    raise UserInputError(
        "pass --workspace with the channel's Slack team id (T…): with no slack.bot_token and no install, paperboy "
        "cannot look it up"
    )
