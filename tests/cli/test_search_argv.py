"""`paperboy search` reads words that start with "-" (exclusions) as query text, not as options."""

from __future__ import annotations

import pytest

from paperboy.cli.search import separate_query


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["search", "diffusion", "-video"], ["search", "--", "diffusion", "-video"]),
        (
            ["-v", "search", "a", "-b", "--limit", "3", "--json", "c"],
            ["-v", "search", "--limit", "3", "--json", "--", "a", "-b", "c"],
        ),
        (["--config", "search", "search", "x"], ["--config", "search", "search", "--", "x"]),
        (["search", "--sort=newest", "-x"], ["search", "--sort=newest", "--", "-x"]),
        (["search", "--", "-x"], ["search", "--", "-x"]),
        (["paper", "search"], ["paper", "search"]),
    ],
)
def test_query_words_are_separated_from_options(argv: list[str], expected: list[str]) -> None:
    assert separate_query(argv) == expected
