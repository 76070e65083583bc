"""What a channel's digest holds, and the platform-neutral shape adapters render it from.

Papers for a digest: dated since the channel's previous digest (its first digest: the newest day that has
papers; a weekly digest: the week before its day), matching its filter and minimum upvotes, never given to the
channel before; best first (upvotes, then the newer; with the channel's taste, when it has one, blended into the
upvotes: `taste.py`); cut at the channel's maximum, the rest counted as "and N more". `ineligible` is that rule,
the only copy: planning applies it, and `/papers why` explains a paper with it.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from paperboy.bylines import short_authors
from paperboy.links import search_command
from paperboy.models import ChannelRef, DigestKind, Paper, Subscription
from paperboy.query import parse
from paperboy.store.filtering import CandidateIndex
from paperboy.store.ledger import ChannelKey, channel_key
from paperboy.taste import Tastes

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
    #: the channel's weekly digest: the best papers of the week up to `day`
    weekly: bool = False

    @property
    def title(self) -> str:
        count = len(self.items)
        what = f"{count} new paper{'s' if count != 1 else ''}" if count else "nothing new"
        when = f"the week to {self.day:%a %d %b %Y}" if self.weekly else f"{self.day:%a %d %b %Y}"
        return f"Papers for {when}: {what}" + (" (resent)" if self.resent else "")

    @property
    def more(self) -> str | None:
        """`and 7 more: /papers search more:123`, when papers were left out: that search finds exactly them,
        best first, whenever it is run. A preview (no id yet) just counts them."""
        return self.more_text()

    def more_text(self, *, chat: bool = True) -> str | None:
        """`more`, with the search said as a chat command, or (`chat` false) as the CLI's."""
        if not self.left_out:
            return None
        if self.id is None:
            return f"and {self.left_out} more"
        return f"and {self.left_out} more: {search_command(f'more:{self.id}', chat=chat)}"


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The papers chosen for one window, best first, and the ones that matched beyond the maximum."""

    window: Window
    paper_ids: tuple[str, ...]
    left_out_ids: tuple[str, ...]

    @property
    def subscription(self) -> Subscription:
        return self.window.subscription

    @property
    def day(self) -> date:
        return self.window.day


@dataclass(frozen=True, slots=True)
class PlanFailure:
    """A window whose papers could not be chosen (its filter does not read, say); the others are unaffected."""

    window: Window
    error: Exception


def one_line_summary(paper: Paper) -> str:
    """The AI summary when there is one, else the abstract's first sentence; never longer than a line or two."""
    text = (paper.ai_summary or _SENTENCE_END.split(paper.abstract.strip(), maxsplit=1)[0]).strip()
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


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
    """One subscription's next digest: its local day, the first paper day it covers, and its kind."""

    subscription: Subscription
    day: date
    since: date
    kind: DigestKind = DigestKind.SCHEDULED


def ineligible(window: Window, paper: Paper, *, matches: bool, given: bool) -> str | None:
    """Why `paper` cannot be in `window`'s digest, in words; None when it can (then only its rank among the
    others decides whether it is listed or counted in "and N more"). `matches`: it meets the filter;
    `given`: the channel was given it (or shown it as left out) before."""
    subscription = window.subscription
    if given:
        return "this channel was given it before"
    if not matches:
        return f"it does not match this channel's filter: {subscription.filter}"
    dated = paper_day(paper)
    if dated is not None and dated < window.since:
        return f"it is dated {dated}, before the papers the next digest covers (from {window.since} on)"
    if (paper.upvotes or 0) < subscription.min_upvotes:
        return f"it has {paper.upvotes or 0} upvotes; this channel asks for at least {subscription.min_upvotes}"
    return None


def rank_key(paper: Paper) -> tuple[int, date, str]:
    """Best first when sorted in reverse: upvotes, then the newer, then the higher id (a stable order)."""
    return (paper.upvotes or 0, paper_day(paper) or date.min, paper.id)


