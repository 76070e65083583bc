"""Keeping channels' tastes (`learning.py`) on a real store: a vote changes the profile at once, the kept profile
is the one its votes make, votes from before profiles are built once, vectors never change, and two processes
voting at once both count."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from paperboy.learning import Learner
from paperboy.models import ChannelRef, Platform, Rating, Subscription
from paperboy.schedule import Schedule
from paperboy.store import Store
from paperboy.store.taste import REBUILD_MARKER
from paperboy.taste import decay_factor
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 12, 0, tzinfo=UTC)
LAB = ChannelRef(Platform.SLACK, "C1", "T1")
SHOP = ChannelRef(Platform.DISCORD, "42", "7")
PAPERS = corpus_papers()
DIFFUSION = [p for p in PAPERS if "diffusion" in p.title.lower()][:4]
OTHERS = [p for p in PAPERS if "diffusion" not in p.title.lower()][:4]
SCHEDULE = Schedule(time(9, 0), ZoneInfo("UTC"), frozenset(range(7)))


@pytest_asyncio.fixture
async def papers(store: Store) -> Store:
    await store.papers.upsert(PAPERS)
    return store


async def test_a_vote_teaches_the_channels_taste_at_once(papers: Store) -> None:
    learner = Learner(papers, FakeClock(NOW))
    await learner.rate(LAB, DIFFUSION[0], "U1", Rating.UP)
    await learner.rate(LAB, OTHERS[0], "U2", Rating.DOWN)
    taste = await learner.learned(LAB)
    assert taste is not None and (taste.votes, taste.up, taste.down, taste.members) == (2, 1, 1, 2)
    liked, _ = taste.leaning()
    assert "diffusion" in liked  # spelled as the paper writes it, not as its stem


async def test_withdrawing_every_vote_leaves_no_taste(papers: Store) -> None:
    learner = Learner(papers, FakeClock(NOW))
    await learner.rate(LAB, DIFFUSION[0], "U1", Rating.UP)
    await learner.rate(LAB, DIFFUSION[0], "U1", None)
    assert await learner.learned(LAB) is None and await papers.taste.profile(LAB) is None


async def test_the_profile_kept_vote_by_vote_is_the_one_its_votes_make(papers: Store) -> None:
    clock = FakeClock(NOW)
    learner = Learner(papers, clock)
    for n, (paper, member, rating) in enumerate(
        [
            (DIFFUSION[0], "U1", Rating.UP),
            (DIFFUSION[1], "U2", Rating.UP),
            (OTHERS[0], "U1", Rating.DOWN),
            (DIFFUSION[0], "U1", Rating.DOWN),  # changed
            (DIFFUSION[1], "U2", None),  # withdrawn
            (DIFFUSION[2], "ü", Rating.UP),
        ]
    ):
        clock.set(NOW + timedelta(days=n * 3, seconds=n))
        await learner.rate(LAB, paper, member, rating)
    kept = await papers.taste.profile(LAB)
    rebuilt = await learner.rebuild(LAB)
    assert kept is not None and rebuilt is not None and kept.votes == rebuilt.votes == 3
    scale = decay_factor(rebuilt.as_of, kept.as_of)
    assert set(kept.top) == set(rebuilt.top)
    for stem, weight in kept.weights.items():
        assert math.isclose(weight, rebuilt.weights.get(stem, 0.0) * scale, rel_tol=1e-6, abs_tol=1e-12)


async def test_votes_from_before_profiles_are_built_at_the_next_planning(papers: Store) -> None:
    await papers.votes.rate(LAB, DIFFUSION[0].id, "U1", Rating.UP, NOW)  # as an older paperboy kept them
    await papers.markers.put(REBUILD_MARKER, "1")  # as the migration says
    learner = Learner(papers, FakeClock(NOW))
    tastes = await learner.tastes([Subscription(LAB, SCHEDULE, 5)], PAPERS)
    assert tastes is not None and tastes.scores(LAB)
    assert await papers.markers.get(REBUILD_MARKER) is None


async def test_a_channel_with_taste_off_or_no_votes_gets_none(papers: Store) -> None:
    learner = Learner(papers, FakeClock(NOW))
    await learner.rate(LAB, DIFFUSION[0], "U1", Rating.UP)
    off = Subscription(LAB, SCHEDULE, 5, taste=False)
    assert await learner.tastes([off, Subscription(SHOP, SCHEDULE, 5)], PAPERS) is None


async def test_a_papers_vector_stays_as_made_when_more_papers_are_counted(papers: Store) -> None:
    learner = Learner(papers, FakeClock(NOW))
    first = await learner.vectors(PAPERS[:2])
    await learner.vectors(PAPERS)
    assert await learner.vectors(PAPERS[:2]) == first


async def test_the_first_vote_weighs_its_paper_against_the_papers_of_its_day(papers: Store) -> None:
    paper = DIFFUSION[0]
    same_day = [p for p in PAPERS if p.daily_date == paper.daily_date]
    await Learner(papers, FakeClock(NOW)).rate(LAB, paper, "U1", Rating.UP)
    assert await papers.taste.counted() == len(same_day) > 1


async def test_two_processes_voting_in_one_channel_at_once_both_count(
    papers: Store, database_target: Path | str
) -> None:
    async with await Store.open(database_target) as other:
        first, second = Learner(papers, FakeClock(NOW)), Learner(other, FakeClock(NOW))
        await asyncio.gather(
            *(first.rate(LAB, p, "U1", Rating.UP) for p in DIFFUSION),
            *(second.rate(LAB, p, "U2", Rating.UP) for p in DIFFUSION),
        )
    profile = await papers.taste.profile(LAB)
    assert profile is not None and profile.votes == 2 * len(DIFFUSION)
    assert math.isclose(profile.mass, 2 * len(DIFFUSION))


async def test_a_taste_weakens_as_days_pass_without_votes(papers: Store) -> None:
    clock = FakeClock(NOW)
    learner = Learner(papers, clock)
    await learner.rate(LAB, DIFFUSION[0], "U1", Rating.UP)
    fresh = await learner.learned(LAB)
    clock.set(NOW + timedelta(days=60))
    aged = await learner.learned(LAB)
    assert fresh is not None and aged is not None and aged.strength < fresh.strength


async def test_votes_kept_before_the_upgrade_shape_the_first_digest_after_it(database_target: Path | str) -> None:
    from paperboy.store.postgres.migrations import LATEST_VERSION as POSTGRES_LATEST
    from paperboy.store.sqlite.migrations import LATEST_VERSION as SQLITE_LATEST

    before = (SQLITE_LATEST if isinstance(database_target, Path) else POSTGRES_LATEST) - 1
    async with await Store.open(database_target, migrate_to=before) as old:  # the paperboy before profiles
        await old.papers.upsert(PAPERS)
        await old.db.execute(
            "INSERT INTO votes (platform, workspace, channel, paper_id, member, rating, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("slack", "T1", "C1", DIFFUSION[0].id, "U1", 1, "2025-01-16T08:00:00Z"),
        )
    async with await Store.open(database_target) as upgraded:
        learner = Learner(upgraded, FakeClock(NOW))
        tastes = await learner.tastes([Subscription(LAB, SCHEDULE, 5)], PAPERS)
        assert tastes is not None and tastes.scores(LAB)
        assert (await upgraded.taste.profile(LAB)) is not None


async def test_votes_older_than_the_horizon_count_for_nothing_but_are_still_shown(papers: Store) -> None:
    clock = FakeClock(NOW)
    learner = Learner(papers, clock)
    await learner.rate(LAB, DIFFUSION[0], "U1", Rating.UP)
    clock.set(NOW + timedelta(days=241))
    assert await learner.tastes([Subscription(LAB, SCHEDULE, 5)], PAPERS) is None
    shown = await learner.learned(LAB)
    assert shown is not None and shown.strength == 0 and shown.votes == 1
