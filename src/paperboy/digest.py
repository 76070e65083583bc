"""What a channel's digest holds, and the platform-neutral shape adapters render it from.

Papers for a digest: dated since the channel's previous digest (its first digest: the newest day that has
papers), matching its filter and minimum upvotes, never given to the channel before; best first (upvotes,
then the newer); cut at the channel's maximum, the rest counted as "and N more".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from paperboy.models import ChannelRef, Paper, Subscription
from paperboy.query import parse
from paperboy.store.filtering import CandidateIndex
from paperboy.store.ledger import ChannelKey, channel_key

SUMMARY_CHARS = 240
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True, slots=True)
class DigestItem:
    paper_id: str
    title: str
    authors: str
    upvotes: int
    summary: str
    url: str
    arxiv_url: str
    pdf_url: str
    code_url: str | None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest, ready for an adapter to turn into messages."""

    ref: ChannelRef
    day: date
    items: tuple[DigestItem, ...]
    left_out: int = 0
    filter: str | None = None
    resent: bool = False
    #: the ledger's id for this digest (None in a preview): adapters put it in message metadata
    id: int | None = None

    @property
    def title(self) -> str:
        count = len(self.items)
        what = f"{count} new paper{'s' if count != 1 else ''}" if count else "nothing new"
        return f"Papers for {self.day:%a %d %b %Y}: {what}" + (" (resent)" if self.resent else "")

    @property
    def more(self) -> str | None:
        """`and 7 more: /papers search diffusion since:2025-01-16`, when papers were left out."""
        if not self.left_out:
            return None
        query = f"{self.filter} since:{self.day.isoformat()}" if self.filter else f"since:{self.day.isoformat()}"
        return f"and {self.left_out} more: /papers search {query}"


@dataclass(frozen=True, slots=True)
class DigestPlan:
    subscription: Subscription
    day: date
    paper_ids: tuple[str, ...]
    left_out_ids: tuple[str, ...]


def one_line_summary(paper: Paper) -> str:
    """The AI summary when there is one, else the abstract's first sentence; never longer than a line or two."""
    text = (paper.ai_summary or _SENTENCE_END.split(paper.abstract.strip(), maxsplit=1)[0]).strip()
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def short_authors(authors: Sequence[str], most: int = 3) -> str:
    if not authors:
        return "authors unknown"
    if len(authors) <= most:
        return ", ".join(authors)
    return f"{', '.join(authors[:most])} and {len(authors) - most} more"


def item(paper: Paper, reasons: tuple[str, ...] = ()) -> DigestItem:
    return DigestItem(
        paper_id=paper.id,
        title=paper.title,
        authors=short_authors(paper.authors),
        upvotes=paper.upvotes or 0,
        summary=one_line_summary(paper),
        url=paper.url,
        arxiv_url=paper.arxiv_url,
        pdf_url=paper.pdf_url,
        code_url=paper.code_url,
        reasons=reasons,
    )


def paper_day(paper: Paper) -> date | None:
    """The day a paper is dated by (the store's rule): Daily Papers, else arXiv, else first seen."""
    if paper.daily_date is not None:
        return paper.daily_date
    moment = paper.published_at or paper.first_seen_at
    return moment.date() if moment else None


@dataclass(frozen=True, slots=True)
class Window:
    """One due subscription's view: the local day of the digest and the first paper day it covers."""

    subscription: Subscription
    day: date
    since: date


async def plan(
    windows: Sequence[Window], papers: Sequence[Paper], delivered: dict[ChannelKey, set[str]]
) -> list[DigestPlan]:
    """Choose each due channel's papers from `papers` (every paper dated since the earliest window). The
    matching runs in a worker thread: one scratch index for all the channels, each distinct filter once."""

    def run() -> list[DigestPlan]:
        index = CandidateIndex(papers)
        try:
            # relative dates in a filter (since:7d) count from the digest's day, so that is part of the key
            matched: dict[tuple[str | None, date], set[str]] = {}
            plans = []
            for window in windows:
                key = (window.subscription.filter, window.day)
                if key not in matched:
                    text = window.subscription.filter
                    matched[key] = set(index.matching(parse(text), window.day) if text else (p.id for p in papers))
                seen = delivered.get(channel_key(window.subscription.ref), set())
                plans.append(_choose(window, papers, matched[key], seen))
            return plans
        finally:
            index.close()

    return await asyncio.to_thread(run)


def _choose(window: Window, papers: Sequence[Paper], matching: set[str], delivered: set[str]) -> DigestPlan:
    subscription = window.subscription
    eligible = [
        p
        for p in papers
        if p.id in matching
        and p.id not in delivered
        and (paper_day(p) or window.since) >= window.since
        and (p.upvotes or 0) >= subscription.min_upvotes
    ]
    eligible.sort(key=lambda p: (p.upvotes or 0, paper_day(p) or date.min, p.id), reverse=True)
    chosen = eligible[: subscription.max_papers]
    rest = eligible[subscription.max_papers :]
    return DigestPlan(subscription, window.day, tuple(p.id for p in chosen), tuple(p.id for p in rest))