def by_taste(papers: Sequence[Paper], taste: Mapping[str, float], weight: float) -> list[Paper]:
    """The papers best first, by `rank_key` with the channel's taste blended into the upvotes (`taste.py` says
    how). Sorted by precomputed keys: this runs for every paper of every channel with a taste."""
    logs = [math.log1p(p.upvotes or 0) for p in papers]
    span = max(max(logs, default=0.0) - min(logs, default=0.0), 1.0)
    lift, liking = weight * span, taste.get
    keyed = [
        (up + lift * liking(p.id, 0.0), paper_day(p) or date.min, p.id, p) for up, p in zip(logs, papers, strict=True)
    ]
    keyed.sort(key=itemgetter(0, 1, 2), reverse=True)
    return [item[3] for item in keyed]


async def plan(
    windows: Sequence[Window],
    papers: Sequence[Paper],
    delivered: dict[ChannelKey, set[str]],
    tastes: Tastes | None = None,
) -> list[DigestPlan | PlanFailure]:
    """Choose each window's papers from `papers` (every paper dated since the earliest window). The matching
    runs in a worker thread: one scratch index for all the channels, each distinct filter once; with `tastes`,
    the channels' tastes score the papers there too, blended into their order. Whatever goes wrong for one
    window (a filter that does not read, a bug) is that window's `PlanFailure` only."""

    def run() -> list[DigestPlan | PlanFailure]:
        by_id = {p.id: p for p in papers}
        with CandidateIndex(papers) as index:
            # relative dates in a filter (since:7d) count from the digest's day, so that is part of the key
            matched: dict[tuple[str | None, date], set[str] | Exception] = {}
            # each filter's papers, in the order given: what `choose` goes through (not every candidate)
            listed: dict[tuple[str | None, date], list[Paper]] = {}
            plans: list[DigestPlan | PlanFailure] = []
            for window in windows:
                key = (window.subscription.filter, window.day)
                if key not in matched:
                    ids = _matching(index, window, papers)
                    matched[key] = ids if isinstance(ids, Exception) else set(ids)
                    listed[key] = [] if isinstance(ids, Exception) else [by_id[paper_id] for paper_id in ids]
                found = matched[key]
                if isinstance(found, Exception):
                    plans.append(PlanFailure(window, found))
                    continue
                seen = delivered.get(channel_key(window.subscription.ref), set())
                plans.append(choose(window, listed[key], found, seen, _scores(tastes, window)))
            return plans

    return await asyncio.to_thread(run)


def _matching(index: CandidateIndex, window: Window, papers: Sequence[Paper]) -> list[str] | Exception:
    """The ids of the papers the window's filter matches, in the order of `papers`; the error when it cannot."""
    text = window.subscription.filter
    try:
        return index.matching(parse(text), window.day) if text else [p.id for p in papers]
    except Exception as error:  # one channel's filter must not stop the others' digests
        return error


def _scores(tastes: Tastes | None, window: Window) -> Mapping[str, float] | None:
    """The window's taste of each candidate, when its channel has one and wants it."""
    subscription = window.subscription
    if tastes is None or not subscription.taste or subscription.taste_weight <= 0:
        return None
    return tastes.scores(subscription.ref)


def choose(
    window: Window,
    papers: Sequence[Paper],
    matching: set[str],
    given: set[str],
    taste: Mapping[str, float] | None = None,
) -> DigestPlan:
    """The window's digest: every paper `ineligible` lets through, best first (with `taste`, each paper's
    taste blended in: `by_taste`), cut at the maximum."""
    # the set lookups first: most papers fail them, and this runs for every paper of every channel
    candidates = [p for p in papers if p.id in matching and p.id not in given]
    eligible = [p for p in candidates if ineligible(window, p, matches=True, given=False) is None]
    if taste is None or len(eligible) < 2:  # (one paper or none: no order for taste to change)
        eligible.sort(key=rank_key, reverse=True)
    else:
        eligible = by_taste(eligible, taste, window.subscription.taste_weight)
    most = window.subscription.max_papers
    return DigestPlan(window, tuple(p.id for p in eligible[:most]), tuple(p.id for p in eligible[most:]))
