"""Parsing durations, clock times, time zones and weekday sets."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboy.timespec import (
    format_days,
    format_duration,
    format_weekdays,
    parse_clock,
    parse_days,
    parse_duration,
    parse_timezone,
    parse_weekdays,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 1h 5m ", timedelta(minutes=65)),
    ],
)
def test_parses_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "m", "30x", "-5m", "5m!", "1h30"])
def test_refuses_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration; write a number with a unit"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("9:30", time(9, 30)), ("23:59", time(23, 59))])
def test_parses_clock_times(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "09:60", "9am", ""])
def test_refuses_bad_clock_times(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time of day; write HH:MM"):
        parse_clock(text)


def test_parses_iana_time_zones() -> None:
    assert parse_timezone("Europe/Berlin").key == "Europe/Berlin"


@pytest.mark.parametrize("text", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "CEST+2"])
def test_refuses_unknown_time_zones(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time zone; use an IANA name"):
        parse_timezone(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", set(range(7))),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon-sun", set(range(7))),
        ("mon,wed,fri", {0, 2, 4}),
        ("mon,wed-fri", {0, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("Saturday, sunday", {5, 6}),
        ("weekdays", {0, 1, 2, 3, 4}),
    ],
)
def test_parses_weekday_sets(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == expected


@pytest.mark.parametrize("text", ["", "mon-", "funday", "mon,,fri", "mo"])
def test_refuses_bad_weekday_sets(text: str) -> None:
    with pytest.raises(ValueError, match="is not a set of days"):
        parse_weekdays(text)


@given(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
def test_format_weekdays_round_trips(days: frozenset[int]) -> None:
    assert parse_weekdays(format_weekdays(days)) == days


@pytest.mark.parametrize("text", ["utc", "europe/berlin", "AMERICA/NEW_YORK"])
def test_a_time_zone_is_understood_in_any_case(text: str) -> None:
    assert parse_timezone(text).key.lower() == text.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weekly on mon", 0),
        ("weekly", 0),
        ("weekly fri", 4),
        ("weekly:fri", 4),
        ("weekly-sun", 6),
        ("Weekly on Wednesday", 2),
        ("weekly on tuesdays", 1),
        ("  weekly   on  thu ", 3),
    ],
)
def test_parses_weekly_schedules(text: str, expected: int) -> None:
    assert parse_days(text) == (frozenset({expected}), True)


def test_days_that_are_not_weekly_are_a_set_of_days() -> None:
    assert parse_days("mon-fri") == (frozenset(range(5)), False)


@pytest.mark.parametrize("text", ["weekly on", "weekly on funday", "weekly mon-fri", "weekly on mon,fri", "weeklyx"])
def test_refuses_bad_weekly_schedules(text: str) -> None:
    with pytest.raises(ValueError, match=r"weekly"):
        parse_days(text)


@given(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1), st.booleans())
def test_format_days_round_trips(days: frozenset[int], weekly: bool) -> None:
    if weekly:
        days = frozenset({min(days)})
    assert parse_days(format_days(days, weekly=weekly)) == (days, weekly)
