"""Each command's `--help`: a description of its own, and for `search` every part of the query language."""

from __future__ import annotations

import argparse

import pytest

from paperboy.cli import build_parser
from paperboy.query.ast import Count, MatchField, TextField
from tests.test_docs import subcommand_parsers

PARSERS = subcommand_parsers(build_parser())
#: `db` and `discord` too: they have a help page of their own, above their actions'
GROUPS = {name.split()[0] for name in PARSERS if " " in name}


def parser_of(command: str) -> argparse.ArgumentParser:
    found = build_parser()
    for word in command.split():
        action = next(a for a in found._actions if isinstance(a, argparse._SubParsersAction))
        found = action.choices[word]
    return found


@pytest.mark.parametrize("command", sorted([*PARSERS, *GROUPS]))
def test_every_command_has_a_description_sentence(command: str) -> None:
    description = parser_of(command).description or ""
    assert description[:1].isupper(), f"`paperboy {command} --help` has no description, or not a sentence"
    assert description.endswith("."), description
    assert not description.startswith("`"), "a module docstring is not a description: " + description


def test_search_help_names_every_part_of_the_query_language() -> None:
    [query] = [a for a in parser_of("search")._actions if a.dest == "query"]
    said = query.help or ""
    fields = [f"{field.value}:" for field in (*TextField, *MatchField)]
    counts = [count.value for count in Count]
    missing = [
        part
        for part in [*fields, *counts, "since:", "before:", " OR ", " | ", "NOT ", "-word", '"']
        if part not in said
    ]
    assert not missing, f"`paperboy search --help` leaves out {missing}"
    assert "The query language" in said, "it points to the README's section for the details"
