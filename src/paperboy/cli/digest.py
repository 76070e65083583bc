"""`paperboy digest`: send the digests that are due now (`--channel`: that channel's, if due), or every channel's
next one at once (`--now`), or show what the same command would send (`--dry-run`), with the exit code it would
have. Safe beside a running `paperboy run` and other
`paperboy digest` processes: each digest is claimed by one of them (the delivery ledger keeps them apart)."""

from __future__ import annotations

import argparse

from paperboy.adapters.console import digest_text
from paperboy.cli.options import add_channel_options, subscribed_ref
from paperboy.clock import SystemClock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner, DryRun, Outcome, Result
from paperboy.errors import NotSubscribed, UserInputError
from paperboy.heartbeat import Heartbeat, beating, work_held
from paperboy.http import make_client
from paperboy.ingest import refresh
from paperboy.models import ChannelRef
from paperboy.runtime import build_sources
from paperboy.store import Store

#: results that mean a channel did not get what it should have
_FAILURES = (Result.RETRY, Result.FAILED, Result.PAUSED, Result.SKIPPED)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Send the digests that are due now (with --channel, only that channel's, and only if it is due). --now "
        "sends every channel's next digest (or that channel's) at once, whatever its schedule; --dry-run prints "
        "what the same command would send. Safe beside paperboy run and other paperboy digest processes: each "
        "digest is sent by one of them."
    )
    parser.add_argument(
        "--now",
        action="store_true",
        help="send every channel's next digest (with --channel, that channel's) now, whatever its schedule",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what the same command would send; send and record nothing"
    )
    add_channel_options(parser, required=False)


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    from paperboy.wiring.sinks import open_sinks  # the platforms' SDKs, only when a digest may go out

    clock = SystemClock.from_env()
    async with (
        await Store.open(settings.database.target) as store,
        make_client(settings.http) as client,
        open_sinks(settings, client, store, clock) as sinks,
    ):
        await store.refuse_unfinished_copy()
        ref = await _channel(store, args)
        runner = DigestRunner(store, sinks, clock, settings.delivery, lease=settings.database.lease)
        # only --now sends what is not due: --channel alone picks which channel's due digest goes out
        now = bool(args.now)
        nothing = await _nothing_due(runner, ref)
        if args.dry_run:
            runs = await runner.dry_run(now=now, ref=ref)
            _print_dry_run(runs, nothing)
            return 1 if any(run.fails for run in runs) else 0  # the code the same command would exit with
        # while it works, this process is in the process table: `paperboy status` shows it, and every process
        # sending to a platform counts it when sharing out the platform's rate limit
        async with beating(Heartbeat(store, clock, lambda: work_held(store))):
            if now or await runner.any_due(ref):
                # a digest goes out with the day's papers: sources not fetched in the last minutes are fetched first
                # (the whole week before a weekly digest, whose papers' upvotes keep changing)
                week = await runner.weekly_due(ref, now=now)
                sources = build_sources(settings, client)
                await refresh(store, sources, lambda name: _lookback_days(settings, name), week=week)
            outcomes = await (runner.run_now(ref) if now else runner.run_due(ref))
    for outcome in outcomes:
        print(f"{outcome.ref} {outcome.day}: {_said(outcome)}")
    if not outcomes:
        print(nothing if not now else "no subscribed channel to send to")
    return 1 if any(o.result in _FAILURES for o in outcomes) else 0


def _lookback_days(settings: Settings, source: str) -> int:
    sources = settings.sources
    return sources.huggingface.lookback_days if source == "huggingface" else sources.arxiv.lookback_days


def _said(outcome: Outcome) -> str:
    match outcome.result:
        case Result.SENT:
            return f"sent {outcome.papers} papers" + (" (resent)" if outcome.resent else "")
        case Result.EMPTY:
            return "nothing new, nothing sent"
        case Result.RETRY:
            return f"not sent, will try again: {outcome.detail}"
        case Result.FAILED:
            return f"failed: {outcome.detail}"
        case Result.PAUSED:
            return f"failed for good, subscription paused: {outcome.detail}"
        case Result.SKIPPED:
            return f"not sent: {outcome.detail}"


async def _nothing_due(runner: DigestRunner, ref: ChannelRef | None) -> str:
    """What to say when no digest is due (`ref`: none of that channel's): when the next one is, and how to see or
    send it now."""
    upcoming = await runner.next_due(ref)
    if ref is not None:
        when = f"; the next is at {upcoming[0]:%Y-%m-%d %H:%M} UTC" if upcoming else ""
        return f"{ref}: not due{when} (add --now to send it now, or --dry-run --now to see it first)"
    if upcoming is None:
        return "no digest is due"
    return (
        f"no digest is due; the next is at {upcoming[0]:%Y-%m-%d %H:%M} UTC for {upcoming[1]} "
        "(paperboy digest --now sends every channel's now; add --dry-run to see them first)"
    )


def _print_dry_run(runs: list[DryRun], nothing: str) -> None:
    if not runs:
        print(nothing)
        return
    parts = []
    for run in runs:
        if run.digest is None:
            parts.append(f"== {run.ref}: {run.note}")
        else:
            parts.append(digest_text(run.digest) + (f"\n({run.note})" if run.note else ""))
    print("\n\n".join(parts))


async def _channel(store: Store, args: argparse.Namespace) -> ChannelRef | None:
    """The channel `--channel` (and `--platform`, `--workspace`) names; the platform may be left out when
    only one subscribed channel has that id."""
    if not args.channel:
        if args.platform:
            raise UserInputError("--platform needs --channel too, like --platform slack --channel C0123")
        if args.workspace:
            raise UserInputError("--workspace needs --channel too, like --workspace T0123 --channel C0123")
        return None
    if args.platform:
        ref = await subscribed_ref(store, args)
        if await store.subscriptions.get(ref) is None:
            raise NotSubscribed(f"{ref} is not subscribed; see paperboy subscriptions")
        return ref
    matches = [s.ref for s in await store.subscriptions.list() if s.ref.channel == args.channel.strip()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotSubscribed(f"no subscribed channel has the id {args.channel}; see paperboy subscriptions")
    raise UserInputError(f"several channels have the id {args.channel}; add --platform (and --workspace)")
