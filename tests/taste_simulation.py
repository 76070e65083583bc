"""The taste evaluation: simulated channels with a hidden interest get a digest a day from a stream of papers,
and their members vote on it; precision@5 of each day's digest in upvote order (as before taste) and with taste.
bench/taste.py prints the figures; tests/test_taste_simulation.py holds a floor on them.

- **Papers**: the 203 real papers of the shared corpus (tests/data/papers.json), shuffled into `DAYS` days
  (about 10 a day), each day padded with `fillers` synthetic papers about other subjects: each one's title and
  abstract are words drawn again (with replacement) from those of one real paper that no topic grades at all,
  so a filler is about one thing, as a paper is, and that thing is none of the topics. (bench/synthetic.py's
  papers, drawn from the whole corpus' words, were tried first: each is a little about every topic, which no
  real paper is.) Upvotes are drawn for every paper from one heavy-tailed law, independent of its topic, so
  that the upvote order is a fair "what everyone reads" baseline.
- **Interest**: a channel's hidden interest is `TOPICS_PER_CHANNEL` of the 13 hand-graded topics of the
  relevance evaluation (tests/data/relevance.json); a paper is relevant to it when graded 2 or 3 (a main part
  of the paper, or its subject) for one of them. Fillers are relevant to nobody.
- **Members**: `MEMBERS` (3 to 8) per channel; each sees the digest's papers and, independently, votes 👍 on a
  relevant paper with chance `UP_IF_RELEVANT` (👎 with `DOWN_IF_RELEVANT`: noise), 👎 on another with chance
  `DOWN_IF_NOT` (👍 with `UP_IF_NOT`), and else not at all. A member's draw for a paper is the same in both
  orders, so the two arms differ only in what they show. Votes are cast at noon of the digest's day, each
  through `Learner.rate` into a real SQLite store (the vote and the channel's profile change together, as a
  click does), and the next digest (at 08:00) reads the profiles through `Learner.tastes` and `digest.plan`, as
  planning does.
- **Score**: precision@5 of each digest: the share of its 5 papers relevant to the channel, averaged over the
  channels; with it the ceiling (the share a perfect order would reach that day: fewer than 5 relevant papers
  in a day's candidates cap it).
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from paperboy.digest import DigestPlan, Window, plan
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Paper, Platform, Rating, Subscription, Vote
from paperboy.schedule import Schedule
from paperboy.store import Store
from paperboy.taste import DEFAULT_WEIGHT
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers

ROOT = Path(__file__).resolve().parent.parent
JUDGMENTS = ROOT / "tests" / "data" / "relevance.json"
DAYS = 20
FIRST_DAY = date(2026, 3, 2)
DIGEST = 5
#: graded this or better for a topic: the paper is about it
RELEVANT = 2
TOPICS_PER_CHANNEL = 3
MEMBERS = (3, 8)
UP_IF_RELEVANT = 0.5
DOWN_IF_RELEVANT = 0.03
DOWN_IF_NOT = 0.15
UP_IF_NOT = 0.04
#: the days whose digests the goal is judged on: after the first 10
JUDGED_FROM = 10


@dataclass(frozen=True, slots=True)
class Channel:
    ref: ChannelRef
    topics: tuple[str, ...]
    members: tuple[str, ...]
    relevant: frozenset[str]


@dataclass(frozen=True, slots=True)
class Day:
    """One day's digests: precision@5 in upvote order, with taste, and the best any order could do."""

    day: int
    upvotes: float
    taste: float
    ceiling: float


@dataclass(frozen=True, slots=True)
class Outcome:
    days: tuple[Day, ...]
    channels: int
    papers: int
    votes: int

    def judged(self, arm: str) -> float:
        """Mean precision@5 of an arm (`upvotes`, `taste`, `ceiling`) over the days after `JUDGED_FROM`."""
        later = [d for d in self.days if d.day > JUDGED_FROM]
        return sum(float(getattr(d, arm)) for d in later) / len(later)


def topics(least: int = RELEVANT) -> dict[str, frozenset[str]]:
    """Each topic's papers graded `least` or better, by title."""
    judged = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["topics"]
    return {
        t["query"]: frozenset(title for grade, titles in t["grades"].items() if int(grade) >= least for title in titles)
        for t in judged
    }


def stream(fillers: int, seed: int) -> list[list[Paper]]:
    """`DAYS` days of papers: the corpus shuffled, `fillers` synthetic papers a day, fresh ids and upvotes."""
    rng = random.Random(seed)
    real = corpus_papers()
    rng.shuffle(real)
    graded = frozenset().union(*topics(least=1).values())
    others = [p for p in real if p.title not in graded]
    synthetic = [_filler(n, rng.choice(others), rng) for n in range(fillers * DAYS)]
    days: list[list[Paper]] = []
    for n in range(DAYS):
        day = FIRST_DAY + timedelta(days=n)
        papers = [*real[n::DAYS], *synthetic[n * fillers : (n + 1) * fillers]]
        days.append([replace(p, daily_date=day, published_at=None, upvotes=_upvotes(rng)) for p in papers])
    return days


