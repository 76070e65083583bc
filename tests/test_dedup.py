"""The one rule that turns two sightings of a paper into one record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboy.dedup import merge_papers, merge_sightings
from paperboy.models import Paper

HF = Paper(
    id="2401.12345",
    title="From Hugging Face",
    abstract="Abstract.",
    authors=("A", "B"),
    published_at=datetime(2024, 1, 20, tzinfo=UTC),
    daily_date=date(2024, 1, 22),
    upvotes=10,
    comments=2,
    ai_summary="Summary.",
    ai_keywords=("k",),
    github_repo="https://github.com/a/b",
    github_stars=5,
    sources=frozenset({"huggingface"}),
)
ARXIV = Paper(
    id="2401.12345",
    title="From arXiv",
    abstract="Abstract v2.",
    authors=("A", "B", "C"),
    published_at=datetime(2024, 1, 19, 18, tzinfo=UTC),
    categories=("cs.LG", "cs.CL"),
    version=2,
    sources=frozenset({"arxiv"}),
)


def test_newer_counts_win() -> None:
    merged = merge_papers(HF, Paper(id=HF.id, title=HF.title, upvotes=25, comments=4, github_stars=9))
    assert (merged.upvotes, merged.comments, merged.github_stars) == (25, 4, 9)


def test_a_source_that_lacks_a_field_never_erases_it() -> None:
    merged = merge_papers(HF, ARXIV)
    assert merged.upvotes == 10 and merged.comments == 2 and merged.ai_summary == "Summary."
    assert merged.github_repo == "https://github.com/a/b" and merged.daily_date == date(2024, 1, 22)


def test_fields_one_source_lacks_are_filled_from_the_other() -> None:
    merged = merge_papers(ARXIV, HF)
    assert merged.categories == ("cs.LG", "cs.CL") and merged.upvotes == 10
    assert merged.sources == {"arxiv", "huggingface"}


def test_the_highest_version_is_kept() -> None:
    assert merge_papers(ARXIV, Paper(id=ARXIV.id, title="t", version=1)).version == 2
    assert merge_papers(ARXIV, Paper(id=ARXIV.id, title="t", version=3)).version == 3


def test_an_older_version_seen_later_does_not_overwrite_the_newer_versions_text() -> None:
    old_copy = Paper(id=ARXIV.id, title="First title", abstract="First abstract.", authors=("A",), version=1)
    merged = merge_papers(ARXIV, old_copy)
    assert (merged.title, merged.abstract, merged.authors, merged.version) == (
        ARXIV.title,
        ARXIV.abstract,
        ARXIV.authors,
        2,
    )


def test_an_older_version_fills_what_the_newer_one_lacks() -> None:
    merged = merge_papers(ARXIV, replace(HF, version=1))
    assert merged.title == ARXIV.title and merged.ai_summary == HF.ai_summary and merged.upvotes == HF.upvotes


@pytest.mark.parametrize("order", [1, -1], ids=["newer-first", "older-first"])
def test_copies_seen_at_once_keep_the_highest_version_and_counts_in_any_order(order: int) -> None:
    v3 = Paper(id=HF.id, title="Third", upvotes=30, comments=1, github_stars=None, version=3)
    v1 = Paper(id=HF.id, title="First", upvotes=4, comments=2, github_stars=7, version=1)
    [merged] = merge_sightings([v3, v1][::order])
    assert (merged.title, merged.version) == ("Third", 3)
    assert (merged.upvotes, merged.comments, merged.github_stars) == (30, 2, 7)


def test_sightings_of_different_papers_stay_apart_in_order() -> None:
    other = Paper(id="2401.99999", title="other")
    assert [p.id for p in merge_sightings([HF, other, ARXIV])] == [HF.id, other.id]


def test_the_earliest_publication_date_is_kept() -> None:
    assert merge_papers(HF, ARXIV).published_at == datetime(2024, 1, 19, 18, tzinfo=UTC)


def test_refuses_to_merge_different_papers() -> None:
    with pytest.raises(ValueError, match="cannot merge"):
        merge_papers(HF, Paper(id="2401.99999", title="other"))


papers = st.builds(
    Paper,
    id=st.just("2401.12345"),
    title=st.text(min_size=1, max_size=10),
    abstract=st.text(max_size=10),
    authors=st.lists(st.text(min_size=1, max_size=5), max_size=3).map(tuple),
    upvotes=st.none() | st.integers(0, 1000),
    daily_date=st.none() | st.dates(),
    version=st.none() | st.integers(1, 9),
    sources=st.frozensets(st.sampled_from(["huggingface", "arxiv"])),
)


@given(papers, papers)
def test_merging_the_same_sighting_again_changes_nothing(stored: Paper, incoming: Paper) -> None:
    once = merge_papers(stored, incoming)
    assert merge_papers(once, incoming) == once
