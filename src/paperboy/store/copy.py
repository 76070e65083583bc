"""`paperboy db copy`: every table of one database into another, SQLite or PostgreSQL, either way.

- **Streaming**: each table is read in its key's order, a batch at a time (`WHERE key > last ORDER BY key
  LIMIT n`, which walks the key's index), never whole; each batch is written in one transaction.
- **Resumable**: the copy keeps its progress in the target's `markers` table (the row `db-copy`): the source it
  copies from, the last key written of each table, and the tables done. Each batch updates it in the same
  transaction as its rows, so a copy cut short (Ctrl-C, a lost connection, a killed process) and run again
  continues after the last batch that was written. Rows go in with `ON CONFLICT DO NOTHING` as well, so a row
  the target already holds is never written twice nor overwritten (`--append` relies on it).
- **Non-empty or resuming**: the marker is written before the first row and removed after the last. A target
  holding the marker of a copy from the same source is an unfinished copy, and is continued; a target holding
  rows and no marker (or another source's marker) is refused, unless `append`.
- Keys (`pk`, ids) are kept, so that references between tables still hold. At the end the engine's own work
  is done: SQLite's full-text index is filled from the copied papers (one rebuild), and PostgreSQL's identity
  columns are set past the copied ids. PostgreSQL's `document` (what its search reads) is never copied: it is
  computed from each paper's text as the paper goes in, as ingest does (`PaperIndex.write_copied`).

Both databases are at the latest schema version of their engine (`Store.open` migrates them). Values are
stored alike on both engines (`engine.py`), so rows move unchanged. Rows changed in the source while it is
being copied may be copied as they were: copy from a database nothing else writes to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from paperboy.errors import UserInputError
from paperboy.store.engine import Database, Dialect, Row
from paperboy.store.rows import COLUMNS

#: the marker row holding an unfinished copy's progress in the target
MARKER = "db-copy"
#: rows read and written at a time: few round trips, and a few MiB of papers in memory at most
BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Table:
    """A table as the copy sees it: its key (the copy's order), the other columns, its identity column."""

    name: str
    key: tuple[str, ...]
    rest: tuple[str, ...]
    identity: str | None = None
    #: written through the engine's paper index (`PaperIndex.write_copied`), which keeps search in step
    papers: bool = False
    #: what an insert does with a row whose key the target holds (a template of dialect fragments)
    on_conflict: str = "DO NOTHING"

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.rest

    def select(self, *, after: bool) -> str:
        key = ", ".join(self.key)
        where = f" WHERE ({key}) > ({', '.join('?' * len(self.key))})" if after else ""
        return f"SELECT {', '.join(self.columns)} FROM {self.name}{where} ORDER BY {key} LIMIT ?"

    def insert(self, dialect: Dialect) -> str:
        conflict = self.on_conflict.format(greatest=dialect.greatest, least=dialect.least)
        values = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({values}) ON CONFLICT {conflict}"


_SUBSCRIPTION_COLUMNS = (
    "platform", "workspace", "channel", "filter", "post_time", "timezone", "days", "max_papers", "min_upvotes",
    "post_empty", "paused_reason", "paused_cause", "last_error", "created_by", "created_at", "updated_by",
    "updated_at", "taste", "taste_weight",
)  # fmt: skip
_DIGEST_COLUMNS = (
    "platform", "workspace", "channel", "day", "kind", "state", "planned_at", "sent_at", "left_out", "message_ids",
    "error", "attempts", "next_attempt_at", "claimed_by", "claimed_until",
)  # fmt: skip

#: every table, in an order where a row's references are copied before it (deliveries after digests)
TABLES = (
    Table("papers", ("pk",), COLUMNS, identity="pk", papers=True),
    # a day's range of pks only ever grows: one the target holds already is widened, never narrowed
    Table(
        "paper_days",
        ("day",),
        ("min_pk", "max_pk"),
        on_conflict="(day) DO UPDATE SET min_pk = {least}(paper_days.min_pk, excluded.min_pk), "
        "max_pk = {greatest}(paper_days.max_pk, excluded.max_pk)",
    ),
    Table("subscriptions", ("id",), _SUBSCRIPTION_COLUMNS, identity="id"),
    Table("feeds", ("subscription_id",), ("token", "feed_id", "created_at", "token_at")),
    Table("digests", ("id",), _DIGEST_COLUMNS, identity="id"),
    Table("deliveries", ("platform", "workspace", "channel", "paper_id"), ("digest_id", "position")),
    Table("installations", ("platform", "enterprise", "workspace"), ("record", "installed_at")),
    Table("oauth_states", ("state",), ("expires_at",)),
    Table("markers", ("name",), ("value",)),
    Table("seen_signatures", ("signature",), ("seen_at",)),
    Table("processes", ("name",), ("started_at", "seen_at", "version", "holds")),
    Table("votes", ("platform", "workspace", "channel", "paper_id", "member"), ("rating", "at")),
    Table("taste_papers", ("paper_id",), ("vector",)),
    Table("taste_terms", ("stem",), ("papers", "word")),
    Table("taste_profiles", ("platform", "workspace", "channel"), ("weights", "top", "mass", "votes", "as_of")),
)


@dataclass(frozen=True, slots=True)
class TableProgress:
    """How far the copy of one table has come, after each batch."""

    table: str
    #: rows copied by this run so far
    rows: int
    done: bool
    #: this run continues a copy cut short, after the rows it had written
    resumed: bool


@dataclass(frozen=True, slots=True)
class _Progress:
    """What the marker row holds: where the copy comes from, and how far it has come."""

    source: str
    after: dict[str, list[Any]] = field(default_factory=dict)
    done: tuple[str, ...] = ()

    def text(self) -> str:
        return json.dumps({"source": self.source, "after": self.after, "done": list(self.done)})

    @classmethod
    def read(cls, text: str) -> _Progress | None:
        try:
            value = json.loads(text)
            return cls(str(value["source"]), dict(value["after"]), tuple(value["done"]))
        except (ValueError, TypeError, KeyError):
            return None

    def advanced(self, table: str, last_key: Row | None, done: bool) -> _Progress:
        after = self.after if last_key is None else self.after | {table: list(last_key)}
        return replace(self, after=after, done=(*self.done, table) if done else self.done)


async def copy_database(
    source: Database,
    target: Database,
    *,
    append: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[TableProgress], None] | None = None,
) -> int:
    """Copy every table of `source` into `target`; the number of rows this run read from the source. Refuses
    a target holding data, unless it is this copy's unfinished own (continued) or `append`."""
    state = await _begin(source, target, append=append)
    copied = 0
    for table in TABLES:
        state, rows = await _copy_table(source, target, table, state, batch_rows, progress or _ignore)
        copied += rows
    await _finish(target)
    return copied


