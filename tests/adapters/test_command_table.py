"""The one table of `/papers` sub-commands: how each platform's help and the README show them, and the rules
the adapters rely on when they bind it."""

from __future__ import annotations

import re

import pytest

from paperboy.adapters.command_table import (
    BY_NAME,
    COMMANDS,
    Command,
    Kind,
    Option,
    Unavailable,
    commands_on,
    readme_cell,
    sort_order,
    syntax,
)
from paperboy.errors import UserInputError
from paperboy.models import Platform, Sort


def test_discord_shows_options_by_name_and_slack_by_their_shape_or_as_name_value() -> None:
    subscribe = BY_NAME["subscribe"]
    assert syntax(subscribe, Platform.DISCORD) == (
        "/papers subscribe [time] [timezone] [days] [max] [min_upvotes] [taste] [taste_weight]"
    )
    assert syntax(subscribe, Platform.SLACK) == (
        "/papers subscribe [HH:MM] [time zone] [days] [max:N] [min_upvotes:N] [taste:on|off] [taste_weight:N]"
    )


def test_a_required_option_is_in_angle_brackets_and_a_choice_lists_its_words() -> None:
    search = BY_NAME["search"]
    assert syntax(search, Platform.DISCORD) == "/papers search <query> [sort]"
    assert syntax(search, Platform.SLACK) == "/papers search <query> [sort:relevance|upvotes|newest]"


def test_the_readme_escapes_the_bars_of_a_choice() -> None:
    assert readme_cell(BY_NAME["search"], Platform.SLACK) == (
        "`/papers search <query> [sort:relevance\\|upvotes\\|newest]`"
    )


def test_a_command_a_platform_cannot_offer_is_left_out_there_and_the_readme_says_why() -> None:
    only_discord = Command("pin", "Pin a paper", unavailable=(Unavailable(Platform.SLACK, "Slack has no pins here"),))
    assert only_discord.offered_on(Platform.DISCORD) and not only_discord.offered_on(Platform.SLACK)
    assert readme_cell(only_discord, Platform.SLACK) == "not offered: Slack has no pins here"
    assert readme_cell(only_discord, Platform.DISCORD) == "`/papers pin`"


def test_both_platforms_offer_every_command() -> None:
    assert commands_on(Platform.DISCORD) == commands_on(Platform.SLACK) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_slack_can_tell_a_commands_options_apart(command: Command) -> None:
    """Slack reads free text as the words left over, and a time, a time zone and days by their shape: a command
    can take at most one of each."""
    kinds = [option.kind for option in command.options if option.bare]
    assert len(kinds) == len(set(kinds))
    assert len({option.name for option in command.options}) == len(command.options)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_names_are_names_discord_takes(command: Command) -> None:
    names = [*command.name.split(), *(option.name for option in command.options)]
    assert all(re.fullmatch(r"[a-z0-9_-]{1,32}", name) for name in names)


def test_a_choice_shows_its_words_and_a_number_an_n() -> None:
    assert Option("sort", Kind.CHOICE, "Order", choices=("a", "b")).placeholder == "a|b"
    assert Option("max", Kind.NUMBER, "Most").placeholder == "N"
    assert not Option("max", Kind.NUMBER, "Most").bare


def test_a_sort_order_is_read_in_any_letter_case() -> None:
    assert sort_order(" Newest ") is Sort.NEWEST


def test_a_sort_order_that_is_none_is_named() -> None:
    with pytest.raises(UserInputError, match='"best" is not a sort order; use relevance, upvotes or newest'):
        sort_order("best")
