"""`paperboy db backup|stats|vacuum`: look after the database file; all are safe while `paperboy run` runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from paperboy.cli.output import print_json
from paperboy.config import Settings
from paperboy.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Look after the database file: back it up, see what it holds, or compact it. Each is safe while "
        "paperboy run runs."
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    backup = actions.add_parser(
        "backup",
        help="copy the database to a new file",
        description="Copy the whole database to PATH (a new "
        "file) with SQLite's online backup: a consistent copy, taken while paperboy keeps running.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the backup file to create")
    stats = actions.add_parser(
        "stats",
        help="what the database holds, and its size",
        description="Count what the database holds (papers, days, subscriptions, digests, deliveries, "
        "installations) and show its size, that of its write-ahead log and its free space.",
    )
    stats.add_argument("--json", action="store_true", help="print a JSON object for scripts")
    actions.add_parser(
        "vacuum",
        help="compact the database file",
        description="Merge the search index, rebuild the file without free space and refresh the query "
        "planner's statistics. Writers wait while it runs; a minute or two for a million papers.",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    async with await Store.open(settings.database.target) as store:
        if args.db_action == "backup":
            size = await store.backup(args.path.expanduser().resolve())
            print(f"backed up {store.location} to {args.path} ({_mib(size)})")
        elif args.db_action == "vacuum":
            before, after = await store.vacuum()
            print(f"vacuumed {store.location}: {_mib(before)} → {_mib(after)}")
        else:
            figures = await store.stats()
            sizes = {"file_bytes": figures.file_bytes, "wal_bytes": figures.wal_bytes, "free_bytes": figures.free_bytes}
            if args.json:
                print_json(
                    {"path": figures.location, "schema_version": figures.schema_version} | sizes | figures.counts
                )
            else:
                print(f"{figures.location} (schema version {figures.schema_version})")
                if store.backend == "sqlite":
                    print(
                        f"  size {_mib(figures.file_bytes)}, write-ahead log {_mib(figures.wal_bytes)}, "
                        f"free {_mib(figures.free_bytes)}"
                    )
                else:  # the server keeps its own log and free space: the database's size is what there is to say
                    print(f"  size {_mib(figures.file_bytes)}")
                for name, count in figures.counts.items():
                    print(f"  {name.replace('_', ' ')}: {count}")
    return 0


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
