"""`paperboy digest`: send the digests that are due now, or every channel's next one at once (`--now`), or
show what would be sent (`--dry-run`). Works beside a running `paperboy run` (the ledger keeps them apart)."""

from __future__ import annotations

import argparse

from paperboy.adapters.console import digest_text
from paperboy.cli.options import add_channel_options, subscribed_ref
from paperboy.clock import SystemClock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner
from paperboy.errors import NotSubscribed, UserInputError
from paperboy.http import make_client
from paperboy.models import ChannelRef, DigestState
from paperboy.runtime import open_sinks
from paperboy.store import Store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser("digest", help="send due digests now", description=__doc__)
    parser.add_argument(
        "--now", action="store_true", help="send every channel's next digest now, whatever its schedule"
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
    add_channel_options(parser, required=False)
    return parser


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with (
        await Store.open(settings.database.path) as store,
        make_client(settings.http) as client,
        open_sinks(settings, client, store) as sinks,
    ):
        ref = await _channel(store, args)
        runner = DigestRunner(store, sinks, SystemClock())
        if args.dry_run:
            digests = await runner.preview(ref)
            print("\n\n".join(digest_text(d) for d in digests) or "no subscribed channel to preview")
            return 0
        outcomes = await (runner.run_now(ref) if args.now or ref else runner.run_due())
    for outcome in outcomes:
        what = {
            DigestState.SENT: f"sent {outcome.papers} papers" + (" (resent)" if outcome.detail == "resent" else ""),
            DigestState.EMPTY: "nothing new, nothing sent",
            DigestState.FAILED: f"failed for good, subscription paused: {outcome.detail}",
            DigestState.PLANNED: f"not sent, will try again: {outcome.detail}",
            DigestState.SENDING: f"not sent, will try again: {outcome.detail}",
        }[outcome.state]
        print(f"{outcome.ref} {outcome.day}: {what}")
    if not outcomes:
        print("no digest is due")
    failed = [o for o in outcomes if o.state in (DigestState.FAILED, DigestState.PLANNED, DigestState.SENDING)]
    return 1 if failed else 0


async def _channel(store: Store, args: argparse.Namespace) -> ChannelRef | None:
    """The channel `--channel` (and `--platform`, `--workspace`) names; the platform may be left out when
    only one subscribed channel has that id."""
    if not args.channel:
        if args.platform:
            raise UserInputError("--platform needs --channel too, like --platform slack --channel C0123")
        return None
    if args.platform:
        return await subscribed_ref(store, args)
    matches = [s.ref for s in await store.subscriptions.list() if s.ref.channel == args.channel.strip()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotSubscribed(f"no subscribed channel has the id {args.channel}; see paperboy subscriptions")
    raise UserInputError(f"several channels have the id {args.channel}; add --platform (and --workspace)")
