"""Partial-match tiers as queries: which words count, what each tier asks for, where they stop."""

from __future__ import annotations

from datetime import date

import pytest

from paperboy.models import PartialMatch
from paperboy.query import parse, render
from paperboy.store import ranking
from paperboy.store.partial import tiers

NEWEST = date(2025, 1, 16)


def shown(text: str) -> list[tuple[str, str]]:
    return [(tier.match.label, render(tier.query)) for tier in tiers(parse(text), NEWEST)]


def test_three_words_go_on_with_two_of_them_but_not_all() -> None:
    assert shown("glacier turbine lantern") == [
        (
            "Partial matches (2 of 3 words)",
            "since:2024-01-17 (glacier turbine OR glacier lantern OR turbine lantern) -(glacier turbine lantern)",
        )
    ]


def test_two_words_go_on_with_either_but_not_both() -> None:
    assert shown("glacier turbine") == [
        ("Partial matches (1 of 2 words)", "since:2024-01-17 (glacier OR turbine) -(glacier turbine)")
    ]


def test_the_rest_of_the_query_stays_required() -> None:
    [(_, query)] = shown('glacier turbine "flow matching" -video upvotes>=10')
    assert query.startswith('"flow matching" -video upvotes>=10 since:2024-01-17 (glacier OR turbine) ')


def test_partial_days_0_looks_through_every_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranking, "PARTIAL_DAYS", 0)
    assert shown("glacier turbine") == [("Partial matches (1 of 2 words)", "(glacier OR turbine) -(glacier turbine)")]


def test_without_a_newest_day_partial_matches_reach_every_paper() -> None:
    [tier] = tiers(parse("glacier turbine"))
    assert render(tier.query) == "(glacier OR turbine) -(glacier turbine)"


def test_tiers_go_down_to_half_the_words() -> None:
    found = [tier.match for tier in tiers(parse("a1 b1 c1 d1 e1"))]
    assert found == [PartialMatch(4, 5), PartialMatch(3, 5)]


def test_tiers_stop_before_too_many_combinations() -> None:
    assert [tier.match.held for tier in tiers(parse("a1 b1 c1 d1 e1 f1 g1"))] == [6]


def test_a_word_like_for_is_required_and_not_counted() -> None:
    [(label, query)] = shown("reinforcement learning for reasoning")
    assert label == "Partial matches (2 of 3 words)"
    assert query.startswith("for since:2024-01-17 (")


def test_a_repeated_word_counts_once() -> None:
    assert [tier.match for tier in tiers(parse("glacier glacier turbine"))] == [PartialMatch(1, 2)]


@pytest.mark.parametrize(
    "text",
    ["glacier", '"glacier turbine"', "title:glacier title:turbine", "glacier -turbine", "glacier OR turbine", "the of"],
)
def test_other_queries_have_no_partial_matches(text: str) -> None:
    assert tiers(parse(text)) == ()
