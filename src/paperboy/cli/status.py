"""`paperboy status`: the paperboy processes at work on the database (every `paperboy run`, and `paperboy digest`
while it sends), as their heartbeats say: each by its name
(`host:pid/space-nonce`, as its digest claims and locks name it), its version, when it started, when it was last
seen, and what it holds (Discord shards, digests being sent, sources being fetched)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from paperboy.cli.output import print_json
from paperboy.clock import SystemClock
from paperboy.config import Settings
from paperboy.store import Store
from paperboy.store.identity import Claimant
from paperboy.store.processes import ProcessRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the paperboy processes at work on the database (every paperboy run, and paperboy digest while it sends; "
        "seen within the last minute): each by host:pid and a "
        "tag (telling apart containers alike in both), with its version, when it started, when it was last seen, "
        "and what it holds: Discord shards, digests being sent, sources being fetched."
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object for scripts")


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock.from_env().now()
    async with await Store.open(settings.database.target) as store:
        live = await store.processes.live(now)
        location = store.location
    if args.json:
        print_json({"database": location, "processes": [_json(record, now) for record in live]})
    elif not live:
        print(f"no paperboy run or digest is at work on {location}")
    else:
        print(f"{len(live)} paperboy {'process' if len(live) == 1 else 'processes'} on {location}:")
        for record in live:
            print(f"  {_line(record, now)}")
    return 0


def _seconds_ago(seen: datetime, now: datetime) -> int:
    # another host's clock may run a little ahead: never "-1 s ago"
    return max(0, round((now - seen).total_seconds()))


def _line(record: ProcessRecord, now: datetime) -> str:
    started = f"{record.started_at:%Y-%m-%d %H:%M:%S} UTC"
    return (
        f"{record.name}  paperboy {record.version}, started {started}, last seen "
        f"{_seconds_ago(record.seen_at, now)} s ago: {holds_text(record.holds)}"
    )


def holds_text(holds: dict[str, Any]) -> str:
    """What a process holds, in words: "Discord shards 0, 1; sending 3 digests; fetching huggingface"."""
    parts: list[str] = []
    shards = holds.get("shards")
    if shards is not None:
        parts.append("every Discord shard" if shards == "all" else f"Discord shards {_listed(shards)}")
    sending = holds.get("sending")
    if sending:
        parts.append(f"sending {sending} digest{'s' if sending != 1 else ''}")
    if holds.get("fetching"):
        parts.append(f"fetching {_listed(holds['fetching'])}")
    # what a newer paperboy holds, said as it is
    parts += [f"{key} {value}" for key, value in holds.items() if key not in ("shards", "sending", "fetching")]
    return "; ".join(parts) or "idle"


def _listed(values: object) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)


def _json(record: ProcessRecord, now: datetime) -> dict[str, Any]:
    named = Claimant.parse(record.name)
    return {
        "name": record.name,
        "host": named.host if named else None,
        "pid": named.pid if named else None,
        "version": record.version,
        "started_at": record.started_at.isoformat(),
        "seen_at": record.seen_at.isoformat(),
        "seen_seconds_ago": _seconds_ago(record.seen_at, now),
        "holds": record.holds,
    }
