"""The system clock, and the offset an end-to-end test may give `paperboy run`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperboy.clock import SystemClock
from paperboy.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "offset"), [("", timedelta(0)), ("90s", timedelta(seconds=90)), ("-1h", timedelta(hours=-1))]
)
def test_the_offset_comes_from_the_environment(text: str, offset: timedelta) -> None:
    clock = SystemClock.from_env({"PAPERBOY_CLOCK_OFFSET": text})
    assert clock.offset == offset
    assert abs(clock.now() - (datetime.now(UTC) + offset)) < timedelta(seconds=5)


def test_a_bad_offset_is_said_in_words() -> None:
    with pytest.raises(ConfigError) as error:
        SystemClock.from_env({"PAPERBOY_CLOCK_OFFSET": "soon"})
    assert str(error.value) == '$PAPERBOY_CLOCK_OFFSET "soon" is not a duration; write it like "90s" or "-1h"'
