"""The time paperboy goes by. Everything that asks "what time is it" takes a `Clock`, so tests can set it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from paperboy.errors import ConfigError
from paperboy.timespec import parse_duration

#: shifts `paperboy run`'s clock, so that an end-to-end test can make a digest due without waiting for it
OFFSET_ENV = "PAPERBOY_CLOCK_OFFSET"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC, shifted by `offset` (normally none)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemClock:
        """The clock, shifted by `$PAPERBOY_CLOCK_OFFSET` (like "2m" or "-1h") when that is set."""
        text = (os.environ if env is None else env).get(OFFSET_ENV, "").strip()
        if not text:
            return cls()
        negative = text.startswith("-")
        try:
            offset = parse_duration(text.removeprefix("-"))
        except ValueError:
            raise ConfigError(f'${OFFSET_ENV} "{text}" is not a duration; write it like "90s" or "-1h"') from None
        return cls(-offset if negative else offset)
