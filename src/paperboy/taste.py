"""A channel's taste: what its members' 👍 / 👎 say it likes, learned cheaply, and how it moves a digest's order.

The model is a Rocchio profile, chosen over a logistic regression because it needs no training loop, no
hyper-parameters beyond a half-life, learns from one vote, and can say what it learned in words (its heaviest
terms either way):

    profile = Σ over the channel's votes  rating × 2^(-age / HALF_LIFE_DAYS) × vector(paper)

where rating is +1 for 👍 and -`DOWN_WEIGHT` for 👎, age is the vote's age in days, and a paper's vector is the
tf-idf of the words of its title, AI keywords and abstract, stemmed as the full-text index stems them and
weighted as "similar papers" weighs them (`store/similarity.py`: a title word counts `TITLE_TF`, a keyword
`KEYWORD_TF`), cut to its `PAPER_TERMS` heaviest and scaled to unit length. idf = log(1 + counted / papers
holding the term), over the papers counted so far (`store/taste.py`): a paper's vector is made once, when it is
first needed, and never changes. Words shared by the papers liked and those disliked cancel; what is left is
what tells them apart.

Since every vote ages by the same factor, the profile's direction only changes when a vote does: it is kept per
channel (`TasteProfile`, as of its last change) and changed by `fold` in the transaction of each vote, so that
planning only reads it. It keeps its `KEPT_TERMS` heaviest terms (what falls off is the least of it), and
digests are scored with its `PROFILE_TERMS` heaviest, scaled to unit length.

A candidate's taste is the cosine of its vector with the profile, divided by the best absolute cosine among the
day's candidates (so the best match scores 1 whatever the vocabulary), times the profile's `strength`:
mass / (mass + CONFIDENCE), mass being the sum of the votes' decay factors now, so that one vote nudges and many
votes steer. The digest's order (`digest.choose`) is then, best first:

    log(1 + upvotes) + weight × span × taste,   then the newer, then the higher id

where span is the spread of log(1 + upvotes) among the channel's eligible papers (at least 1): with weight 1 the
taste can lift a paper as far as the whole upvote range. A channel with no votes (or taste off, or weight 0)
gets no taste at all, and its order is exactly `digest.rank_key`'s, as before taste existed.

Cost: terms are stemmed once per paper per process (batched through one scratch FTS5 table, then cached) and
vectors are stored, so planning reads each channel's profile and scores it: the candidates are indexed by term
(`Scorer`), and scoring a channel walks the postings of its profile's 32 terms over papers cut to their 16
heaviest. bench/README.md (`digests.py --voters`) has the figures.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from paperboy.models import ChannelRef, Paper, Rating, TasteProfile, TasteTop, Vote
from paperboy.store.sqlite.similar import stems, weighted_words
from paperboy.store.taste import TermCounts

#: a vote counts half as much after this many days, a quarter after twice as many
HALF_LIFE_DAYS = 30.0
#: a profile whose votes weigh less now than one vote this many half-lives old (240 days) counts for nothing
HORIZON_HALF_LIVES = 8
LEAST_MASS = 0.5**HORIZON_HALF_LIVES
#: how much a 👎 counts against a 👍 (Rocchio's γ / β)
DOWN_WEIGHT = 0.25
#: the terms a profile keeps, and the terms a paper's vector keeps (its heaviest): enough to tell topics apart,
#: few enough that scoring stays a walk over short postings
PROFILE_TERMS = 32
PAPER_TERMS = 16
#: the terms a kept profile holds: enough that a withdrawn vote takes out nearly all it put in (what falls off is
#: the least), few enough to read and write with every vote
KEPT_TERMS = 256
#: a weight this small is nothing (what is left of a term after the only vote holding it was withdrawn)
_NOTHING = 1e-12
#: the decayed vote mass at which a profile counts half (strength = mass / (mass + CONFIDENCE))
CONFIDENCE = 3.0
#: the weight a new subscription's taste has, and the most it may be set to
DEFAULT_WEIGHT = 1.0
MAX_WEIGHT = 10.0

Vector = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Taste:
    """A channel's learned profile: stem → weight (unit length), how strong it is now, and (for people) what it was
    learned from."""

    weights: Mapping[str, float]
    strength: float
    votes: int = 0
    up: int = 0
    down: int = 0
    members: int = 0
    #: each stem as a word of the papers spells it, for people (shared by every channel's taste: may hold more)
    spelled: Mapping[str, str] = field(default_factory=dict, repr=False)

    def leaning(self, count: int = 8) -> tuple[list[str], list[str]]:
        """The words that count most for a paper, and most against one, heaviest first."""
        ranked = sorted(self.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        liked = [self.spelled.get(stem, stem) for stem, w in ranked if w > 0][:count]
        disliked = [self.spelled.get(stem, stem) for stem, w in ranked if w < 0][:count]
        return liked, disliked


@dataclass(frozen=True, slots=True)
class Tastes:
    """The channels' tastes, and the day's candidates ready to be scored against them."""

    by_channel: Mapping[ChannelRef, Taste]
    scorer: Scorer

    def scores(self, ref: ChannelRef) -> Mapping[str, float] | None:
        """The channel's taste of each candidate; None when it has none (no votes: today's order)."""
        taste = self.by_channel.get(ref)
        return self.scorer.score(taste) if taste is not None else None


def vector(counts: Mapping[str, float], terms: TermCounts) -> dict[str, float]:
    """A paper's vector from its weighted stem counts and the document frequencies (its own stems counted)."""
    total = max(terms.total, 1)
    idf = {stem: math.log(1 + total / max(terms.papers.get(stem, 1), 1)) for stem in counts}
    return _unit(counts, idf)


