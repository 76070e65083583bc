"""Rendering a syntax tree to its canonical text, and parsing that text back to the same tree."""

from __future__ import annotations

import pytest
from hypothesis import given

from paperboy.query import canonical
from paperboy.query.ast import Node, render
from paperboy.query.parser import parse
from tests.query.strategies import trees


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
