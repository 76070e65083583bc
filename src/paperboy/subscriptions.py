"""Channels joining and leaving the feed, and changing what and when they get: the calls every adapter makes.

Input comes as the text people type (`"09:30"`, `"Europe/Berlin"`, `"mon-fri"`, a query); it is checked
here, once, and refused in one sentence naming the setting. A filter is stored in its canonical spelling, so
a channel never holds a filter that does not parse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from paperboy.clock import Clock, SystemClock
from paperboy.config import DigestSettings
from paperboy.errors import NotSubscribed, QueryError, UserInputError
from paperboy.feeds import FeedAddress, feed_address, replace_feed_address
from paperboy.models import ChannelRef, PauseCause, Platform, Subscription, webhook_kind
from paperboy.planning import Planner, Verdict
from paperboy.query import parse, render
from paperboy.query.ast import Match, walk
from paperboy.schedule import Schedule
from paperboy.service import PaperService
from paperboy.store import Store
from paperboy.taste import DEFAULT_WEIGHT, HALF_LIFE_DAYS, HORIZON_HALF_LIVES, MAX_WEIGHT, Taste
from paperboy.timespec import parse_clock, parse_days, parse_timezone

MAX_PAPERS = 50
#: the platforms whose digests carry rating buttons (bot digests; a webhook or a terminal cannot be clicked)
RATED_PLATFORMS = frozenset({Platform.SLACK, Platform.DISCORD})
MAX_MIN_UPVOTES = 100_000
_MAX_CHANNEL = 200
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class TasteReport:
    """A channel's taste as `/papers taste` shows it: its settings, and what it learned (None: no votes)."""

    subscription: Subscription
    learned: Taste | None

    def describe(self, count: int = 8) -> str:
        """In a few sentences: the votes it learned from, the words for and against, how much it counts."""
        s, taste = self.subscription, self.learned
        if taste is None and s.ref.platform not in RATED_PLATFORMS:
            learned = (
                f"No votes: {s.ref.platform.value} digests have no rating buttons (a Slack or Discord bot's do), "
                "so this channel's order is upvotes and recency."
            )
        elif taste is None:
            learned = (
                "No votes yet: rate papers in this channel's digest with 👍 or 👎, and its order will follow what "
                "this channel likes."
            )
        else:
            liked, disliked = taste.leaning(count)
            votes = f"{taste.votes} vote{'s' if taste.votes != 1 else ''} ({taste.up} 👍, {taste.down} 👎)"
            members = f"{taste.members} member{'s' if taste.members != 1 else ''}"
            counting = (
                "newer votes counting more"
                if taste.strength
                else f"all older than {HALF_LIFE_DAYS * HORIZON_HALF_LIVES:.0f} days, so they count for nothing now"
            )
            learned = (
                f"Learned from {votes} by {members}, {counting}. "
                f"For: {', '.join(liked) or 'nothing yet'}. Against: {', '.join(disliked) or 'nothing yet'}."
            )
        if not s.taste:
            counts = "Taste is off: the digest is ordered by upvotes alone."
        else:
            counts = f"Taste counts in the digest's order with weight {s.taste_weight:g} (1: as much as upvotes)."
        return f"{learned} {counts}"