def fold(
    vector: Vector, profile: TasteProfile | None, before: Vote | None, after: Vote | None, at: datetime
) -> TasteProfile | None:
    """The profile once a member's vote on the paper of `vector` went from `before` to `after` (None: no vote)
    at `at`; None when the channel has no votes left. The profile is restated as of the later of `at` and its
    own time (it never goes back), and the vote before is taken out as it was put in."""
    anchor = max(profile.as_of, at) if profile is not None else at
    scale = decay_factor(profile.as_of, anchor) if profile is not None else 1.0
    weights = defaultdict(float, {t: w * scale for t, w in profile.weights.items()} if profile is not None else {})
    mass = profile.mass * scale if profile is not None else 0.0
    votes = profile.votes if profile is not None else 0
    for vote, sign in ((before, -1.0), (after, 1.0)):
        if vote is None:
            continue
        decay = decay_factor(vote.at, anchor)
        pull = sign * decay * (1.0 if vote.rating is Rating.UP else -DOWN_WEIGHT)
        for stem, weight in vector.items():
            weights[stem] += pull * weight
        mass += sign * decay
        votes += int(sign)
    return _profile(weights, mass, votes, anchor) if votes > 0 else None


def build(votes: Sequence[Vote], vectors: Mapping[str, Vector]) -> TasteProfile | None:
    """The profile of these votes (one channel's current ones) as of the newest, as folding them in one by one
    would make it, summed at once. A paper without a vector counts for the vote's mass only."""
    if not votes:
        return None
    anchor = max(vote.at for vote in votes)
    pulls: dict[str, float] = defaultdict(float)
    mass = 0.0
    for vote in votes:
        decay = decay_factor(vote.at, anchor)
        mass += decay
        pulls[vote.paper_id] += decay * (1.0 if vote.rating is Rating.UP else -DOWN_WEIGHT)
    weights: dict[str, float] = defaultdict(float)
    for paper_id, pull in pulls.items():
        for stem, weight in vectors.get(paper_id, {}).items():
            weights[stem] += pull * weight
    return _profile(weights, mass, len(votes), anchor)


def taste_of(top: TasteTop, now: datetime) -> Taste | None:
    """What a channel's profile is worth at `now`: its direction, and its strength after its votes aged; None
    when it says nothing (its votes, on papers without words, or all older than the horizon)."""
    mass = top.mass * decay_factor(top.as_of, now)
    if not top.top or mass < LEAST_MASS:
        return None
    return Taste(top.top, mass / (mass + CONFIDENCE))


def decay_factor(at: datetime, now: datetime) -> float:
    age_days = max((now - at).total_seconds(), 0.0) / 86_400
    return float(0.5 ** (age_days / HALF_LIFE_DAYS))


