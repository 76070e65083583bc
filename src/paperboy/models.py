"""The values the core hands around: papers and what fetching and storing them produced."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from paperboy.schedule import Schedule

HF_PAPER_URL = "https://huggingface.co/papers/{id}"
ARXIV_ABS_URL = "https://arxiv.org/abs/{id}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{id}"


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper, keyed by its arXiv id without version.

    `None` means "this source does not say": merging two sightings of a paper keeps the known value.
    """

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    #: the day the paper entered Hugging Face Daily Papers
    daily_date: date | None = None
    upvotes: int | None = None
    comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    categories: tuple[str, ...] = ()
    version: int | None = None
    sources: frozenset[str] = frozenset()
    first_seen_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def url(self) -> str:
        """The Hugging Face paper page, the link paperboy shows first."""
        return HF_PAPER_URL.format(id=self.id)

    @property
    def arxiv_url(self) -> str:
        return ARXIV_ABS_URL.format(id=self.id)

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF_URL.format(id=self.id)

    @property
    def code_url(self) -> str | None:
        return self.github_repo


@dataclass(frozen=True, slots=True)
class FetchedDay:
    """What one source said about one day: the papers it parsed, and how many items it had to skip."""

    source: str
    day: date
    papers: tuple[Paper, ...] = ()
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """How a batch of papers changed the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged)


@dataclass(frozen=True, slots=True)
class DayReport:
    """The outcome of ingesting one (source, day): counts, or the error that stopped it."""

    source: str
    day: date
    counts: UpsertCounts = UpsertCounts()
    skipped: int = 0
    error: str | None = None
    #: the source itself could not be reached (connection refused, unknown host), not just this day
    unreachable: bool = False
    #: false for a day not asked for because the source had already proved out of reach in the same run
    asked: bool = True


@dataclass(frozen=True, slots=True)
class IngestReport:
    days: tuple[DayReport, ...] = field(default_factory=tuple)

    @property
    def counts(self) -> UpsertCounts:
        total = UpsertCounts()
        for day in self.days:
            total = total + day.counts
        return total

    @property
    def skipped(self) -> int:
        return sum(day.skipped for day in self.days)

    @property
    def errors(self) -> tuple[DayReport, ...]:
        return tuple(day for day in self.days if day.error is not None)

    @property
    def answered(self) -> bool:
        """Whether at least one day was fetched: the source works, even if some day of it failed."""
        return any(day.error is None for day in self.days)


class Sort(Enum):
    """How search results are ordered."""

    RELEVANCE = "relevance"  # best match first, gently boosted by upvotes and recency (store/ranking.py)
    UPVOTES = "upvotes"
    NEWEST = "newest"


#: snippet markers: characters no abstract contains, turned into each platform's markup by `Snippet.marked`
MARK_START, MARK_END = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class Snippet:
    """A stretch of the abstract with the matched words marked."""

    text: str

    def marked(self, start: str = "**", end: str = "**") -> str:
        """The snippet with each matched word between `start` and `end` (`**word**`, `*word*`, `<b>word</b>`)."""
        return self.text.replace(MARK_START, start).replace(MARK_END, end)

    @property
    def plain(self) -> str:
        return self.marked("", "")


@dataclass(frozen=True, slots=True)
class PartialMatch:
    """A search result that holds `held` of the query's `of` words, listed after those holding all of them."""

    held: int
    of: int

    @property
    def label(self) -> str:
        """What a divider before such results says: `Partial matches (2 of 3 words)`."""
        return f"Partial matches ({self.held} of {self.of} words)"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the paper, its score (higher is better) and a snippet of its abstract. `partial` says
    how many of the query's words it holds when not all of them (see `store/partial.py`)."""

    paper: Paper
    score: float
    snippet: Snippet = Snippet("")
    partial: PartialMatch | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results; `has_more` says whether asking for the next offset would give more. `hints` are
    sentences for the person who typed the query (`did you mean OR?`, a paper asked for by id that is not in the
    database): each surface shows them beside the results."""

    hits: tuple[SearchHit, ...]
    offset: int
    has_more: bool
    hints: tuple[str, ...] = ()

    def divider(self, index: int) -> PartialMatch | None:
        """The partial matches that start at `hits[index]` (on this page), for a divider before it; else None."""
        partial = self.hits[index].partial
        return partial if partial is not None and (index == 0 or self.hits[index - 1].partial != partial) else None


class Platform(Enum):
    """Where a channel lives, and so which adapter sends its digests."""

    DISCORD = "discord"
    SLACK = "slack"
    CONSOLE = "console"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """One channel: its platform, its workspace (Slack team or Discord guild id; empty when there is none)
    and its id (for `webhook`, the incoming-webhook URL; for `console`, any name)."""

    platform: Platform
    channel: str
    workspace: str = ""

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.workspace + '/' if self.workspace else ''}{self.shown_channel}"

    @property
    def shown_channel(self) -> str:
        """The channel as it may be shown or logged. A webhook URL holds its secret, so only its host shows,
        with a short fingerprint of the whole URL that tells two webhooks on one host apart:
        `https://discord.com/…#3f9a1c0b`. The same URL always has the same fingerprint."""
        if self.platform is Platform.WEBHOOK:
            scheme, _, rest = self.channel.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}/…#{webhook_fingerprint(self.channel)}"
        return self.channel


def webhook_kind(url: str) -> str:
    """`discord` or `slack`, from the URL's path; ValueError for anything else."""
    path = urlsplit(url).path
    if path.startswith("/api/webhooks/"):
        return "discord"
    if path.startswith("/services/"):
        return "slack"
    raise ValueError("not a Discord (…/api/webhooks/…) or Slack (…/services/…) incoming-webhook URL")


