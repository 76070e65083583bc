"""A channel's taste (`taste.py`): a profile of its votes, decaying with age, changed vote by vote as if built at
once, scoring the day's papers; and the digest's order with it (`digest.choose`): unchanged without votes, moved
by them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from paperboy.digest import Window, choose, rank_key
from paperboy.models import ChannelRef, Paper, Platform, Rating, Subscription, TasteProfile, TasteTop, Vote
from paperboy.schedule import Schedule
from paperboy.store.taste import TermCounts
from paperboy.taste import (
    HALF_LIFE_DAYS,
    KEPT_TERMS,
    PAPER_TERMS,
    PROFILE_TERMS,
    Scorer,
    Taste,
    Tastes,
    Vector,
    build,
    decay_factor,
    fold,
    taste_of,
    term_counts,
    vector,
)
from tests.fakes.corpus import corpus_papers

NOW = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
LAB = ChannelRef(Platform.SLACK, "C1", "T1")
PAPERS = corpus_papers()


def paper(pid: str, title: str, abstract: str, upvotes: int = 0) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, upvotes=upvotes, daily_date=date(2025, 1, 20))


ROBOTS = [
    paper(f"r{n}", f"Robot grasping policy {n}", "A robot arm learns grasping from tactile sensing and manipulation.")
    for n in range(4)
]
SPEECH = [
    paper(f"s{n}", f"Speech recognition model {n}", "Speech recognition with acoustic models of spoken audio.")
    for n in range(4)
]


def vectors_of(papers: Sequence[Paper]) -> dict[str, Vector]:
    """The papers' vectors, their document frequencies counted over themselves."""
    counts, _ = term_counts(papers)
    terms = TermCounts(Counter(stem for c in counts.values() for stem in c), len(counts))
    return {pid: vector(c, terms) for pid, c in counts.items()}


VECTORS = vectors_of([*ROBOTS, *SPEECH])


def vote(paper_id: str, rating: Rating, member: str = "U1", age_days: float = 0) -> Vote:
    return Vote(LAB, paper_id, member, rating, NOW - timedelta(days=age_days))


def learned(votes: Sequence[Vote], vectors: dict[str, Vector] = VECTORS) -> Taste | None:
    profile = build(votes, vectors)
    return taste_of(TasteTop(profile.top, profile.mass, profile.as_of), NOW) if profile is not None else None


def window(**fields: object) -> Window:
    schedule = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset(range(7)))
    subscription = Subscription(LAB, schedule, max_papers=3, **fields)  # type: ignore[arg-type]
    return Window(subscription, date(2025, 1, 20), date(2025, 1, 1))


def test_a_vote_counts_half_after_a_half_life() -> None:
    assert decay_factor(NOW - timedelta(days=HALF_LIFE_DAYS), NOW) == 0.5
    assert decay_factor(NOW, NOW) == 1.0


def test_a_papers_vector_has_unit_length_and_its_heaviest_terms_only() -> None:
    for made in VECTORS.values():
        assert 0 < len(made) <= PAPER_TERMS
        assert math.isclose(math.fsum(w * w for w in made.values()), 1.0)


def test_no_votes_learn_nothing() -> None:
    assert build([], VECTORS) is None


def test_votes_on_papers_without_a_vector_learn_nothing() -> None:
    assert learned([vote("gone", Rating.UP)]) is None


def test_liked_words_weigh_for_and_disliked_words_against() -> None:
    taste = learned([vote("r0", Rating.UP), vote("s0", Rating.DOWN)])
    assert taste is not None
    liked, disliked = taste.leaning()
    assert "robot" in liked and "speech" in disliked


def test_more_votes_make_a_stronger_taste_and_old_ones_a_weaker() -> None:
    one = learned([vote("r0", Rating.UP)])
    many = learned([vote(p.id, Rating.UP) for p in ROBOTS])
    old = learned([vote("r0", Rating.UP, age_days=90)])
    assert one is not None and many is not None and old is not None
    assert old.strength < one.strength < many.strength < 1


def test_a_kept_profile_weakens_as_its_votes_age() -> None:
    profile = build([vote("r0", Rating.UP)], VECTORS)
    assert profile is not None
    top = TasteTop(profile.top, profile.mass, profile.as_of)
    now, later = taste_of(top, NOW), taste_of(top, NOW + timedelta(days=HALF_LIFE_DAYS))
    assert now is not None and later is not None
    assert later.strength < now.strength and later.weights == now.weights


def test_the_papers_like_those_liked_score_highest() -> None:
    taste = learned([vote("r0", Rating.UP), vote("s0", Rating.DOWN)])
    assert taste is not None
    scores = Scorer(VECTORS, [p.id for p in ROBOTS[1:] + SPEECH[1:]]).score(taste)
    assert min(scores[p.id] for p in ROBOTS[1:]) > 0 > max(scores[p.id] for p in SPEECH[1:])
    assert math.isclose(max(abs(s) for s in scores.values()), taste.strength)


def test_withdrawing_the_only_vote_leaves_no_profile() -> None:
    up = vote("r0", Rating.UP)
    profile = fold(VECTORS["r0"], None, None, up, NOW)
    assert profile is not None and profile.votes == 1
    assert fold(VECTORS["r0"], profile, up, None, NOW + timedelta(minutes=1)) is None


