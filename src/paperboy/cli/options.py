"""Argument types shared by sub-commands, with messages in the house style."""

from __future__ import annotations

import argparse
import getpass
import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from paperboy.errors import NotSubscribed, UserInputError
from paperboy.models import ChannelRef, Platform, webhook_fingerprint

if TYPE_CHECKING:
    from paperboy.store import Store


def day(text: str) -> date:
    """`YYYY-MM-DD`, `today` or `yesterday` (UTC)."""
    today = datetime.now(UTC).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text.lower() in named:
        return named[text.lower()]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a date; write it as YYYY-MM-DD, like 2025-01-16') from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'"{text}" is not a positive whole number')
    return value


def add_channel_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`--platform`, `--channel`, `--workspace`: which channel a command is about."""
    parser.add_argument(
        "--platform", required=required, choices=[p.value for p in Platform], help="where the channel is"
    )
    parser.add_argument(
        "--channel",
        required=required,
        metavar="ID",
        help="the channel id (webhook: its URL, or the #fingerprint paperboy subscriptions shows; console: any name)",
    )
    parser.add_argument(
        "--workspace", default="", metavar="ID", help="the Slack team id (T…) or Discord guild id, if any"
    )


def channel_ref(args: argparse.Namespace) -> ChannelRef:
    return ChannelRef(Platform(args.platform), args.channel.strip(), args.workspace.strip())


async def subscribed_ref(store: Store, args: argparse.Namespace) -> ChannelRef:
    """The subscribed channel the options name; `--workspace` may be left out when only one subscribed
    channel of that platform has the id."""
    ref = channel_ref(args)
    if ref.platform is Platform.WEBHOOK:
        return await _webhook_ref(store, ref)
    if ref.workspace:
        return ref
    same = [s.ref for s in await store.subscriptions.list(ref.platform) if s.ref.channel == ref.channel]
    if len(same) > 1:
        raise UserInputError(f"several {ref.platform.value} channels have the id {ref.channel}; add --workspace")
    return same[0] if same else ref


#: a webhook channel as `paperboy subscriptions` shows it (`https://host/…#3f9a1c0b`), or its fingerprint alone
_SHOWN_WEBHOOK = re.compile(r"(?:[a-z]+://[^/\s]*/…)?#?([0-9a-f]{8})")


def shown_fingerprint(ref: ChannelRef) -> str | None:
    """The fingerprint a webhook channel is given by (as `paperboy subscriptions` shows it, or alone); None
    for a URL (a real URL never holds the `…` of the shown form)."""
    if ref.platform is not Platform.WEBHOOK:
        return None
    shown = _SHOWN_WEBHOOK.fullmatch(ref.channel)
    return shown[1] if shown else None


async def webhook_with(store: Store, fingerprint: str) -> ChannelRef | None:
    """The subscribed webhook channel with that fingerprint, if any."""
    webhooks = await store.subscriptions.list(Platform.WEBHOOK)
    return next((s.ref for s in webhooks if webhook_fingerprint(s.ref.channel) == fingerprint), None)


async def _webhook_ref(store: Store, ref: ChannelRef) -> ChannelRef:
    """A webhook channel given by its URL, or by the fingerprint `paperboy subscriptions` shows (the URL holds
    a secret that is shown nowhere, and may be lost with a deleted webhook)."""
    fingerprint = shown_fingerprint(ref)
    if fingerprint is None:
        return ref
    found = await webhook_with(store, fingerprint)
    if found is None:
        # said as given: read as a URL, the fingerprint would be shown fingerprinted again
        raise NotSubscribed(f"webhook channel #{fingerprint} is not subscribed (paperboy subscriptions lists them)")
    return found


def operator() -> str:
    """Who is changing a subscription from the command line, for the record."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
