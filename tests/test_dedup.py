"""The one rule that turns two sightings of a paper into one record."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboy.dedup import merge_papers
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
