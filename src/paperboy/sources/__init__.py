"""Paper sources: each fetches one day of papers and parses them into `Paper` values."""

from __future__ import annotations

from datetime import date
from typing import Protocol

import httpx

from paperboy.models import FetchedDay


class Source(Protocol):
    """A place papers come from. `fetch_day` raises `SourceError` when the day cannot be read."""

    name: str

    async def fetch_day(self, day: date) -> FetchedDay: ...

    async def probe(self) -> str:
        """One cheap request that shows the source answers; returns a short description of what it said."""
        ...


def unreachable(error: BaseException) -> bool:
    """Whether `error` came from not getting a connection at all (refused, unknown host, no route): asking
    the same source for another day would fail the same way. A 5xx, a timeout or a bad body is about one
    request, and says nothing about the next day.

    http.py words its errors for people and raises them `from None`; the transport error stays reachable as
    the exception's context, which is what is looked at here.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, httpx.ConnectError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