def webhook_fingerprint(url: str) -> str:
    """Eight hex digits of the URL's SHA-256: stable, and no help in guessing the secret."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Installation:
    """paperboy added to one workspace through the platform's install flow (Slack OAuth): the workspace's own
    bot token and what else the platform said, kept as the platform's fields (`record`, tokens included)."""

    platform: Platform
    workspace: str
    record: dict[str, Any]
    installed_at: datetime
    #: the Enterprise Grid organisation, when there is one
    enterprise: str = ""


class Rating(Enum):
    """A member's vote on a paper of a channel's digest."""

    UP = 1
    DOWN = -1


@dataclass(frozen=True, slots=True)
class Vote:
    """One member's rating of one paper in one channel, as last given (clicking again changes or withdraws it:
    a withdrawn vote is no `Vote` at all). `member` is the platform's user id; `at` when it was last set."""

    ref: ChannelRef
    paper_id: str
    member: str
    rating: Rating
    at: datetime


@dataclass(frozen=True, slots=True)
class TasteProfile:
    """A channel's taste as kept between digests (`taste.py` learns it): the sum of the vectors of the papers its
    members voted on, each vote weighed by its age as of `as_of`, 👍 adding and 👎 taking away. Every vote changes
    it (`taste.fold`); since all votes age alike, its direction holds until the next vote.

    `weights` are the kept terms (the heaviest `taste.KEPT_TERMS`), `top` the `taste.PROFILE_TERMS` heaviest scaled
    to unit length (what digests are scored with), `mass` the sum of the votes' weights as of `as_of`, `votes`
    how many votes it holds."""

    weights: Mapping[str, float]
    top: Mapping[str, float]
    mass: float
    votes: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class TasteTop:
    """What planning reads of a channel's `TasteProfile`: its top terms, its mass and when that was."""

    top: Mapping[str, float]
    mass: float
    as_of: datetime


@dataclass(frozen=True, slots=True)
class VoteCount:
    """The group's current ratings of one paper in one channel."""

    up: int = 0
    down: int = 0


class PauseCause(Enum):
    """Why a subscription is paused, which says what resumes it."""

    #: the platform refused the channel (gone, forbidden, uninstalled): subscribing again resumes it
    CHANNEL = "channel"
    #: its filter no longer reads (written by an older paperboy, say): setting or clearing the filter resumes it
    FILTER = "filter"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's place in the feed: what it wants (filter, thresholds) and when (schedule)."""

    ref: ChannelRef
    schedule: Schedule
    max_papers: int
    filter: str | None = None  # canonical query text
    min_upvotes: int = 0
    post_empty: bool = False
    #: the digest's order follows the channel's taste (learned from its votes; no votes: no change) …
    taste: bool = True
    #: … this much against upvotes and recency (0: not at all; 1: as much as a paper's upvotes; up to 10)
    taste_weight: float = 1.0
    paused_reason: str | None = None
    paused_cause: PauseCause | None = None
    #: the last problem its digests had (a digest not sent yet, or given up), until one is sent again
    last_error: str | None = None
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    id: int | None = None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None


class DigestState(Enum):
    PLANNED = "planned"  # papers chosen and recorded; nothing sent yet
    SENDING = "sending"  # a send was started: it may have reached the channel
    SENT = "sent"
    EMPTY = "empty"  # nothing new and the channel does not want empty digests: nothing to send
    FAILED = "failed"  # given up: refused for good, tries used up, or paperboy's own bug (see `error`)


class DigestKind(Enum):
    SCHEDULED = "scheduled"  # the one digest of a local day, at the channel's post time
    NOW = "now"  # asked for at once (`paperboy digest --now`); uses up no scheduled digest


@dataclass(frozen=True, slots=True)
class PlannedDigest:
    """A digest as the ledger holds it: for which channel and day, which papers in which order."""

    id: int
    ref: ChannelRef
    day: date
    state: DigestState
    paper_ids: tuple[str, ...]
    left_out: int
    planned_at: datetime
    message_ids: tuple[str, ...] = ()
    kind: DigestKind = DigestKind.SCHEDULED
    #: sends that failed so far, and when the next may be tried
    attempts: int = 0
    next_attempt_at: datetime | None = None
