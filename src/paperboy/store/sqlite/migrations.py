"""Versioned schema migrations, tracked in SQLite's `user_version`.

Append a migration to change the schema; never edit one that has shipped. `migrate` brings any older
database to the newest version, each step in its own transaction, and refuses a database from a newer paperboy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from paperboy.errors import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    script: str
    #: the script rebuilds a table that others reference: foreign keys are off while it runs (SQLite ignores
    #: that pragma inside a transaction), and checked before the step commits
    rebuilds: bool = False


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "papers",
        """
        -- pk is an explicit INTEGER PRIMARY KEY because VACUUM may renumber implicit rowids,
        -- which would detach the full-text index (keyed by rowid) from its rows.
        CREATE TABLE papers (
            pk            INTEGER PRIMARY KEY,
            id            TEXT NOT NULL UNIQUE,
            title         TEXT NOT NULL,
            abstract      TEXT NOT NULL DEFAULT '',
            authors       TEXT NOT NULL DEFAULT '[]',
            published_at  TEXT,
            daily_date    TEXT,
            upvotes       INTEGER,
            comments      INTEGER,
            ai_summary    TEXT,
            ai_keywords   TEXT NOT NULL DEFAULT '[]',
            github_repo   TEXT,
            github_stars  INTEGER,
            project_page  TEXT,
            organization  TEXT,
            categories    TEXT NOT NULL DEFAULT '[]',
            version       INTEGER,
            sources       TEXT NOT NULL DEFAULT '[]',
            first_seen_at TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );
        CREATE INDEX papers_daily_date ON papers(daily_date);
        CREATE INDEX papers_first_seen_at ON papers(first_seen_at);
        """,
    ),
    Migration(
        2,
        "full-text index over title, abstract, authors and AI keywords",
        """
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, authors, ai_keywords,
            content='papers', content_rowid='pk',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        -- Rows are indexed by PaperStore.upsert, one INSERT … SELECT per batch, not by row triggers: a trigger
        -- makes every row its own statement savepoint, and FTS5 flushes a new index segment at each one,
        -- which made ingest four times slower. Deletes are rare and may come from anywhere, so they keep one.
        CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors, ai_keywords)
            VALUES ('delete', old.pk, old.title, old.abstract, old.authors, old.ai_keywords);
        END;
        -- merge index segments 16 at a time instead of 4: a third less write work on ingest, and at 100,000
        -- papers a search still reads only a few dozen segments (bench/ingest.py measured both)
        INSERT INTO papers_fts(papers_fts, rank) VALUES ('automerge', 16);
        INSERT INTO papers_fts(papers_fts) VALUES ('rebuild');
        """,
    ),
    Migration(
        3,
        "the range of rowids each day's papers hold, for since: and before:",
        """
        -- A paper's day is its Daily Papers day, else its arXiv day, else the day paperboy first saw it.
        -- Ranges only ever grow (PaperStore.upsert), so they stay valid bounds when a paper's day changes.
        CREATE TABLE paper_days (
            day    TEXT PRIMARY KEY,
            min_pk INTEGER NOT NULL,
            max_pk INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO paper_days (day, min_pk, max_pk)
        SELECT coalesce(daily_date, substr(published_at, 1, 10), substr(first_seen_at, 1, 10)), min(pk), max(pk)
        FROM papers GROUP BY 1;
        """,
    ),
    Migration(
        4,
        "subscriptions: which channels get digests, filtered how, when",
        """
        CREATE TABLE subscriptions (
            id            INTEGER PRIMARY KEY,
            platform      TEXT NOT NULL,
            workspace     TEXT NOT NULL DEFAULT '',
            channel       TEXT NOT NULL,
            filter        TEXT,
            post_time     TEXT NOT NULL,
            timezone      TEXT NOT NULL,
            days          TEXT NOT NULL,
            max_papers    INTEGER NOT NULL,
            min_upvotes   INTEGER NOT NULL DEFAULT 0,
            post_empty    INTEGER NOT NULL DEFAULT 0,
            paused_reason TEXT,
            created_by    TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            updated_by    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            UNIQUE (platform, workspace, channel)
        );
        """,
    ),
    Migration(
        5,
        "the delivery ledger: each digest planned and sent, and every paper a channel was given",
        """
        -- Keyed by the channel, not the subscription: a channel that leaves and comes back is not sent again
        -- what it already had.
        CREATE TABLE digests (
            id          INTEGER PRIMARY KEY,
            platform    TEXT NOT NULL,
            workspace   TEXT NOT NULL,
            channel     TEXT NOT NULL,
            day         TEXT NOT NULL,              -- the channel's local day the digest belongs to
            state       TEXT NOT NULL,              -- planned → sending → sent, or failed
            planned_at  TEXT NOT NULL,
            sent_at     TEXT,
            left_out    INTEGER NOT NULL DEFAULT 0, -- matching papers beyond the channel's maximum
            message_ids TEXT NOT NULL DEFAULT '[]',
            error       TEXT,
            UNIQUE (platform, workspace, channel, day)
        );
        CREATE TABLE deliveries (
            platform  TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel   TEXT NOT NULL,
            paper_id  TEXT NOT NULL,
            digest_id INTEGER NOT NULL REFERENCES digests(id),
            position  INTEGER NOT NULL,            -- order in the digest; -1: matched but left out
            PRIMARY KEY (platform, workspace, channel, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX deliveries_digest ON deliveries(digest_id);
        CREATE INDEX deliveries_paper ON deliveries(paper_id);
        """,
    ),
    Migration(
        6,
        "installations and OAuth states",
        """
        CREATE TABLE installations (
            platform     TEXT NOT NULL,
            enterprise   TEXT NOT NULL DEFAULT '',
            workspace    TEXT NOT NULL,
            record       TEXT NOT NULL,             -- JSON: what the platform said at install, tokens included
            installed_at TEXT NOT NULL,
            PRIMARY KEY (platform, enterprise, workspace)
        ) WITHOUT ROWID;
        CREATE INDEX installations_workspace ON installations(platform, workspace);
        CREATE TABLE oauth_states (
            state      TEXT PRIMARY KEY,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        7,
        "markers",
        """
        -- small facts paperboy keeps about itself, like the hash of the Discord commands last registered
        CREATE TABLE markers (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        8,
        "digests sent on request beside the scheduled ones, tries with backoff, and claims by one process",
        """
        -- SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt: one scheduled digest per
        -- channel and local day stays unique (a partial index), while `paperboy digest --now` may add any
        -- number of digests on request without using up the day's scheduled one.
        CREATE TABLE digests_v8 (
            id              INTEGER PRIMARY KEY,
            platform        TEXT NOT NULL,
            workspace       TEXT NOT NULL,
            channel         TEXT NOT NULL,
            day             TEXT NOT NULL,              -- the channel's local day the digest belongs to
            kind            TEXT NOT NULL DEFAULT 'scheduled',  -- scheduled | now (asked for with --now)
            state           TEXT NOT NULL,              -- planned → sending → sent, or empty, or failed
            planned_at      TEXT NOT NULL,
            sent_at         TEXT,
            left_out        INTEGER NOT NULL DEFAULT 0, -- matching papers beyond the channel's maximum
            message_ids     TEXT NOT NULL DEFAULT '[]',
            error           TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0, -- sends that failed so far
            next_attempt_at TEXT,                       -- no try before this (backoff across runs)
            claimed_by      TEXT,                       -- the process sending it now …
            claimed_until   TEXT                        -- … until then at most (a lease)
        );
        INSERT INTO digests_v8 (id, platform, workspace, channel, day, state, planned_at, sent_at, left_out,
                                message_ids, error)
        SELECT id, platform, workspace, channel, day, state, planned_at, sent_at, left_out, message_ids, error
        FROM digests;
        DROP TABLE digests;
        ALTER TABLE digests_v8 RENAME TO digests;
        CREATE UNIQUE INDEX digests_scheduled_day ON digests(platform, workspace, channel, day)
            WHERE kind = 'scheduled';
        CREATE INDEX digests_channel ON digests(platform, workspace, channel, day);
        CREATE INDEX digests_unfinished ON digests(state) WHERE state IN ('planned', 'sending');
        -- what stopped a subscription (filter: its filter no longer reads; resumed when it is set again), and
        -- the last problem its digests had, shown in /papers settings and paperboy subscriptions
        ALTER TABLE subscriptions ADD COLUMN paused_cause TEXT;
        ALTER TABLE subscriptions ADD COLUMN last_error TEXT;
        """,
        rebuilds=True,
    ),
    Migration(
        9,
        "request signatures seen, so that a signed Slack request is acted on once",
        """
        -- kept only while the request's timestamp could still be accepted (store/replays.py purges the rest)
        CREATE TABLE seen_signatures (
            signature TEXT PRIMARY KEY,
            seen_at   TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_signatures_seen_at ON seen_signatures(seen_at);
        """,
    ),
    Migration(
        10,
        "the process table: every paperboy run sharing the database, and what it holds",
        """
        CREATE TABLE processes (
            name       TEXT PRIMARY KEY,            -- host:pid, as claims on digests name it
            started_at TEXT NOT NULL,
            seen_at    TEXT NOT NULL,               -- the last heartbeat
            version    TEXT NOT NULL,
            holds      TEXT NOT NULL DEFAULT '{}'   -- JSON: shards, digests being sent, …
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        11,
        "Atom feeds: each subscription's secret feed token",
        """
        -- one feed per subscription, gone with it; the token is the feed's secret address (/feeds/TOKEN.atom),
        -- replaced when revoked, while feed_id (the Atom id readers know the feed by) stays
        CREATE TABLE feeds (
            subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions(id) ON DELETE CASCADE,
            token           TEXT NOT NULL UNIQUE,
            feed_id         TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            token_at        TEXT NOT NULL               -- when the current token was issued
        );
        """,
    ),
    Migration(
        12,
        "weekly digests: a subscription's days may be a weekly schedule",
        """
        -- No table changes: this version says that subscriptions.days may read "weekly on mon" (a weekly
        -- digest), which an older paperboy cannot read; it refuses the database instead of failing to list
        -- every subscription.
        SELECT 1;
        """,
    ),
    Migration(
        13,
        "votes: members rate a digest's papers, and a channel's taste is learned from them",
        """
        -- one row per (channel, paper, member): the member's current vote (withdrawn: no row). Not tied to the
        -- subscription: unsubscribing keeps a channel's votes (subscribing again brings its taste back);
        -- `/papers taste reset` forgets them.
        CREATE TABLE votes (
            platform  TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel   TEXT NOT NULL,
            paper_id  TEXT NOT NULL,
            member    TEXT NOT NULL,
            rating    INTEGER NOT NULL CHECK (rating IN (-1, 1)),  -- 1 up, -1 down
            at        TEXT NOT NULL,                               -- when the member last set it
            PRIMARY KEY (platform, workspace, channel, paper_id, member)
        ) WITHOUT ROWID;
        -- whether the channel's digest order follows its taste, and how much (0 counts for nothing)
        ALTER TABLE subscriptions ADD COLUMN taste INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE subscriptions ADD COLUMN taste_weight REAL NOT NULL DEFAULT 1.0;
        """,
    ),
    Migration(
        14,
        "taste profiles: each channel's taste kept and changed with each vote, papers' term vectors",
        """
        -- papers counted into the document frequencies, each once, with its term vector (JSON stem -> weight)
        -- once made; a vector never changes after, so a profile built from it means the same later
        CREATE TABLE taste_papers (
            paper_id TEXT PRIMARY KEY,
            vector   TEXT
        );
        -- in how many counted papers each stem occurs, and the stem as people read it
        CREATE TABLE taste_terms (
            stem   TEXT PRIMARY KEY,
            papers INTEGER NOT NULL,
            word   TEXT NOT NULL
        );
        -- each channel's taste profile, changed with every vote in the vote's transaction (taste.py)
        CREATE TABLE taste_profiles (
            platform  TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel   TEXT NOT NULL,
            weights   TEXT NOT NULL,   -- JSON stem -> weight as of as_of, the heaviest kept
            top       TEXT NOT NULL,   -- JSON: the heaviest few, unit length: what digests are scored with
            mass      REAL NOT NULL,
            votes     INTEGER NOT NULL,
            as_of     TEXT NOT NULL,
            PRIMARY KEY (platform, workspace, channel)
        );
        -- votes given before this version have no profile yet: the next planning builds them
        INSERT INTO markers (name, value) SELECT 'taste-profiles-rebuild', '1' WHERE EXISTS (SELECT 1 FROM votes);
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, target: int = LATEST_VERSION, where: str = "the database") -> int:
    """Apply every migration above the database's version up to `target`; return the version reached."""
    current = await schema_version(conn)
    if current > LATEST_VERSION:
        raise StoreError(
            f"{where} was written by a newer paperboy (schema version {current}; this one knows up to "
            f"{LATEST_VERSION}); upgrade paperboy or use another database file"
        )
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            try:
                if migration.rebuilds:
                    await conn.execute("PRAGMA foreign_keys = OFF")
                await conn.executescript(f"BEGIN IMMEDIATE;\n{migration.script}")
                if migration.rebuilds:
                    async with conn.execute("PRAGMA foreign_key_check") as cursor:
                        if await cursor.fetchone() is not None:
                            raise sqlite3.IntegrityError("a foreign key no longer points at its row")
                # execute, not executescript: Python's executescript commits a pending transaction first
                await conn.execute(f"PRAGMA user_version = {migration.version}")
                await conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    await conn.rollback()
                raise StoreError(
                    f"could not upgrade {where} to schema version {migration.version} ({migration.description}): "
                    f"{error}; the database was left at version {current}"
                ) from error
            finally:
                if migration.rebuilds:
                    await conn.execute("PRAGMA foreign_keys = ON")
            current = migration.version
    return current
