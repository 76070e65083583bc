"""Recognising arXiv ids in every form people paste."""

from __future__ import annotations

import pytest

from paperboy.arxiv_ids import ArxivId, parse_arxiv_id
from paperboy.errors import InvalidPaperId


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.12345", ArxivId("2401.12345")),
        ("2401.12345v2", ArxivId("2401.12345", 2)),
        ("1412.6980", ArxivId("1412.6980")),
        ("0704.0001", ArxivId("0704.0001")),
        ("1501.00001", ArxivId("1501.00001")),
        ("arXiv:2401.12345v3", ArxivId("2401.12345", 3)),
        ("  2401.12345 ", ArxivId("2401.12345")),
        ("https://arxiv.org/abs/2401.12345v2", ArxivId("2401.12345", 2)),
        ("http://arxiv.org/abs/2401.12345v2", ArxivId("2401.12345", 2)),
        ("https://arxiv.org/pdf/2401.12345.pdf", ArxivId("2401.12345")),
        ("https://huggingface.co/papers/2401.12345", ArxivId("2401.12345")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("cond-mat/0102536v2", ArxivId("cond-mat/0102536", 2)),
    ],
)
def test_parses(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "12345", "2413.12345", "2401.123", "2401.123456", "2401.12345v0", "hep-th/99010", "'; DROP TABLE", "abc"],
)
def test_refuses_what_is_not_an_id(text: str) -> None:
    with pytest.raises(InvalidPaperId, match=r"is not an arXiv id; use a form like 2401\.12345"):
        parse_arxiv_id(text)


@pytest.mark.parametrize("text", ["2401.1234", "1501.0001", "1412.12345", "0703.0001", "0612.1234"])
def test_refuses_a_number_of_the_wrong_length_for_its_month(text: str) -> None:
    """Ids from 1501 on have five digits after the dot, those of 0704–1412 four; new-style ids begin at 0704."""
    with pytest.raises(InvalidPaperId, match="is not an arXiv id"):
        parse_arxiv_id(text)


@pytest.mark.parametrize(
    "text", ["2401.\u0661\u0662\u0663\u0664\u0665", "\u0662\u066401.12345", "\uff12\uff1401.12345"]
)
def test_refuses_digits_other_than_ascii(text: str) -> None:
    with pytest.raises(InvalidPaperId, match="is not an arXiv id"):
        parse_arxiv_id(text)


def test_a_long_bad_id_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidPaperId) as error:
        parse_arxiv_id("x" * 500)
    assert len(str(error.value)) < 200


def test_str_puts_the_version_back() -> None:
    assert str(ArxivId("2401.12345", 2)) == "2401.12345v2"
