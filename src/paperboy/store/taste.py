"""The taste tables: papers' term vectors, the document frequencies they are weighed by, channels' profiles.

- `taste_papers`: one row per paper counted into the document frequencies, with its vector (JSON, stem →
  weight) once made. A paper is counted once, by whichever process comes first, so the frequencies are those
  of the papers counted; its vector never changes after, so a profile built from it still means the same.
- `taste_terms`: in how many counted papers each stem occurs, and the stem as people read it.
- `taste_profiles`: each channel's `TasteProfile`, changed in the transaction that changes a vote
  (`store.votes`), so that a profile always holds exactly the channel's votes.

The arithmetic is `taste.py`'s; this module only keeps its results.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paperboy.models import ChannelRef, Platform, TasteProfile, TasteTop
from paperboy.store.engine import Database, Queries
from paperboy.store.rows import parse_iso

_KEY = "platform = ? AND workspace = ? AND channel = ?"
#: values asked about or written at a time (well under SQLite's limit on parameters)
_CHUNK = 400
#: up to this many channels, `tops` reads each profile by its key; more (a day's planning) in one pass
_BY_KEY = 20
#: the marker that says channels' profiles must be built from their votes (votes older than the profiles)
REBUILD_MARKER = "taste-profiles-rebuild"

Vector = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class TermCounts:
    """Document frequencies: in how many of the counted papers each stem occurs, and how many were counted."""

    papers: Mapping[str, int]
    total: int


class TasteStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def vectors(self, paper_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """The vectors made for these papers (a paper without one is missing)."""
        found: dict[str, dict[str, float]] = {}
        unique = list(dict.fromkeys(paper_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows = await self._db.fetchall(
                f"SELECT paper_id, vector FROM taste_papers WHERE vector IS NOT NULL "
                f"AND paper_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update({str(paper_id): json.loads(vector) for paper_id, vector in rows})
        return found

    async def count(self, terms: Mapping[str, Mapping[str, float]], words: Mapping[str, str]) -> TermCounts:
        """Count each of these papers (id → its stems) into the document frequencies, unless it was counted
        before; the frequencies of their stems after that, and how many papers are counted in all. `words`
        spells stems for people (a stem's first spelling is kept)."""
        async with self._db.transaction(lock="taste-terms") as tx:
            fresh = await _register(tx, list(terms))
            occurs = Counter(stem for paper_id in fresh for stem in terms[paper_id])
            pairs = sorted(occurs.items())
            for start in range(0, len(pairs), _CHUNK):
                chunk = pairs[start : start + _CHUNK]
                await tx.execute(
                    "INSERT INTO taste_terms (stem, papers, word) VALUES "
                    f"{', '.join('(?, ?, ?)' for _ in chunk)} "
                    "ON CONFLICT (stem) DO UPDATE SET papers = taste_terms.papers + excluded.papers",
                    [value for stem, n in chunk for value in (stem, n, words.get(stem, stem))],
                )
            stems = sorted({stem for counts in terms.values() for stem in counts})
            papers: dict[str, int] = {}
            for start in range(0, len(stems), _CHUNK):
                asked = stems[start : start + _CHUNK]
                rows = await tx.fetchall(
                    f"SELECT stem, papers FROM taste_terms WHERE stem IN ({', '.join('?' * len(asked))})", asked
                )
                papers.update({str(stem): int(n) for stem, n in rows})
            row = await tx.fetchone("SELECT count(*) FROM taste_papers")
        return TermCounts(papers, int(row[0]) if row else 0)

    async def counted(self) -> int:
        """How many papers are counted into the document frequencies."""
        row = await self._db.fetchone("SELECT count(*) FROM taste_papers")
        return int(row[0]) if row else 0

    async def save_vectors(self, vectors: Mapping[str, Vector]) -> None:
        """Keep these papers' vectors; a paper that has one already keeps it (another process made it first)."""
        rows = [(json.dumps(dict(vector), separators=(",", ":")), paper_id) for paper_id, vector in vectors.items()]
        async with self._db.transaction() as tx:
            await tx.executemany("UPDATE taste_papers SET vector = ? WHERE paper_id = ? AND vector IS NULL", rows)

    async def words(self, stems: Iterable[str]) -> dict[str, str]:
        """Each stem as people read it (a word of a paper it came from); a stem never counted is missing."""
        unique = sorted(set(stems))
        found: dict[str, str] = {}
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows = await self._db.fetchall(
                f"SELECT stem, word FROM taste_terms WHERE stem IN ({', '.join('?' * len(chunk))})", chunk
            )
            found.update({str(stem): str(word) for stem, word in rows})
        return found

    async def profile(self, ref: ChannelRef) -> TasteProfile | None:
        """The channel's whole profile; None when it has no votes."""
        return await read_profile(self._db, ref)

    async def tops(self, refs: Iterable[ChannelRef]) -> dict[ChannelRef, TasteTop]:
        """What planning needs of these channels' profiles (a channel without votes is missing): a few read by
        their key, many in one pass over the table."""
        wanted = {_key(ref): ref for ref in refs}
        if not wanted:
            return {}
        select = "SELECT platform, workspace, channel, top, mass, as_of FROM taste_profiles"
        if len(wanted) <= _BY_KEY:
            rows = [row for key in wanted for row in await self._db.fetchall(f"{select} WHERE {_KEY}", key)]
        else:
            rows = await self._db.fetchall(select)
        # decoding 10,000 profiles takes a tenth of a second: not on the event loop
        return await asyncio.to_thread(_tops, rows, wanted) if len(rows) > _BY_KEY else _tops(rows, wanted)

    async def channels_to_rebuild(self) -> list[ChannelRef] | None:
        """The channels whose profiles must be built from their votes (votes kept before profiles were, by the
        migration that brought them); None when there is nothing to build."""
        if await self._db.fetchone("SELECT 1 FROM markers WHERE name = ?", (REBUILD_MARKER,)) is None:
            return None
        rows = await self._db.fetchall("SELECT DISTINCT platform, workspace, channel FROM votes")
        return [_ref(row) for row in rows]

    async def rebuilt(self) -> None:
        """Every channel's profile is built: planning stops looking for channels to rebuild."""
        await self._db.execute("DELETE FROM markers WHERE name = ?", (REBUILD_MARKER,))


def _tops(
    rows: Sequence[Sequence[Any]], wanted: Mapping[tuple[str, str, str], ChannelRef]
) -> dict[ChannelRef, TasteTop]:
    found: dict[ChannelRef, TasteTop] = {}
    for platform, workspace, channel, top, mass, as_of in rows:
        ref = wanted.get((platform, workspace, channel))
        moment = parse_iso(as_of)
        if ref is not None and moment is not None:
            found[ref] = TasteTop(json.loads(top), float(mass), moment)
    return found


def profile_lock(ref: ChannelRef) -> str:
    """The lock every change of the channel's profile holds (across processes, on PostgreSQL)."""
    return f"taste {ref.platform.value} {ref.workspace} {ref.channel}"


async def read_profile(db: Queries, ref: ChannelRef) -> TasteProfile | None:
    row = await db.fetchone(f"SELECT weights, top, mass, votes, as_of FROM taste_profiles WHERE {_KEY}", _key(ref))
    if row is None:
        return None
    weights, top, mass, votes, as_of = row
    moment = parse_iso(as_of)
    assert moment is not None
    return TasteProfile(json.loads(weights), json.loads(top), float(mass), int(votes), moment)


async def write_profile(db: Queries, ref: ChannelRef, profile: TasteProfile | None) -> None:
    """Keep the channel's profile (None: it has no votes any more, so none)."""
    if profile is None:
        await db.execute(f"DELETE FROM taste_profiles WHERE {_KEY}", _key(ref))
        return
    await db.execute(
        "INSERT INTO taste_profiles (platform, workspace, channel, weights, top, mass, votes, as_of) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, channel) DO UPDATE SET "
        "weights = excluded.weights, top = excluded.top, mass = excluded.mass, votes = excluded.votes, "
        "as_of = excluded.as_of",
        (
            *_key(ref),
            _json(profile.weights),
            _json(profile.top),
            profile.mass,
            profile.votes,
            _moment(profile.as_of),
        ),
    )


async def _register(tx: Queries, paper_ids: Sequence[str]) -> list[str]:
    """Add these papers to the counted ones; those that were not counted before."""
    fresh: list[str] = []
    unique = list(dict.fromkeys(paper_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = await tx.fetchall(
            f"INSERT INTO taste_papers (paper_id) VALUES {', '.join('(?)' for _ in chunk)} "
            "ON CONFLICT (paper_id) DO NOTHING RETURNING paper_id",
            chunk,
        )
        fresh.extend(str(row[0]) for row in rows)
    return fresh


def _moment(at: datetime) -> str:
    """`2025-01-16T08:30:00.250000Z`: UTC to the microsecond (what is written reads back the same)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _json(weights: Mapping[str, float]) -> str:
    return json.dumps(dict(weights), separators=(",", ":"), ensure_ascii=False)


def _key(ref: ChannelRef) -> tuple[str, str, str]:
    return (ref.platform.value, ref.workspace, ref.channel)


def _ref(row: Sequence[Any]) -> ChannelRef:
    platform, workspace, channel = row
    return ChannelRef(Platform(platform), str(channel), str(workspace))
