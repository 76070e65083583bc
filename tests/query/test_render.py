"""Rendering a syntax tree to its canonical text, and parsing that text back to the same tree."""

from __future__ import annotations

import pytest
from hypothesis import given

from paperboy.query import canonical
from paperboy.query.ast import MAX_COUNT, MAX_DAYS_AGO, Bound, Compare, Count, DateLimit, MatchField, Node, Op, render
from paperboy.query.parser import parse
from tests.query.strategies import MATCH_VALUES, spelled_queries, trees


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a | b", "a OR b"),
        ("NOT video", "-video"),
        ("a AND b", "a b"),
        ("(a OR b) c", "(a OR b) c"),
        ("a (b c)", "a b c"),
        ("a OR (b c)", "a OR b c"),
        ("-(a b)", "-(a b)"),
        ('title:(a OR "b c")', 'title:a OR title:"b c"'),
        ("id:2401.12345v2", "id:2401.12345"),
        ("since:2w", "since:14d"),
        ("since:today", "since:0d"),
        ("since:yesterday", "since:1d"),
        ("since:\u0667d", "since:7d"),
        ("upvotes:>50", "upvotes>50"),
        ("upvotes:50", "upvotes=50"),
        ("upvotes>=\u0663", "upvotes>=3"),
        ("upvotes>=007", "upvotes>=7"),
        ("more:007", "more:7"),
        ("more:\u0661\u0662\u0663", "more:123"),
        ('org:"Google DeepMind"', 'org:"Google DeepMind"'),
        ("code:YES", "code:yes"),
        ('"  flow   matching "*', '"flow matching"*'),
        ("NOT --x", "NOT --x"),
    ],
)
def test_canonical_spelling(text: str, shown: str) -> None:
    assert canonical(text) == shown


@given(trees)
def test_parsing_the_rendering_gives_the_same_tree(tree: Node) -> None:
    assert parse(render(tree)) == tree
    assert render(parse(render(tree))) == render(tree)


def test_the_trees_tried_hold_every_kind_of_match() -> None:
    assert set(MATCH_VALUES) == set(MatchField)


@given(spelled_queries)
def test_every_spelling_parses_to_its_tree_and_renders_canonically(spelled: tuple[str, Node]) -> None:
    text, tree = spelled
    assert parse(text) == tree
    assert parse(render(tree)) == tree


def test_the_furthest_relative_date_renders_to_text_that_parses() -> None:
    tree = DateLimit(Bound.SINCE, days_ago=MAX_DAYS_AGO)
    assert parse(render(tree)) == tree


def test_a_relative_date_beyond_the_bound_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="0 to 36525 days ago"):
        DateLimit(Bound.SINCE, days_ago=MAX_DAYS_AGO + 1)


def test_a_count_beyond_the_bound_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="0 to 999999999"):
        Compare(Count.STARS, Op.GT, MAX_COUNT + 1)
