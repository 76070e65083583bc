"""A channel's taste (`taste.py`): learned from its votes, decaying with age, scoring the day's papers; and the
digest's order with it (`digest.choose`): unchanged without votes, moved by them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from paperboy.digest import Window, choose, rank_key
from paperboy.models import ChannelRef, Paper, Platform, Rating, Subscription, Vote
from paperboy.schedule import Schedule
from paperboy.taste import HALF_LIFE_DAYS, Scorer, Vectoriser, Votes, decay_factor, learn, learn_all
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


def vote(paper_id: str, rating: Rating, member: str = "U1", age_days: float = 0) -> Vote:
    return Vote(LAB, paper_id, member, rating, NOW - timedelta(days=age_days))


def window(**fields: object) -> Window:
    schedule = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset(range(7)))
    subscription = Subscription(LAB, schedule, max_papers=3, **fields)  # type: ignore[arg-type]
    return Window(subscription, date(2025, 1, 20), date(2025, 1, 1))


def test_a_vote_counts_half_after_a_half_life() -> None:
    assert decay_factor(NOW - timedelta(days=HALF_LIFE_DAYS), NOW) == 0.5
    assert decay_factor(NOW, NOW) == 1.0


def test_no_votes_learn_nothing() -> None:
    vectoriser = Vectoriser(ROBOTS)
    assert learn([], vectoriser.vectors, NOW, vectoriser.spelled) is None


def test_votes_on_unknown_papers_learn_nothing() -> None:
    vectoriser = Vectoriser(ROBOTS)
    assert learn([vote("gone", Rating.UP)], vectoriser.vectors, NOW, vectoriser.spelled) is None


def test_liked_words_weigh_for_and_disliked_words_against() -> None:
    vectoriser = Vectoriser([*ROBOTS, *SPEECH])
    taste = learn([vote("r0", Rating.UP), vote("s0", Rating.DOWN)], vectoriser.vectors, NOW, vectoriser.spelled)
    assert taste is not None
    liked, disliked = taste.leaning()
    assert "robot" in liked and "speech" in disliked


def test_the_profile_counts_votes_members_and_both_ways() -> None:
    vectoriser = Vectoriser([*ROBOTS, *SPEECH])
    votes = [vote("r0", Rating.UP), vote("r1", Rating.UP, "U2"), vote("s0", Rating.DOWN, "U2")]
    taste = learn(votes, vectoriser.vectors, NOW, vectoriser.spelled)
    assert taste is not None and (taste.votes, taste.up, taste.down, taste.members) == (3, 2, 1, 2)


def test_more_votes_make_a_stronger_taste_and_old_ones_a_weaker() -> None:
    vectoriser = Vectoriser(ROBOTS)
    one = learn([vote("r0", Rating.UP)], vectoriser.vectors, NOW, vectoriser.spelled)
    many = learn([vote(p.id, Rating.UP) for p in ROBOTS], vectoriser.vectors, NOW, vectoriser.spelled)
    old = learn([vote("r0", Rating.UP, age_days=90)], vectoriser.vectors, NOW, vectoriser.spelled)
    assert one is not None and many is not None and old is not None
    assert old.strength < one.strength < many.strength < 1


def test_the_papers_like_those_liked_score_highest() -> None:
    vectoriser = Vectoriser([*ROBOTS, *SPEECH])
    taste = learn([vote("r0", Rating.UP), vote("s0", Rating.DOWN)], vectoriser.vectors, NOW, vectoriser.spelled)
    assert taste is not None
    scores = Scorer(vectoriser.vectors, [p.id for p in ROBOTS[1:] + SPEECH[1:]]).score(taste)
    assert min(scores[p.id] for p in ROBOTS[1:]) > 0 > max(scores[p.id] for p in SPEECH[1:])
    assert max(abs(s) for s in scores.values()) == taste.strength


def test_a_channel_without_votes_gets_todays_order() -> None:
    tastes = learn_all(Votes({}, [], NOW), PAPERS)
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
    votes = Votes({LAB: [vote("r0", Rating.UP), vote("r1", Rating.UP), vote("s0", Rating.DOWN)]}, ROBOTS + SPEECH, NOW)
    tastes = learn_all(votes, candidates)
    ids = {p.id for p in candidates}
    plain = choose(window(), candidates, ids, set())
    tasted = choose(window(taste_weight=2.0), candidates, ids, set(), tastes.scores(LAB))
    assert all(pid.startswith("s") for pid in plain.paper_ids)
    assert all(pid.startswith("r") for pid in tasted.paper_ids)


def test_a_weight_of_zero_leaves_upvotes_in_charge() -> None:
    candidates = [paper("a", ROBOTS[0].title, ROBOTS[0].abstract, 1), paper("b", SPEECH[0].title, "", 5)]
    tastes = learn_all(Votes({LAB: [vote("r1", Rating.UP)]}, ROBOTS, NOW), candidates)
    plan = choose(window(taste_weight=0.0), candidates, {"a", "b"}, set(), tastes.scores(LAB))
    assert plan.paper_ids == ("b", "a")