def channels(count: int, seed: int) -> list[Channel]:
    rng = random.Random(seed)
    by_topic = topics()
    made = []
    for n in range(count):
        chosen = tuple(sorted(rng.sample(sorted(by_topic), TOPICS_PER_CHANNEL)))
        members = tuple(f"U{n}-{m}" for m in range(rng.randint(*MEMBERS)))
        relevant = frozenset().union(*(by_topic[t] for t in chosen))
        made.append(Channel(ChannelRef(Platform.SLACK, f"C{n:04d}", "T1"), chosen, members, relevant))
    return made


async def simulate(
    channel_count: int = 30, fillers: int = 15, seed: int = 7, weight: float = DEFAULT_WEIGHT
) -> Outcome:
    """Both arms over the same channels and papers."""
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "simulation.db") as store:
            return await _simulate(store, channel_count, fillers, seed, weight)


async def _simulate(store: Store, channel_count: int, fillers: int, seed: int, weight: float) -> Outcome:
    days = stream(fillers, seed)
    made = channels(channel_count, seed)
    schedule = Schedule(time(8, 0), ZoneInfo("UTC"), frozenset(range(7)))
    subscriptions = {c.ref: Subscription(c.ref, schedule, DIGEST, taste_weight=weight) for c in made}
    clock = FakeClock()
    learner = Learner(store, clock)
    results = []
    total = 0
    for n, papers in enumerate(days):
        day = FIRST_DAY + timedelta(days=n)
        clock.set(datetime.combine(day, time(8, 0), UTC))
        await store.papers.upsert(papers, now=clock.now())
        windows = [Window(subscriptions[c.ref], day, day) for c in made]
        plain = await plan(windows, papers, {})
        tasted = await plan(windows, papers, {}, await learner.tastes(subscriptions.values(), papers))
        by_title = {p.id: p.title for p in papers}
        results.append(
            Day(
                n + 1,
                _precision(made, plain, by_title),
                _precision(made, tasted, by_title),
                sum(min(sum(1 for p in papers if p.title in c.relevant), DIGEST) / DIGEST for c in made) / len(made),
            )
        )
        clock.set(datetime.combine(day, time(12, 0), UTC))
        by_id = {p.id: p for p in papers}
        for channel, chosen in zip(made, tasted, strict=True):
            assert isinstance(chosen, DigestPlan)
            for vote in _votes(channel, chosen.paper_ids, by_title, clock.now(), seed):
                await learner.rate(vote.ref, by_id[vote.paper_id], vote.member, vote.rating)
                total += 1
    return Outcome(tuple(results), channel_count, sum(len(d) for d in days), total)


def _precision(made: Sequence[Channel], plans: Sequence[object], by_title: dict[str, str]) -> float:
    shares = []
    for channel, chosen in zip(made, plans, strict=True):
        assert isinstance(chosen, DigestPlan)
        shares.append(sum(1 for pid in chosen.paper_ids if by_title[pid] in channel.relevant) / DIGEST)
    return sum(shares) / len(shares)


def _votes(channel: Channel, shown: Sequence[str], by_title: dict[str, str], at: datetime, seed: int) -> list[Vote]:
    cast = []
    for paper_id in shown:
        relevant = by_title[paper_id] in channel.relevant
        up, down = (UP_IF_RELEVANT, DOWN_IF_RELEVANT) if relevant else (UP_IF_NOT, DOWN_IF_NOT)
        for member in channel.members:
            draw = _draw(seed, channel.ref.channel, member, paper_id)
            if draw < up:
                cast.append(Vote(channel.ref, paper_id, member, Rating.UP, at))
            elif draw < up + down:
                cast.append(Vote(channel.ref, paper_id, member, Rating.DOWN, at))
    return cast


def _draw(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts: a member's draw for a paper, whatever order showed it."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _upvotes(rng: random.Random) -> int:
    """Most papers a handful, a few hundreds (Daily Papers' shape)."""
    return min(int(rng.paretovariate(1.1)) - 1 + rng.randint(0, 3), 500)


def _filler(n: int, base: Paper, rng: random.Random) -> Paper:
    """A paper about what `base` is about: its title's and abstract's words drawn again, as many."""
    title, abstract = base.title.split(), base.abstract.split()
    return Paper(
        id=f"2699.{n:05d}",
        title=" ".join(rng.choices(title, k=len(title))),
        abstract=" ".join(rng.choices(abstract, k=len(abstract))),
    )
