"""`paperboy search` reads words that start with "-" (exclusions) as query text, not as options."""

from __future__ import annotations

import pytest

from paperboy.cli.search import separate_query
from tests.test_docs import subcommand_parsers


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["search", "diffusion", "-video"], ["search", "--", "diffusion", "-video"]),
        (["search", "-video", "diffusion"], ["search", "--", "-video", "diffusion"]),
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


@pytest.mark.parametrize("flag", ["-h", "--help", "-v", "-vvv", "--verbose", "--json"])
def test_a_flag_of_search_keeps_its_meaning(flag: str) -> None:
    assert separate_query(["search", "a", flag, "-b"]) == ["search", flag, "--", "a", "-b"]


def test_after_the_users_own_double_dash_everything_is_query_text() -> None:
    assert separate_query(["search", "-video", "--json", "--", "-h", "--limit", "3"]) == [
        "search", "--json", "--", "-video", "-h", "--limit", "3",
    ]  # fmt: skip


def test_an_abbreviated_option_takes_its_value_as_argparse_reads_it() -> None:
    assert separate_query(["search", "--lim", "3", "-x"]) == ["search", "--lim", "3", "--", "-x"]


def test_an_unknown_double_dash_option_is_left_for_argparse_to_refuse() -> None:
    assert separate_query(["search", "--limt", "3", "x"]) == ["search", "--limt", "--", "3", "x"]


def test_every_option_of_search_is_known_to_the_separation() -> None:
    """An option added to `search` but not to `separate_query` would be read as query text when it has a value."""
    options = {o for a in subcommand_parsers()["search"]._actions for o in a.option_strings}
    for option in options:
        assert separate_query(["search", option, "value", "-x"])[1] == option
    valued = {o for a in subcommand_parsers()["search"]._actions if a.nargs is None for o in a.option_strings}
    for option in valued:
        assert separate_query(["search", option, "value", "-x"])[2] == "value", option


def test_an_options_missing_value_stays_missing_for_argparse_to_name() -> None:
    assert separate_query(["search", "x", "--limit"]) == ["search", "--limit", "--", "x"]