class SubscriptionService:
    def __init__(
        self, store: Store, defaults: DigestSettings, clock: Clock | None = None, *, feed_base_url: str = ""
    ) -> None:
        self._store = store
        self._defaults = defaults
        self._clock = clock or SystemClock()
        #: `feeds.base_url`: where feed addresses start (empty: not known)
        self._feed_base_url = feed_base_url

    async def subscribe(
        self,
        ref: ChannelRef,
        *,
        by: str,
        filter: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        max_papers: int | None = None,
        min_upvotes: int | None = None,
        post_empty: bool | None = None,
        taste: bool | None = None,
        taste_weight: float | None = None,
    ) -> Subscription:
        """Subscribe `ref`, or change the settings given of the subscription it has (the others stay); a paused
        subscription is resumed."""
        _check_channel(ref)
        now = self._clock.now()
        existing = await self._store.subscriptions.get(ref)
        base = existing or Subscription(
            ref=ref,
            schedule=Schedule(
                self._defaults.time, self._defaults.timezone, self._defaults.days.weekdays, self._defaults.days.weekly
            ),
            max_papers=self._defaults.max_papers,
            created_by=by,
            created_at=now,
        )
        changed = replace(
            base,
            schedule=_schedule(base.schedule, time, timezone, days),
            filter=_filter(filter) if filter is not None else base.filter,
            max_papers=_between("max", max_papers, 1, MAX_PAPERS) if max_papers is not None else base.max_papers,
            min_upvotes=(
                _between("min upvotes", min_upvotes, 0, MAX_MIN_UPVOTES)
                if min_upvotes is not None
                else base.min_upvotes
            ),
            post_empty=base.post_empty if post_empty is None else post_empty,
            taste=base.taste if taste is None else taste,
            taste_weight=base.taste_weight if taste_weight is None else _weight(taste_weight),
            paused_reason=None,  # subscribing again is asking for digests again
            paused_cause=None,
            updated_by=by,
            updated_at=now,
        )
        return await self._store.subscriptions.save(changed)

    async def unsubscribe(self, ref: ChannelRef) -> Subscription:
        """Remove the channel's subscription; the papers it was sent stay recorded, so a later subscription
        does not send them again."""
        subscription = await self._store.subscriptions.get(ref)
        if subscription is None:  # nothing to undo: not "subscribe it first"
            raise NotSubscribed(f"{ref} is not subscribed, so there is nothing to unsubscribe")
        await self._store.subscriptions.delete(ref)
        return subscription

    async def set_filter(self, ref: ChannelRef, text: str, *, by: str) -> Subscription:
        """Set the channel's filter; a subscription paused because its old filter no longer read resumes."""
        query = _filter(text)
        return await self._save(_unpaused_by_filter(replace(await self.get(ref), filter=query)), by)

    async def clear_filter(self, ref: ChannelRef, *, by: str) -> Subscription:
        return await self._save(_unpaused_by_filter(replace(await self.get(ref), filter=None)), by)

    async def set_schedule(
        self, ref: ChannelRef, *, by: str, time: str | None = None, timezone: str | None = None, days: str | None = None
    ) -> Subscription:
        subscription = await self.get(ref)
        return await self._save(
            replace(subscription, schedule=_schedule(subscription.schedule, time, timezone, days)), by
        )

    async def get(self, ref: ChannelRef) -> Subscription:
        subscription = await self._store.subscriptions.get(ref)
        if subscription is None:
            raise _not_subscribed(ref)
        return subscription

    async def why(self, ref: ChannelRef, paper_text: str) -> Verdict:
        """Would this paper be (or was it) posted in this channel, and if not, which rule stops it. The answer
        comes from the plan `/papers preview` shows, so the two agree."""
        subscription = await self.get(ref)
        paper = await PaperService(self._store).paper(paper_text)
        return await Planner(self._store, self._clock).explain(subscription, paper)

    async def feed(self, ref: ChannelRef) -> FeedAddress:
        """The address of the channel's Atom feed, made the first time it is asked for. Whoever may see it may
        read the feed: callers show it only to those who may change the channel's feed."""
        address = await feed_address(self._store, ref, self._feed_base_url, self._clock.now())
        if address is None:
            raise _not_subscribed(ref)
        return address

    async def replace_feed(self, ref: ChannelRef, *, by: str) -> FeedAddress:
        """A new address for the channel's Atom feed; the old one answers 404 from now on. The subscription
        records who changed it (`paperboy subscriptions` shows who changed a channel's settings last)."""
        subscription = await self.get(ref)
        address = await replace_feed_address(self._store, ref, self._feed_base_url, self._clock.now())
        if address is None:
            raise _not_subscribed(ref)
        await self._save(subscription, by)
        return address

    async def taste(self, ref: ChannelRef) -> TasteReport:
        """What the channel's taste has learned from its votes, as its next digest would use it."""
        subscription = await self.get(ref)
        learned = await Planner(self._store, self._clock).taste(subscription)
        return TasteReport(subscription, learned)

    async def reset_taste(self, ref: ChannelRef, *, by: str) -> int:
        """Forget the channel's votes, and with them its taste; how many votes there were. The subscription
        records who did it."""
        subscription = await self.get(ref)
        forgotten = await self._store.votes.forget(ref)  # and the profile learned from them
        await self._save(subscription, by)
        return forgotten

    async def list(self, platform: Platform | None = None, workspace: str | None = None) -> list[Subscription]:
        return await self._store.subscriptions.list(platform, workspace)

    async def _save(self, subscription: Subscription, by: str) -> Subscription:
        changed = replace(subscription, updated_by=by, updated_at=self._clock.now())
        return await self._store.subscriptions.save(changed)


