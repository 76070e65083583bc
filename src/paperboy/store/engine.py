"""The seam between the repositories and a database engine: what a backend offers, and the SQL that differs.

The repositories (papers, subscriptions, ledger, installations, markers, replays) hold the logic once and
speak to a `Database`: SQL with `?` placeholders, rows as tuples, writes inside `transaction()`. A backend
(`store/sqlite`, `store/postgres`) implements it, and supplies the few pieces of SQL that its engine spells
differently through its `Dialect` and its `PaperIndex` (full-text search and index upkeep).

Values are stored the same way on both engines (times and days as ISO text, lists as JSON text), so that a
row read from one engine and written to the other is the same row (`paperboy db copy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from paperboy.models import Sort
from paperboy.query.ast import Node
from paperboy.store.locks import Locks
from paperboy.store.similarity import Word

Row = tuple[Any, ...]


class Queries(Protocol):
    """Statements on one database, inside a transaction or each on its own."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """SQL that the engines spell differently, as fragments the shared repositories put in their statements."""

    #: "sqlite" or "postgresql"
    name: str
    #: a subquery giving the values of a JSON array of text passed as one parameter
    json_values: str
    #: a subquery giving the pairs of a JSON array of [text, integer] pairs passed as one parameter, as columns
    #: `a` and `b`: many rows written by one statement
    json_pairs: str
    #: the larger and smaller of two values
    greatest: str
    least: str
    #: a statement (a template naming `{table}` and `{column}`) that makes the table's identity column number
    #: new rows past its greatest value, after rows were written with their own; "" where the engine does so
    identity_past_rows: str


SQLITE = Dialect(
    name="sqlite",
    json_values="SELECT value FROM json_each(?)",
    json_pairs="SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b FROM json_each(?)",
    greatest="max",
    least="min",
    # an INTEGER PRIMARY KEY always numbers a new row past the greatest one
    identity_past_rows="",
)
POSTGRESQL = Dialect(
    name="postgresql",
    json_values="SELECT json_array_elements_text(CAST(? AS json))",
    json_pairs="SELECT e->>0 AS a, CAST(e->>1 AS integer) AS b FROM json_array_elements(CAST(? AS json)) AS e",
    greatest="greatest",
    least="least",
    # an identity column's sequence knows nothing of rows written with their own ids; an empty table keeps it
    identity_past_rows=(
        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table} "
        "HAVING max({column}) IS NOT NULL"
    ),
)


class Database(Queries, Protocol):
    """An open database: statements, transactions, and what the engine needs said its own way."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def index(self) -> PaperIndex: ...

    @property
    def locks(self) -> Locks:
        """Named locks shared by every process on the database (`store.locks`)."""
        ...

    @property
    def location(self) -> str:
        """Where the database is, for people: a file path, or a URL without its password."""
        ...

    def transaction(self, *, lock: str | None = None) -> AbstractAsyncContextManager[Queries]:
        """A transaction: committed at the end of the block, rolled back on any error. Writers that name the
        same `lock` run one at a time across every process sharing the database (SQLite runs all writers one
        at a time anyway)."""
        ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: Node
    sort: Sort
    limit: int
    offset: int
    today: date
    snippet_tokens: int


#: what `paperboy db stats` counts: (name in the figures, query giving one number); both engines answer them
COUNTS = (
    ("papers", "SELECT count(*) FROM papers"),
    ("days", "SELECT count(DISTINCT day) FROM paper_days"),
    ("subscriptions", "SELECT count(*) FROM subscriptions"),
    ("paused_subscriptions", "SELECT count(*) FROM subscriptions WHERE paused_reason IS NOT NULL"),
    ("digests_sent", "SELECT count(*) FROM digests WHERE state = 'sent'"),
    ("digests_unfinished", "SELECT count(*) FROM digests WHERE state IN ('planned', 'sending')"),
    ("deliveries", "SELECT count(*) FROM deliveries WHERE position >= 0"),
    ("installations", "SELECT count(*) FROM installations"),
)


@dataclass(frozen=True, slots=True)
class DatabaseStats:
    """What `paperboy db stats` shows. Sizes in bytes; on PostgreSQL the file size is the database's size and
    there is no write-ahead log of the database's own (0)."""

    location: str
    schema_version: int
    file_bytes: int
    wal_bytes: int
    free_bytes: int
    counts: dict[str, int]


class PaperIndex(Protocol):
    """What differs between engines about the papers table: keeping its full-text index, and searching it."""

    async def write(
        self,
        tx: Queries,
        inserts: Sequence[Row],
        updates: Sequence[Row],
        reindex: Sequence[str],
    ) -> None:
        """Insert `inserts` and apply `updates` (rows of `rows.COLUMNS`; an update is the columns after `id`,
        then the id), keeping the full-text index and `paper_days` in step; `reindex`: ids of updated papers
        whose indexed text changed."""
        ...

    async def write_copied(self, tx: Queries, rows: Sequence[Row]) -> None:
        """Insert papers copied from another database (`paperboy db copy`) with their own `pk`: rows of `pk`,
        then `rows.COLUMNS`. A row whose pk or id the table holds is left out. The full-text index may lag
        behind until `index_copied`; `paper_days` is copied as a table of its own."""
        ...

    async def index_copied(self, tx: Queries) -> None:
        """Bring the full-text index in step with every paper `write_copied` wrote."""
        ...

    async def search(self, db: Queries, request: SearchRequest) -> list[Row]:
        """Up to `limit + 1` rows: the papers table's columns, then the score and a snippet (None: none)."""
        ...

    async def count(self, db: Queries, request: SearchRequest, most: int) -> int:
        """How many rows `search` gives for `request` over all its pages (its limit and offset aside), counted up
        to `most`: how far a page of partial matches starts into them (`store/partial.py`)."""
        ...

    async def plan(self, db: Queries, request: SearchRequest) -> list[str]:
        """The engine's plan for that search, a line per step."""
        ...

    async def words(self, db: Queries, paper_id: str) -> list[Word] | None:
        """The words of paper `paper_id`'s title, keywords and abstract likeliest to say what it is about, with
        how many papers hold each (`store/similarity.py`); None when there is no such paper."""
        ...
