"""`paperboy db backup|stats|vacuum|copy`: look after the database, or move it into another one."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from paperboy.cli.output import print_json
from paperboy.config import Settings
from paperboy.errors import PaperboyError, UserInputError
from paperboy.store import DatabaseStats, Store, TableProgress, Target, is_postgres_url

#: a line while a large table is copied, every this many seconds
PROGRESS_EVERY_S = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Look after the database: back it up, see what it holds, compact it, or copy it into another database. "
        "Backing up, counting and compacting are safe while paperboy run runs."
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    backup = actions.add_parser(
        "backup",
        help="copy the database to a new file",
        description="Copy the whole database to PATH (a new file): SQLite's online backup, or pg_dump's custom "
        "format for PostgreSQL. A consistent copy, taken while paperboy keeps running.",
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
        help="compact the database",
        description="Merge the search index, rebuild the file without free space and refresh the query "
        "planner's statistics (on PostgreSQL: VACUUM and ANALYZE). Writers wait while it runs; a minute or two "
        "for a million papers.",
    )
    _add_copy(actions)


def _add_copy(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    copy = actions.add_parser(
        "copy",
        help="copy every table into another database",
        description="Copy every table of the configured database into another one, a SQLite file or a "
        "PostgreSQL database, keeping every id. The target must be empty (or hold this copy cut short, which "
        "then continues where it stopped); stop paperboy run meanwhile, so that nothing changes under the copy.",
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="TARGET",
        help="a SQLite file (created if missing) or a postgresql://user:password@host:port/db URL",
    )
    copy.add_argument(
        "--append",
        action="store_true",
        help="copy into a database that already holds data: rows whose key it holds are kept as they are",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    if args.db_action == "copy":
        return await _copy(settings, _copy_target(args.to), append=args.append)
    async with await Store.open(settings.database.target) as store:
        if args.db_action == "backup":
            size = await store.backup(args.path.expanduser().resolve())
            print(f"backed up {store.location} to {args.path} ({_mib(size)})")
        elif args.db_action == "vacuum":
            before, after = await store.vacuum()
            print(f"vacuumed {store.location}: {_mib(before)} → {_mib(after)}")
        else:
            _print_stats(await store.stats(), as_json=args.json, backend=store.backend)
    return 0


def _print_stats(figures: DatabaseStats, *, as_json: bool, backend: str) -> None:
    sizes = {"file_bytes": figures.file_bytes, "wal_bytes": figures.wal_bytes, "free_bytes": figures.free_bytes}
    if as_json:
        print_json({"path": figures.location, "schema_version": figures.schema_version} | sizes | figures.counts)
        return
    print(f"{figures.location} (schema version {figures.schema_version})")
    if backend == "sqlite":
        print(
            f"  size {_mib(figures.file_bytes)}, write-ahead log {_mib(figures.wal_bytes)}, "
            f"free {_mib(figures.free_bytes)}"
        )
    else:  # the server keeps its own log and free space: the database's size is what there is to say
        print(f"  size {_mib(figures.file_bytes)}")
    for name, count in figures.counts.items():
        print(f"  {name.replace('_', ' ')}: {count}")


def _copy_target(text: str) -> Target:
    """What `--to` names: a PostgreSQL URL, or a SQLite file in a folder that exists."""
    if is_postgres_url(text):
        return text
    if "://" in text:
        raise UserInputError("--to takes a SQLite file's path or a postgresql:// URL; fix it")
    path = Path(text).expanduser().resolve()
    if not path.parent.is_dir():
        raise UserInputError(f"the folder {path.parent} does not exist; create it or choose another path")
    return path


async def _copy(settings: Settings, to: Target, *, append: bool) -> int:
    async with await Store.open(settings.database.target) as source, await Store.open(to) as target:
        if source.location == target.location:
            raise UserInputError("--to names the configured database itself; name another database")
        report = _Report()
        try:
            rows = await source.copy_to(target, append=append, progress=report)
        except (PaperboyError, asyncio.CancelledError):
            if report.began:  # the error's own line follows; this one says that nothing is lost
                print("paperboy: the copy was cut short; run the same command again to continue", file=sys.stderr)
            raise
    papers = report.copied.get("papers", 0)
    rest = _counted(rows - papers, "other row")
    print(f"copied {_counted(papers, 'paper')} and {rest} from {source.location} to {target.location}")
    return 0


class _Report:
    """Progress on stderr: a line per table once copied, and now and then while a large one is."""

    def __init__(self) -> None:
        self.began = False
        #: rows this run copied, by table
        self.copied: dict[str, int] = {}
        self._shown_at = time.monotonic()

    def __call__(self, step: TableProgress) -> None:
        self.began = True
        self.copied[step.table] = step.rows
        if step.done:
            how = "already copied" if step.resumed and not step.rows else _counted(step.rows, "row")
            more = " (continued)" if step.resumed and step.rows else ""
            print(f"{step.table}: {how}{more}", file=sys.stderr)
        elif time.monotonic() - self._shown_at >= PROGRESS_EVERY_S:
            print(f"{step.table}: {step.rows:,} rows so far…", file=sys.stderr)
            self._shown_at = time.monotonic()


def _counted(count: int, thing: str) -> str:
    return f"{count:,} {thing}" if count == 1 else f"{count:,} {thing}s"


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