async def refuse_unfinished(db: Database) -> None:
    """Refuse to work from a database that an unfinished copy is filling: its deliveries may not be there yet,
    and a digest sent from it could give a channel papers again."""
    row = await db.fetchone("SELECT value FROM markers WHERE name = ?", (MARKER,))
    if row is None:
        return
    earlier = _Progress.read(str(row[0]))
    source = earlier.source if earlier is not None else "another database"
    raise UserInputError(
        f"{db.location} is the target of an unfinished `paperboy db copy` from {source}; run that copy again to "
        "finish it before paperboy sends digests from this database"
    )


async def _begin(source: Database, target: Database, *, append: bool) -> _Progress:
    """The progress to continue from: an unfinished copy's from this source, else a new one, marked."""
    row = await target.fetchone("SELECT value FROM markers WHERE name = ?", (MARKER,))
    earlier = _Progress.read(str(row[0])) if row else None
    if earlier is not None and earlier.source == source.location:
        return earlier
    if not append:
        if row is not None:
            other = earlier.source if earlier is not None else "another database"
            raise UserInputError(
                f"{target.location} holds an unfinished copy of {other}; finish that copy, or copy into an empty "
                "database, or add --append to copy into it anyway"
            )
        holding = [table.name for table in TABLES if await target.fetchone(f"SELECT 1 FROM {table.name} LIMIT 1")]
        if holding:
            raise UserInputError(
                f"{target.location} already holds data ({', '.join(holding)}); copy into an empty database, or add "
                "--append to add the rows it lacks (rows whose key it holds are kept as they are)"
            )
    fresh = _Progress(source.location)
    await target.execute(
        "INSERT INTO markers (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (MARKER, fresh.text()),
    )
    return fresh


async def _copy_table(
    source: Database,
    target: Database,
    table: Table,
    state: _Progress,
    batch_rows: int,
    progress: Callable[[TableProgress], None],
) -> tuple[_Progress, int]:
    """Copy the rest of one table, a batch per transaction; the progress after it, and the rows copied."""
    resumed = table.name in state.done or table.name in state.after
    if table.name in state.done:
        progress(TableProgress(table.name, 0, done=True, resumed=True))
        return state, 0
    insert = table.insert(target.dialect)
    copied = 0
    while True:
        after = state.after.get(table.name)
        params = [*(after or ()), batch_rows]
        rows = await source.fetchall(table.select(after=after is not None), params)
        done = len(rows) < batch_rows
        state = state.advanced(table.name, rows[-1][: len(table.key)] if rows else None, done)
        async with target.transaction() as tx:
            if table.papers:
                await target.index.write_copied(tx, rows)
            else:
                await tx.executemany(insert, rows)
            await tx.execute("UPDATE markers SET value = ? WHERE name = ?", (state.text(), MARKER))
        copied += len(rows)
        progress(TableProgress(table.name, copied, done=done, resumed=resumed))
        if done:
            return state, copied


async def _finish(target: Database) -> None:
    """What the engine does its own way once every row is in, and the copy marked finished."""
    dialect = target.dialect
    async with target.transaction() as tx:
        await target.index.index_copied(tx)
        if dialect.identity_past_rows:
            for table in TABLES:
                if table.identity is not None:
                    await tx.fetchall(dialect.identity_past_rows.format(table=table.name, column=table.identity))
        await tx.execute("DELETE FROM markers WHERE name = ?", (MARKER,))


def _ignore(_: TableProgress) -> None:
    pass