def _profile(weights: Mapping[str, float], mass: float, votes: int, as_of: datetime) -> TasteProfile:
    """The profile of these summed weights: their `KEPT_TERMS` heaviest, and its top terms."""
    kept = heapq.nlargest(KEPT_TERMS, ((t, w) for t, w in weights.items() if abs(w) > _NOTHING), key=_heaviest)
    return TasteProfile(dict(kept), _top(kept), max(mass, 0.0), votes, as_of)


def _heaviest(item: tuple[str, float]) -> tuple[float, str]:
    # ties broken by the stem, so that every process keeps the same terms
    return (abs(item[1]), item[0])


def _top(kept: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The `PROFILE_TERMS` heaviest of `kept` (heaviest first), scaled to unit length; {} when all are 0."""
    top = list(kept[:PROFILE_TERMS])
    norm = math.sqrt(sum(w * w for _, w in top))
    # 7 significant digits are plenty for scoring, and half the text planning reads for every channel
    return {stem: float(f"{w / norm:.7g}") for stem, w in top} if norm else {}


class Scorer:
    """The day's candidates indexed by term, so that a channel's profile is scored by walking a few postings."""

    def __init__(self, vectors: Mapping[str, Vector], paper_ids: Iterable[str]) -> None:
        ids = [pid for pid in dict.fromkeys(paper_ids) if pid in vectors]
        self._index = {pid: index for index, pid in enumerate(ids)}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, pid in enumerate(ids):
            for stem, weight in vectors[pid].items():
                postings[stem].append((index, weight))
        self._postings = dict(postings)

    def score(self, taste: Taste) -> Mapping[str, float]:
        """Each candidate's taste in [-strength, strength] (missing: 0), the best match at ±strength. Worked out
        when first read: a digest of fewer than two papers has no order to change, and never reads it."""
        return _Scores(self, taste)

    def sums(self, taste: Taste) -> tuple[Mapping[str, int], list[float], float]:
        """Each candidate's cosine with the taste (by index), and the scale that puts the best at ±strength."""
        sums = [0.0] * len(self._index)
        for stem, weight in taste.weights.items():
            for index, value in self._postings.get(stem, ()):
                sums[index] += weight * value
        top = max(max(sums, default=0.0), -min(sums, default=0.0))
        return self._index, sums, (taste.strength / top if top else 0.0)


class _Scores(Mapping[str, float]):
    """A channel's scores of the day's candidates, worked out when first read."""

    __slots__ = ("_index", "_scale", "_scorer", "_sums", "_taste")

    def __init__(self, scorer: Scorer, taste: Taste) -> None:
        self._scorer, self._taste = scorer, taste
        self._index: Mapping[str, int] | None = None
        self._sums: list[float] = []
        self._scale = 0.0

    def _work_out(self) -> Mapping[str, int]:
        if self._index is None:
            self._index, self._sums, self._scale = self._scorer.sums(self._taste)
        return self._index

    def get(self, paper_id: str, default: float = 0.0) -> float:  # type: ignore[override]
        # Mapping.get through __getitem__ and KeyError is slow, and sorting a digest calls it for every paper
        index = (self._index if self._index is not None else self._work_out()).get(paper_id)
        score = self._sums[index] * self._scale if index is not None else 0.0
        return score or default

    def __getitem__(self, paper_id: str) -> float:
        score = self.get(paper_id)
        if not score:
            raise KeyError(paper_id)
        return score

    def __iter__(self) -> Iterator[str]:
        return (pid for pid, index in self._work_out().items() if self._sums[index] * self._scale)

    def __len__(self) -> int:
        self._work_out()
        return sum(1 for s in self._sums if s * self._scale)


def term_counts(papers: Sequence[Paper]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Each paper's weighted stem counts, and each of their stems as people read it; one stemming pass for the
    papers not stemmed before (`_STEMMED`: a paper's words are the same every day, and stemming is most of the
    cost). Blocking: run it in a worker thread."""
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
        spelled = {stem: _SPELLINGS[stem][0] for counts in tf.values() for stem in counts if stem in _SPELLINGS}
    return tf, spelled


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
