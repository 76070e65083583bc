"""Every `/papers` sub-command of the command table, typed with all its options, as Discord sends it and as
someone writes it in Slack: the tests that go through the whole table run each one so."""

from __future__ import annotations

from typing import Any

from paperboy.adapters.command_table import BY_NAME
from tests.fakes.corpus import corpus_papers

#: a value for every option in the table; an option missing here fails the tests that go through the table.
#: Each differs from what `BEFORE` sets, so that a command run with it changes a channel's feed.
SAMPLES: dict[str, str | int | float] = {
    "query": "diffusion",
    "id": corpus_papers()[0].id,
    "sort": "upvotes",
    "time": "07:15",
    "timezone": "Asia/Tokyo",
    "days": "daily",
    "max": 3,
    "min_upvotes": 7,
    "taste": "off",
    "taste_weight": 2.5,
}
#: a channel's settings before the command runs (`SubscriptionService.subscribe`'s keywords)
BEFORE: dict[str, str] = {"time": "09:00", "timezone": "UTC", "days": "mon-fri", "filter": "transformer"}


def discord_options(name: str) -> dict[str, Any]:
    """The sub-command's options, each with its sample value, for `tests.fakes.discord.command`."""
    return {option.name: SAMPLES[option.name] for option in BY_NAME[name].options}


def slack_text(name: str) -> str:
    """`/papers`'s text in Slack: the sub-command, then each option as Slack's help shows it."""
    words = [name]
    for option in BY_NAME[name].options:
        value = SAMPLES[option.name]
        words.append(f"{value}" if option.bare else f"{option.name}:{value}")
    return " ".join(words)
