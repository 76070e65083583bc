"""The documentation keeps up with the code: every command and option is in the README (sqlite-utils style)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from paperboy.adapters.command_table import CHAT_PLATFORMS, COMMANDS, readme_cell, readme_table
from paperboy.cli import build_parser
from paperboy.models import Platform

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
TWO_COMMANDS = re.compile(r"\A# paperboy\n\n```sh\n(?P<run>.+)\n```\n\n```sh\n(?P<test>.+)\n```\n")


def subcommand_parsers(
    parser: argparse.ArgumentParser | None = None, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    """Every command, nested ones (`discord sync`) by their full name."""
    action = next(a for a in (parser or build_parser())._actions if isinstance(a, argparse._SubParsersAction))
    found: dict[str, argparse.ArgumentParser] = {}
    for name, sub in action.choices.items():
        nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        found |= subcommand_parsers(sub, f"{prefix}{name} ") if nested else {f"{prefix}{name}": sub}
    return found


def readme_row(command: str) -> str:
    rows = [line for line in README.splitlines() if line.startswith(f"| `paperboy {command}")]
    assert rows, f"`paperboy {command}` has no row in the README's command table"
    return rows[0]


@pytest.mark.parametrize("command", sorted(subcommand_parsers()))
def test_every_command_is_in_the_readme(command: str) -> None:
    readme_row(command)


@pytest.mark.parametrize("command", sorted(subcommand_parsers()))
def test_every_option_is_in_the_readme(command: str) -> None:
    row = readme_row(command)
    options = [
        option
        for action in subcommand_parsers()[command]._actions
        for option in action.option_strings
        if option.startswith("--") and option not in {"--help", "--config", "--verbose"}
    ]
    missing = [option for option in options if option not in row]
    assert not missing, f"the README's row for `paperboy {command}` does not mention {missing}"


def test_the_readme_begins_with_the_two_commands() -> None:
    found = TWO_COMMANDS.match(README)
    assert found, "the README must begin with the run command and the test command, each in its own block"
    assert found["run"].endswith("pip install -e . && paperboy run")
    assert found["test"].endswith("pip install -e '.[test]' && pytest")


def test_ci_runs_the_readmes_test_command() -> None:
    found = TWO_COMMANDS.match(README)
    assert found
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert found["test"] in ci


def slash_commands() -> set[str]:
    """Every `/papers` sub-command (`filter set` by its two words); the chat adapters' tests check that each
    platform answers exactly the table's."""
    return {command.name for command in COMMANDS}


def readme_slash_rows() -> list[list[str]]:
    """The cells of the README's slash-command table, row by row (a `\\|` inside a cell is no column break)."""
    section = README.split("## Slash commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_the_readmes_slash_command_table_is_the_command_tables() -> None:
    assert readme_table() in README, "regenerate it with `python -m paperboy.adapters.command_table`"


@pytest.mark.parametrize("platform", CHAT_PLATFORMS, ids=lambda platform: platform.value)
def test_the_readme_shows_each_slash_command_as_the_platform_takes_it(platform: Platform) -> None:
    column = 1 + CHAT_PLATFORMS.index(platform)
    shown = [row[column] for row in readme_slash_rows()]
    assert shown == [readme_cell(command, platform) for command in COMMANDS]