def test_a_changed_vote_counts_as_the_new_rating_only() -> None:
    up, down = vote("r0", Rating.UP), vote("r0", Rating.DOWN)
    changed = fold(VECTORS["r0"], fold(VECTORS["r0"], None, None, up, NOW), up, down, NOW)
    assert changed == build([down], VECTORS)


def test_a_profile_never_goes_back_in_time() -> None:
    profile = fold(VECTORS["r0"], None, None, vote("r0", Rating.UP), NOW)
    late = fold(VECTORS["r1"], profile, None, vote("r1", Rating.UP, age_days=2), NOW - timedelta(days=2))
    assert late is not None and late.as_of == NOW


def test_a_profile_keeps_its_heaviest_terms_and_digests_use_the_top_ones_at_unit_length() -> None:
    many = [paper(f"w{n}", f"w{n}a w{n}b w{n}c", f"w{n}d w{n}e w{n}f w{n}g") for n in range(60)]
    vectors = vectors_of(many)
    profile = build([vote(p.id, Rating.UP, age_days=n / 10) for n, p in enumerate(many)], vectors)
    assert profile is not None
    assert len(profile.weights) == KEPT_TERMS and len(profile.top) == PROFILE_TERMS
    assert math.isclose(math.fsum(w * w for w in profile.top.values()), 1.0, rel_tol=1e-5)


#: one member's vote change on one of the papers: (paper, member, rating or None to withdraw, minutes later)
changes = st.lists(
    st.tuples(
        st.sampled_from(sorted(VECTORS)),
        st.sampled_from(["U1", "U2", "ü-3"]),
        st.sampled_from([Rating.UP, Rating.DOWN, None]),
        st.integers(min_value=0, max_value=200 * 24 * 60),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(changes)
def test_folding_every_change_makes_the_profile_built_from_the_votes_left(
    steps: list[tuple[str, str, Rating | None, int]],
) -> None:
    profile: TasteProfile | None = None
    current: dict[tuple[str, str], Vote] = {}
    at = NOW
    for paper_id, member, rating, minutes in steps:
        at += timedelta(minutes=minutes)
        before = current.pop((paper_id, member), None)
        after = Vote(LAB, paper_id, member, rating, at) if rating is not None else None
        if after is not None:
            current[(paper_id, member)] = after
        profile = fold(VECTORS[paper_id], profile, before, after, at)
    rebuilt = build(sorted(current.values(), key=lambda v: v.at), VECTORS)
    if rebuilt is None:
        assert profile is None
        return
    assert profile is not None and profile.votes == rebuilt.votes == len(current)
    # restated as of the same moment, the two are the same profile
    scale = decay_factor(rebuilt.as_of, profile.as_of)
    assert math.isclose(profile.mass, rebuilt.mass * scale, rel_tol=1e-6, abs_tol=1e-9)
    for stem in set(profile.weights) | set(rebuilt.weights):
        assert math.isclose(
            profile.weights.get(stem, 0.0), rebuilt.weights.get(stem, 0.0) * scale, rel_tol=1e-6, abs_tol=1e-9
        )


def test_a_channel_without_votes_gets_todays_order() -> None:
    tastes = Tastes({}, Scorer(vectors_of(PAPERS), [p.id for p in PAPERS]))
    assert tastes.scores(LAB) is None
    ids = {p.id for p in PAPERS}
    assert choose(window(), PAPERS, ids, set(), tastes.scores(LAB)).paper_ids == tuple(
        p.id for p in sorted(PAPERS, key=rank_key, reverse=True)[:3]
    )


def test_taste_lifts_a_liked_topic_over_upvotes() -> None:
    candidates = [
        *[paper(p.id + "x", p.title, p.abstract, 1) for p in ROBOTS],
        *[paper(p.id + "x", p.title, p.abstract, 30) for p in SPEECH],
    ]
    vectors = vectors_of([*ROBOTS, *SPEECH, *candidates])
    taste = learned([vote("r0", Rating.UP), vote("r1", Rating.UP), vote("s0", Rating.DOWN)], vectors)
    assert taste is not None
    tastes = Tastes({LAB: taste}, Scorer(vectors, [p.id for p in candidates]))
    ids = {p.id for p in candidates}
    plain = choose(window(), candidates, ids, set())
    tasted = choose(window(taste_weight=2.0), candidates, ids, set(), tastes.scores(LAB))
    assert all(pid.startswith("s") for pid in plain.paper_ids)
    assert all(pid.startswith("r") for pid in tasted.paper_ids)


def test_a_weight_of_zero_leaves_upvotes_in_charge() -> None:
    candidates = [paper("a", ROBOTS[0].title, ROBOTS[0].abstract, 1), paper("b", SPEECH[0].title, "", 5)]
    vectors = vectors_of([*ROBOTS, *candidates])
    taste = learned([vote("r1", Rating.UP)], vectors)
    assert taste is not None
    tastes = Tastes({LAB: taste}, Scorer(vectors, ["a", "b"]))
    plan = choose(window(taste_weight=0.0), candidates, {"a", "b"}, set(), tastes.scores(LAB))
    assert plan.paper_ids == ("b", "a")


def test_scores_read_like_a_mapping_of_the_papers_that_score() -> None:
    taste = learned([vote("r0", Rating.UP)])
    assert taste is not None
    scores = Scorer(VECTORS, [p.id for p in ROBOTS + SPEECH]).score(taste)
    assert dict(scores) == {pid: scores[pid] for pid in scores} and len(scores) == len(dict(scores))
    assert scores.get("unknown") == 0.0 and scores.get("unknown", 1.5) == 1.5
