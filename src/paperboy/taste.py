"""A channel's taste: what its members' 👍 / 👎 say it likes, learned cheaply, and how it moves a digest's order.

The model is a Rocchio profile, chosen over a logistic regression because it needs no training loop, no
hyper-parameters beyond a half-life, learns from one vote, and can say what it learned in words (its heaviest
terms either way):

    profile = Σ over the channel's votes  rating × 2^(-age / HALF_LIFE_DAYS) × unit(tf-idf(paper))

where rating is +1 for 👍 and -1 for 👎, age is the vote's age in days, and a paper's terms are the words of its
title, AI keywords and abstract, stemmed as the full-text index stems them and weighted as "similar papers"
weighs them (`store/similarity.py`: a title word counts `TITLE_TF`, a keyword `KEYWORD_TF`); idf =
log(1 + papers / papers holding the term) over the papers at hand (the day's candidates and the voted papers).
Words shared by the papers liked and those disliked cancel; what is left is what tells them apart. The profile
keeps its `PROFILE_TERMS` heaviest terms and is scaled to unit length.

A candidate's taste is the cosine of its tf-idf vector with the profile, divided by the best absolute cosine
among the day's candidates (so the best match scores 1 whatever the vocabulary), times the profile's
`strength`: mass / (mass + CONFIDENCE), mass being the sum of the votes' decay factors, so that one vote nudges
and many votes steer. The digest's order (`digest.choose`) is then, best first:

    log(1 + upvotes) + weight × span × taste,   then the newer, then the higher id

where span is the spread of log(1 + upvotes) among the channel's eligible papers (at least 1): with weight 1 the
taste can lift a paper as far as the whole upvote range. A channel with no votes (or taste off, or weight 0)
gets no taste at all, and its order is exactly `digest.rank_key`'s, as before taste existed.

Cost: terms are stemmed once per paper per process (batched through one scratch FTS5 table, then cached), and
the candidates' vectors are indexed by term (`Scorer`): scoring a channel walks the postings of its profile's 32
terms over papers cut to their 16 heaviest, 0.5 s for 10,000 channels over 500 papers. Profiles are learned
again at each planning from every vote within the horizon (deterministic: `/papers why` and the preview agree),
about 0.2 ms a channel; bench/README.md (`digests.py --voters`) has the figures, and says what would keep
10,000 channels with votes inside the 2 s planning budget (it is not, yet).
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from paperboy.models import ChannelRef, Paper, Rating, Vote
from paperboy.store.sqlite.similar import stems, weighted_words

#: a vote counts half as much after this many days, a quarter after twice as many
HALF_LIFE_DAYS = 30.0
#: votes older than this many half-lives count for nothing (1/256) and are not read
HORIZON_HALF_LIVES = 8
#: how much a 👎 counts against a 👍 (Rocchio's γ / β)
DOWN_WEIGHT = 0.25
#: the terms a profile keeps, and the terms a paper's vector keeps (its heaviest): enough to tell topics apart,
#: few enough that scoring stays a walk over short postings
PROFILE_TERMS = 32
PAPER_TERMS = 16
#: the decayed vote mass at which a profile counts half (strength = mass / (mass + CONFIDENCE))
CONFIDENCE = 3.0
#: the weight a new subscription's taste has, and the most it may be set to
DEFAULT_WEIGHT = 1.0
MAX_WEIGHT = 10.0

Vector = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Taste:
    """A channel's learned profile: stem → weight (unit length), how strong it is, and what it was learned from."""

    weights: Mapping[str, float]
    strength: float
    votes: int
    up: int
    down: int
    members: int
    #: each stem as a word of the papers spells it, for people (shared by every channel's taste: may hold more)
    spelled: Mapping[str, str] = field(default_factory=dict, repr=False)

    def leaning(self, count: int = 8) -> tuple[list[str], list[str]]:
        """The words that count most for a paper, and most against one, heaviest first."""
        ranked = sorted(self.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        liked = [self.spelled.get(stem, stem) for stem, w in ranked if w > 0][:count]
        disliked = [self.spelled.get(stem, stem) for stem, w in ranked if w < 0][:count]
        return liked, disliked


class Vectoriser:
    """Papers' tf-idf vectors (unit length, each cut at `PAPER_TERMS`), with idf over the papers it was given."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        unique = {paper.id: paper for paper in papers}
        tf, self.spelled = _term_counts(list(unique.values()))
        df: dict[str, int] = defaultdict(int)
        for counts in tf.values():
            for stem in counts:
                df[stem] += 1
        total = max(len(tf), 1)
        idf = {stem: math.log(1 + total / n) for stem, n in df.items()}
        self.vectors: dict[str, dict[str, float]] = {pid: _unit(counts, idf) for pid, counts in tf.items()}


@dataclass(frozen=True, slots=True)
class Votes:
    """What channels' tastes are learned from: each channel's votes (within the horizon), the papers voted on."""

    by_channel: Mapping[ChannelRef, Sequence[Vote]]
    papers: Sequence[Paper]
    now: datetime


@dataclass(frozen=True, slots=True)
class Tastes:
    """The channels' learned tastes, and the day's candidates ready to be scored against them."""

    by_channel: Mapping[ChannelRef, Taste]
    scorer: Scorer

    def scores(self, ref: ChannelRef) -> dict[str, float] | None:
        """The channel's taste of each candidate; None when it has none (no votes: today's order)."""
        taste = self.by_channel.get(ref)
        return self.scorer.score(taste) if taste is not None else None


def learn_all(votes: Votes, candidates: Sequence[Paper]) -> Tastes:
    """Every channel's taste, and the candidates indexed for scoring; idf over the candidates and voted papers.
    Blocking (stemming): run it in a worker thread."""
    vectoriser = Vectoriser([*candidates, *votes.papers])
    tastes = {
        ref: taste
        for ref, channel_votes in votes.by_channel.items()
        if (taste := learn(channel_votes, vectoriser.vectors, votes.now, vectoriser.spelled)) is not None
    }
    return Tastes(tastes, Scorer(vectoriser.vectors, (p.id for p in candidates)))


def horizon(now: datetime) -> datetime:
    """The oldest vote worth reading at `now`."""
    return now - timedelta(days=HALF_LIFE_DAYS * HORIZON_HALF_LIVES)


def learn(
    votes: Sequence[Vote], vectors: Mapping[str, Vector], now: datetime, spelled: Mapping[str, str]
) -> Taste | None:
    """The profile of these votes (one channel's) at `now`; None when they say nothing (no vote on a known paper)."""
    counted = [v for v in votes if v.paper_id in vectors]
    # each paper's pull first (members often vote on the same papers): one vector added per paper
    pulls: dict[str, float] = defaultdict(float)
    mass = 0.0
    for vote in counted:
        decay = decay_factor(vote.at, now)
        mass += decay
        pulls[vote.paper_id] += decay if vote.rating is Rating.UP else -DOWN_WEIGHT * decay
    profile: dict[str, float] = defaultdict(float)
    for paper_id, pull in pulls.items():
        for stem, weight in vectors[paper_id].items():
            profile[stem] += pull * weight
    kept = heapq.nlargest(PROFILE_TERMS, profile.items(), key=lambda kv: abs(kv[1]))
    norm = math.sqrt(sum(w * w for _, w in kept))
    if not counted or norm == 0:
        return None
    return Taste(
        weights={stem: w / norm for stem, w in kept},
        strength=mass / (mass + CONFIDENCE),
        votes=len(counted),
        up=sum(1 for v in counted if v.rating is Rating.UP),
        down=sum(1 for v in counted if v.rating is Rating.DOWN),
        members=len({v.member for v in counted}),
        spelled=spelled,
    )


def decay_factor(at: datetime, now: datetime) -> float:
    age_days = max((now - at).total_seconds(), 0.0) / 86_400
    return float(0.5 ** (age_days / HALF_LIFE_DAYS))


class Scorer:
    """The day's candidates indexed by term, so that a channel's profile is scored by walking a few postings."""

    def __init__(self, vectors: Mapping[str, Vector], paper_ids: Iterable[str]) -> None:
        self._ids = [pid for pid in dict.fromkeys(paper_ids) if pid in vectors]
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, pid in enumerate(self._ids):
            for stem, weight in vectors[pid].items():
                postings[stem].append((index, weight))
        self._postings = dict(postings)

    def score(self, taste: Taste) -> dict[str, float]:
        """Each candidate's taste in [-strength, strength] (missing: 0), the best match at ±strength."""
        sums = [0.0] * len(self._ids)
        for stem, weight in taste.weights.items():
            for index, value in self._postings.get(stem, ()):
                sums[index] += weight * value
        top = max((abs(s) for s in sums), default=0.0)
        if top == 0:
            return {}
        scale = taste.strength / top
        return {self._ids[i]: s * scale for i, s in enumerate(sums) if s}


def _term_counts(papers: Sequence[Paper]) -> tuple[dict[str, dict[str, float]], Mapping[str, str]]:
    """Each paper's weighted stem counts, and each stem's spelling; one stemming pass for the papers not stemmed
    before (`_STEMMED`: a paper's words are the same every day, and stemming is most of the cost)."""
    keys = {paper.id: (paper.id, hash((paper.title, paper.ai_keywords, paper.abstract))) for paper in papers}
    tf: dict[str, dict[str, float]] = {}
    fresh: dict[str, dict[str, float]] = {}
    with _LOCK:
        for paper in papers:
            known = _STEMMED.get(keys[paper.id])
            if known is not None:
                _STEMMED.move_to_end(keys[paper.id])
                tf[paper.id] = known
            elif paper.id not in fresh:
                fresh[paper.id] = weighted_words(paper.title, paper.ai_keywords, paper.abstract)
    stem_of = stems(word for counts in fresh.values() for word in counts) if fresh else {}
    with _LOCK:
        for paper_id, counts in fresh.items():
            by_stem: dict[str, float] = defaultdict(float)
            for word, count in counts.items():
                stem = stem_of.get(word)
                if stem is not None:
                    by_stem[stem] += count
                    if _SPELLINGS.get(stem, ("", 0.0))[1] < count:
                        _SPELLINGS[stem] = (word, count)
            tf[paper_id] = _STEMMED[keys[paper_id]] = dict(by_stem)
        while len(_STEMMED) > STEMMED_PAPERS:
            _STEMMED.popitem(last=False)
    return tf, _Spelled()


class _Spelled(Mapping[str, str]):
    """Each stem as it was most often spelled in one paper (a view of `_SPELLINGS`)."""

    def __getitem__(self, stem: str) -> str:
        return _SPELLINGS[stem][0]

    def __iter__(self) -> Iterator[str]:
        return iter(_SPELLINGS)

    def __len__(self) -> int:
        return len(_SPELLINGS)


#: papers' stem counts, by (id, hash of the words): at most `STEMMED_PAPERS`, the least recently used dropped
STEMMED_PAPERS = 100_000
_STEMMED: OrderedDict[tuple[str, int], dict[str, float]] = OrderedDict()
#: each stem's spelling for people: the word that stood for it most in one paper, and how many times
_SPELLINGS: dict[str, tuple[str, float]] = {}
#: planning and `/papers why` may stem at once, each in a worker thread
_LOCK = threading.Lock()


def _unit(counts: Mapping[str, float], idf: Mapping[str, float]) -> dict[str, float]:
    # sub-linear tf: a word said ten times is not ten times the subject
    weighted = {stem: (1 + math.log(count)) * idf[stem] for stem, count in counts.items() if count > 0}
    kept = sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:PAPER_TERMS]
    norm = math.sqrt(sum(w * w for _, w in kept)) or 1.0
    return {stem: w / norm for stem, w in kept}
