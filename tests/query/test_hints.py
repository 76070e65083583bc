"""`hints`: an operator written in lower case is asked about, never reinterpreted."""

from __future__ import annotations

import pytest
from hypothesis import given

from paperboy.query import hints, parse
from paperboy.query.ast import And, Phrase, Term
from tests.query.strategies import query_texts


def test_a_lower_case_or_between_terms_asks_did_you_mean_or() -> None:
    (hint,) = hints('diffusion or "flow matching"')
    assert hint.startswith('did you mean OR? "or" at column 11 is searched as a word (operators are upper case)')


def test_the_query_keeps_its_meaning_whatever_the_hint() -> None:
    assert parse('diffusion or "flow matching"') == And((Term("diffusion"), Term("or"), Phrase("flow matching")))


@pytest.mark.parametrize(
    ("query", "operator"),
    [("a and b", "AND"), ("diffusion not video", "NOT"), ("not video", "NOT"), ("(a or b) c", "OR"), ("a Or b", "OR")],
)
def test_each_lower_case_operator_is_asked_about(query: str, operator: str) -> None:
    (hint,) = hints(query)
    assert hint.startswith(f"did you mean {operator}? ")


def test_the_not_hint_shows_the_short_form_with_the_word_that_follows() -> None:
    (hint,) = hints("llm not survey")
    assert hint.endswith('write NOT (or -survey) to leave out what follows, or "not" in quotes for the word')


def test_every_lower_case_operator_gets_its_own_hint() -> None:
    assert [hint.split("?")[0] for hint in hints("a or b and c not d")] == [
        "did you mean OR",
        "did you mean AND",
        "did you mean NOT",
    ]


@pytest.mark.parametrize(
    "query", ["a OR b", "or", "x or", "or x", '"or" x', "title:or x", "a | b", "x -and", "x -not y"]
)
def test_no_hint_where_no_operator_could_stand(query: str) -> None:
    assert hints(query) == ()


def test_text_that_does_not_parse_gets_no_hint() -> None:
    assert hints('a or "b') == ()


@given(query_texts)
def test_hints_never_fail(text: str) -> None:
    assert isinstance(hints(text), tuple)
