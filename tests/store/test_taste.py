"""The taste tables on both engines: papers counted into the document frequencies once, vectors kept as first
made, channels' profiles changed in the vote's transaction, read back as written, and forgotten with the votes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperboy.models import ChannelRef, Platform, Rating, TasteProfile, TasteTop, Vote
from paperboy.store import Store
from paperboy.store.taste import REBUILD_MARKER

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LAB = ChannelRef(Platform.SLACK, "C1", "T1")
SHOP = ChannelRef(Platform.DISCORD, "42", "7")


def profile(weight: float = 1.0, votes: int = 1) -> TasteProfile:
    return TasteProfile({"robot": weight, "grasp": -0.5}, {"robot": 0.9, "grasp": -0.4}, 1.5, votes, NOW)


def keep(made: TasteProfile | None) -> object:
    """A fold that ignores what it is given and keeps `made`."""

    def fold(before: TasteProfile | None, old: Vote | None, new: Vote | None, at: datetime) -> TasteProfile | None:
        return made

    return fold


async def test_a_paper_is_counted_into_the_frequencies_once(store: Store) -> None:
    first = await store.taste.count({"a": {"robot": 2.0, "arm": 1.0}, "b": {"robot": 1.0}}, {"robot": "robots"})
    assert (dict(first.papers), first.total) == ({"robot": 2, "arm": 1}, 2)
    again = await store.taste.count({"a": {"robot": 2.0, "arm": 1.0}, "c": {"arm": 1.0}}, {})
    assert (dict(again.papers), again.total) == ({"robot": 2, "arm": 2}, 3)
    assert await store.taste.words(["robot", "arm", "never"]) == {"robot": "robots", "arm": "arm"}


async def test_a_papers_vector_is_kept_as_first_made(store: Store) -> None:
    await store.taste.count({"a": {"robot": 1.0}, "b": {"arm": 1.0}}, {})
    await store.taste.save_vectors({"a": {"robot": 1.0}})
    await store.taste.save_vectors({"a": {"robot": 0.5, "ünï": 0.5}, "b": {"arm": 1.0}})
    assert await store.taste.vectors(["a", "b", "unknown"]) == {"a": {"robot": 1.0}, "b": {"arm": 1.0}}
    assert await store.taste.counted() == 2


async def test_a_vote_changes_the_profile_in_its_transaction(store: Store) -> None:
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    assert await store.taste.profile(LAB) == profile()
    assert await store.taste.tops([LAB, SHOP]) == {LAB: TasteTop(profile().top, 1.5, NOW)}


async def test_a_fold_is_given_the_vote_before_and_after(store: Store) -> None:
    seen: list[tuple[Vote | None, Vote | None, datetime]] = []

    def fold(before: TasteProfile | None, old: Vote | None, new: Vote | None, at: datetime) -> TasteProfile:
        seen.append((old, new, at))
        return profile()

    later = NOW + timedelta(minutes=1, microseconds=5)
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW, fold)
    await store.votes.rate(LAB, "p1", "U1", Rating.DOWN, later, fold)
    first, second = (
        Vote(LAB, "p1", "U1", Rating.UP, NOW),
        Vote(LAB, "p1", "U1", Rating.DOWN, later.replace(microsecond=0)),
    )
    assert seen == [(None, first, NOW), (first, second, later.replace(microsecond=0))]


async def test_a_fold_that_fails_keeps_the_vote_unchanged(store: Store) -> None:
    def fold(before: TasteProfile | None, old: Vote | None, new: Vote | None, at: datetime) -> TasteProfile:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW, fold)
    assert await store.votes.of_channel(LAB) == [] and await store.taste.profile(LAB) is None


async def test_a_profile_left_without_votes_is_deleted(store: Store) -> None:
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    await store.votes.rate(LAB, "p1", "U1", None, NOW, keep(None))  # type: ignore[arg-type]
    assert await store.taste.profile(LAB) is None


async def test_tops_of_many_channels_come_in_one_pass(store: Store) -> None:
    refs = [ChannelRef(Platform.SLACK, f"C{n}", "T1") for n in range(30)]
    for ref in refs[::3]:
        await store.votes.rate(ref, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    await store.votes.rate(SHOP, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    assert set(await store.taste.tops(refs)) == set(refs[::3])


async def test_forgetting_the_votes_forgets_the_profile(store: Store) -> None:
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    await store.votes.rate(SHOP, "p1", "U1", Rating.UP, NOW, keep(profile()))  # type: ignore[arg-type]
    assert await store.votes.forget(LAB) == 1
    assert await store.taste.profile(LAB) is None and await store.taste.profile(SHOP) is not None


async def test_channels_to_rebuild_are_those_with_votes_while_the_marker_is_set(store: Store) -> None:
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW)
    assert await store.taste.channels_to_rebuild() is None
    await store.markers.put(REBUILD_MARKER, "1")
    assert await store.taste.channels_to_rebuild() == [LAB]
    await store.taste.rebuilt()
    assert await store.taste.channels_to_rebuild() is None


async def test_a_rebuild_writes_what_the_votes_make(store: Store) -> None:
    await store.votes.rate(LAB, "p1", "U1", Rating.UP, NOW)
    await store.votes.rate(LAB, "p2", "U2", Rating.DOWN, NOW)
    given_votes: list[Vote] = []

    def build(votes: list[Vote]) -> TasteProfile:
        given_votes.extend(votes)
        return profile(votes=len(votes))

    assert await store.votes.rebuild(LAB, build) == profile(votes=2)  # type: ignore[arg-type]
    assert [v.paper_id for v in given_votes] == ["p1", "p2"]
    assert await store.taste.profile(LAB) == profile(votes=2)