def _not_subscribed(ref: ChannelRef) -> NotSubscribed:
    return NotSubscribed(f"{ref} is not subscribed; subscribe it first (paperboy subscribe, /papers subscribe)")


def _check_channel(ref: ChannelRef) -> None:
    channel = ref.channel.strip()
    if not channel or len(channel) > _MAX_CHANNEL or any(c.isspace() for c in channel):
        raise UserInputError(f'"{ref.channel[:40]}" is not a channel id; give the channel\'s id, without spaces')
    if ref.platform is Platform.WEBHOOK:
        if not channel.startswith(("https://", "http://")):
            raise UserInputError("a webhook channel is its incoming-webhook URL, starting with https:// (or http://)")
        try:
            webhook_kind(channel)
        except ValueError as error:
            raise UserInputError(f"the channel URL is {error}") from None
    if ref.platform is Platform.SLACK and not _SLACK_CHANNEL.fullmatch(channel):
        raise UserInputError(
            f'"{channel}" is not a Slack channel id; they look like C0123ABCD (see the channel\'s details)'
        )
    if ref.platform is Platform.DISCORD and not channel.isdigit():
        raise UserInputError(f'"{channel}" is not a Discord channel id; Discord ids are numbers, like 1234567890123')


def _filter(text: str) -> str:
    """The filter's canonical text; a query that only makes sense as a one-off search is refused."""
    tree = parse(text)
    if any(isinstance(node, Match) and node.field.value == "more" for node in walk(tree)):
        raise QueryError("more: finds the papers one digest left out; it has no place in a channel's filter")
    return render(tree)


def _unpaused_by_filter(subscription: Subscription) -> Subscription:
    if subscription.paused_cause is PauseCause.FILTER:
        return replace(subscription, paused_reason=None, paused_cause=None)
    return subscription


def _schedule(base: Schedule, time: str | None, timezone: str | None, days: str | None) -> Schedule:
    try:
        at = parse_clock(time) if time is not None else base.at
    except ValueError as error:
        raise UserInputError(f"time: {error}") from None
    try:
        zone = parse_timezone(timezone) if timezone is not None else base.timezone
    except ValueError as error:
        raise UserInputError(f"time zone: {error}") from None
    try:
        weekdays, weekly = parse_days(days) if days is not None else (base.days, base.weekly)
    except ValueError as error:
        raise UserInputError(f"days: {error}") from None
    return Schedule(at, zone, weekdays, weekly)


def _weight(value: float) -> float:
    if not (math.isfinite(value) and 0 <= value <= MAX_WEIGHT):
        raise UserInputError(f"taste weight must be between 0 and {MAX_WEIGHT:g}, not {value:g}")
    return float(value)


def _between(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise UserInputError(f"{name} must be between {low} and {high}, not {value}")
    return value


def describe(s: Subscription) -> str:
    """`slack:T1/C2: 09:00 UTC, mon-fri; filter: diffusion -video; up to 10 papers` (+ what is unusual)."""
    parts = [s.schedule.describe(), f"filter: {s.filter}" if s.filter else "no filter (every paper)"]
    parts.append(f"up to {s.max_papers} paper{'s' if s.max_papers != 1 else ''}")
    if s.min_upvotes:
        parts.append(f"at least {s.min_upvotes} upvote{'s' if s.min_upvotes != 1 else ''}")
    if s.post_empty:
        parts.append("posts on empty days")
    if not s.taste:
        parts.append("taste off")
    elif s.taste_weight != DEFAULT_WEIGHT:
        parts.append(f"taste weight {s.taste_weight:g}")
    if s.paused_reason:
        parts.append(f"PAUSED: {s.paused_reason}")
    elif s.last_error:
        parts.append(f"PROBLEM: {s.last_error}")
    return f"{s.ref}: {'; '.join(parts)}"
