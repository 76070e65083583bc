"""Paper sources: each fetches one day of papers and parses them into `Paper` values."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from paperboy.models import FetchedDay


class Source(Protocol):
    """A place papers come from. `fetch_day` raises `SourceError` when the day cannot be read."""

    name: str

    async def fetch_day(self, day: date) -> FetchedDay: ...

    async def probe(self) -> str:
        """One cheap request that shows the source answers; returns a short description of what it said."""
        ...
