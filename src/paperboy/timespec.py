"""Parsing of the time values people write in config and commands: durations, clock times, weekdays, zones.

Each parser raises `ValueError` with a sentence that says what form is expected; callers add where the text
came from (a config key, a command option).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_duration(text: str) -> timedelta:
    """`"30m"`, `"1h30m"`, `"90s"`, `"250ms"`, `"2d"` → timedelta."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f'"{text}" is not a duration; write a number with a unit (ms, s, m, h, d), like "30m"')
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))


def format_duration(value: timedelta) -> str:
    """The inverse of `parse_duration` for whole seconds: timedelta(minutes=90) → "1h30m"."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return f"{round(value.total_seconds() * 1000)}ms"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)


def parse_clock(text: str) -> time:
    """`"09:00"` or `"9:30"` → time, 24-hour clock."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f'"{text}" is not a time of day; write HH:MM on a 24-hour clock, like "09:00"')
    return time(int(match.group(1)), int(match.group(2)))


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA time zone name, like `Europe/Berlin` or `UTC`."""
    name = text.strip()
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:  # the names are case-sensitive; people type `utc`, `europe/berlin`
            return ZoneInfo(_zone_names().get(name.lower(), name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'"{text}" is not a time zone; use an IANA name like "Europe/Berlin", "America/New_York" or "UTC"'
        ) from None


def parse_weekdays(text: str) -> frozenset[int]:
    """`daily`, `weekdays`, `mon-fri`, `mon-sun`, `sat,sun`, `mon,wed-fri` → weekday numbers (Monday is 0)."""
    spec = text.strip().lower().replace(" ", "")
    if spec in ("daily", "everyday"):
        return frozenset(range(7))
    if spec == "weekdays":
        return frozenset(range(5))
    if spec == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    try:
        for item in spec.split(","):
            first, dash, last = item.partition("-")
            start = _day_index(first)
            end = _day_index(last) if dash else start
            # a range may wrap around the week: "fri-mon" is Friday to Monday
            days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    except ValueError:
        raise ValueError(
            f'"{text}" is not a set of days; write "daily", "mon-fri", or a list like "mon,wed,fri"'
        ) from None
    return frozenset(days)


#: `weekly`, `weekly mon`, `weekly on monday`, `weekly:mon`, `weekly-mondays` (the day's word is checked after)
_WEEKLY = re.compile(r"weekly(?:(?:\s+on\s+|\s*[:-]\s*|\s+)(\w+))?")


def parse_days(text: str) -> tuple[frozenset[int], bool]:
    """The days a digest comes on, and whether it is weekly: `weekly on mon` (also `weekly`, which is Monday,
    `weekly mon`, `weekly:mon`, `weekly on monday`) is once a week on that day; anything else is a set of days
    as `parse_weekdays` reads it."""
    spec = " ".join(text.strip().lower().split())
    match = _WEEKLY.fullmatch(spec)
    if match is None:
        try:
            return parse_weekdays(text), False
        except ValueError:
            raise ValueError(
                f'"{text}" is not a set of days; write "daily", "mon-fri", a list like "mon,wed,fri", or '
                '"weekly on mon" for a weekly digest'
            ) from None
    word = match.group(1) or "mon"
    try:
        day = _day_index(word[:-1] if word.endswith("s") and word not in WEEKDAYS else word)  # "mondays"
    except ValueError:
        raise ValueError(
            f'"{text}" is not a weekly schedule; write "weekly on" and one day, like "weekly on mon"'
        ) from None
    return frozenset({day}), True


@dataclass(frozen=True, slots=True)
class Days:
    """The days a digest comes on, as one text: `mon-fri`, or with `weekly` the one day of a weekly digest
    (`weekly on fri`). `digest.days` in the config is one of these, so that it takes what `--days` takes."""

    weekdays: frozenset[int]
    weekly: bool = False

    @classmethod
    def parse(cls, text: str) -> Days:
        """What `parse_days` reads, with its error messages."""
        weekdays, weekly = parse_days(text)
        return cls(weekdays, weekly)

    def __str__(self) -> str:
        return format_days(self.weekdays, weekly=self.weekly)


def format_days(days: frozenset[int], *, weekly: bool = False) -> str:
    """The inverse of `parse_days`: `weekly on mon`, or the days as `format_weekdays` spells them."""
    if weekly:
        [day] = days
        return f"weekly on {WEEKDAYS[day]}"
    return format_weekdays(days)


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name by its lower-case spelling, so that `utc` or `europe/berlin` are understood."""
    return {name.lower(): name for name in available_timezones()}


def format_weekdays(days: frozenset[int]) -> str:
    """The shortest spelling of a set of weekdays: `daily`, `mon-fri`, `mon,wed,fri`."""
    if len(days) == 7:
        return "daily"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [
        f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}" if len(run) > 2 else ",".join(WEEKDAYS[d] for d in run)
        for run in runs
    ]
    return ",".join(parts)


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day_index(word: str) -> int:
    for index, names in enumerate(zip(WEEKDAYS, _FULL_NAMES, strict=True)):
        if word in names:
            return index
    raise ValueError(word)
