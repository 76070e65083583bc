"""When digests fall due: local post times, weekdays, time zones, daylight saving, downtime, new channels."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperboy.schedule import Schedule, is_due, latest_due, next_due, occurrence_on

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
DAILY = frozenset(range(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sent_days(schedule: Schedule, start: datetime, end: datetime, step_minutes: int) -> tuple[list[date], datetime]:
    """The days a scheduler checking `schedule` every `step_minutes` from `start` to `end` sends a digest for,
    and the last moment it checked."""
    sent: list[date] = []
    last_day: date | None = None
    now = start
    while now <= end:
        due = is_due(schedule, now, last_day, not_before=start)
        if due is not None:
            sent.append(due.day)
            last_day = due.day
        now += timedelta(minutes=step_minutes)
    return sent, now - timedelta(minutes=step_minutes)


def test_due_at_the_local_post_time() -> None:
    schedule = Schedule(time(9, 0), BERLIN, DAILY)
    assert is_due(schedule, utc(2025, 1, 15, 7, 59), last_day=date(2025, 1, 14)) is None
    due = is_due(schedule, utc(2025, 1, 15, 8, 0), last_day=date(2025, 1, 14))
    assert due is not None and due.day == date(2025, 1, 15) and due.due == utc(2025, 1, 15, 8, 0)


def test_one_digest_per_local_day() -> None:
    schedule = Schedule(time(9, 0), BERLIN, DAILY)
    assert is_due(schedule, utc(2025, 1, 15, 20, 0), last_day=date(2025, 1, 15)) is None


def test_the_utc_hour_follows_daylight_saving() -> None:
    schedule = Schedule(time(9, 0), NEW_YORK, DAILY)
    assert occurrence_on(schedule, date(2025, 1, 15)).due == utc(2025, 1, 15, 14, 0)
    assert occurrence_on(schedule, date(2025, 7, 15)).due == utc(2025, 7, 15, 13, 0)


def test_a_post_time_in_the_spring_gap_falls_when_the_clocks_have_moved_on() -> None:
    schedule = Schedule(time(2, 30), BERLIN, DAILY)  # 2025-03-30: 02:00 CET becomes 03:00 CEST
    occurrence = occurrence_on(schedule, date(2025, 3, 30))
    assert occurrence.due == utc(2025, 3, 30, 1, 30)  # 03:30 CEST
    assert is_due(schedule, utc(2025, 3, 30, 1, 29), last_day=date(2025, 3, 29)) is None
    assert is_due(schedule, utc(2025, 3, 30, 1, 30), last_day=date(2025, 3, 29)) is not None


def test_a_post_time_that_happens_twice_in_autumn_is_sent_at_the_first() -> None:
    schedule = Schedule(time(2, 30), BERLIN, DAILY)  # 2025-10-26: 03:00 CEST becomes 02:00 CET
    first = occurrence_on(schedule, date(2025, 10, 26))
    assert first.due == utc(2025, 10, 26, 0, 30)  # 02:30 CEST
    assert is_due(schedule, utc(2025, 10, 26, 0, 30), last_day=date(2025, 10, 25)) == first
    # an hour later the wall clock reads 02:30 again: that day had its digest
    assert is_due(schedule, utc(2025, 10, 26, 1, 30), last_day=date(2025, 10, 26)) is None


def test_weekend_days_are_skipped() -> None:
    schedule = Schedule(time(9, 0), BERLIN, WEEKDAYS)
    saturday_noon = utc(2025, 1, 18, 11, 0)
    assert is_due(schedule, saturday_noon, last_day=date(2025, 1, 17)) is None
    monday = is_due(schedule, utc(2025, 1, 20, 8, 0), last_day=date(2025, 1, 17))
    assert monday is not None and monday.day == date(2025, 1, 20)


def test_a_friday_missed_over_the_weekend_goes_out_once() -> None:
    schedule = Schedule(time(9, 0), BERLIN, WEEKDAYS)
    due = is_due(schedule, utc(2025, 1, 19, 12, 0), last_day=date(2025, 1, 16))
    assert due is not None and due.day == date(2025, 1, 17)


def test_after_downtime_only_the_latest_missed_day_is_due() -> None:
    schedule = Schedule(time(9, 0), BERLIN, DAILY)
    due = is_due(schedule, utc(2025, 1, 20, 12, 0), last_day=date(2025, 1, 14))
    assert due is not None and due.day == date(2025, 1, 20)


def test_downtime_ending_before_todays_time_sends_yesterdays_then_todays() -> None:
    schedule = Schedule(time(9, 0), BERLIN, DAILY)
    catch_up = is_due(schedule, utc(2025, 1, 20, 6, 0), last_day=date(2025, 1, 14))
    assert catch_up is not None and catch_up.day == date(2025, 1, 19)
    later = is_due(schedule, utc(2025, 1, 20, 8, 0), last_day=catch_up.day)
    assert later is not None and later.day == date(2025, 1, 20)


def test_a_new_subscription_waits_for_its_next_post_time() -> None:
    schedule = Schedule(time(9, 0), BERLIN, DAILY)
    made = utc(2025, 1, 15, 12, 0)
    assert is_due(schedule, utc(2025, 1, 15, 13, 0), last_day=None, not_before=made) is None
    due = is_due(schedule, utc(2025, 1, 16, 8, 0), last_day=None, not_before=made)
    assert due is not None and due.day == date(2025, 1, 16)


def test_the_local_day_can_differ_from_the_utc_day() -> None:
    schedule = Schedule(time(9, 0), ZoneInfo("Pacific/Auckland"), DAILY)
    due = latest_due(schedule, utc(2025, 1, 13, 21, 0))  # Tuesday 10:00 in Auckland, Monday in UTC
    assert due is not None and due.day == date(2025, 1, 14)


def test_next_due_skips_to_the_next_chosen_day() -> None:
    schedule = Schedule(time(9, 0), BERLIN, frozenset({0}))  # Mondays
    upcoming = next_due(schedule, utc(2025, 1, 15, 12, 0))
    assert upcoming is not None and upcoming.day == date(2025, 1, 20)


def test_no_chosen_day_is_never_due() -> None:
    schedule = Schedule(time(9, 0), BERLIN, frozenset())
    assert latest_due(schedule, utc(2025, 1, 15, 12, 0)) is None
    assert next_due(schedule, utc(2025, 1, 15, 12, 0)) is None


def test_describe() -> None:
    assert Schedule(time(7, 5), BERLIN, WEEKDAYS).describe() == "07:05 Europe/Berlin, mon-fri"


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.sampled_from([time(0, 0), time(1, 30), time(2, 30), time(3, 0), time(9, 0), time(23, 59)]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    step_minutes=st.integers(1, 120),
    start=st.sampled_from([utc(2025, 3, 20), utc(2025, 10, 20), utc(2025, 3, 25, 13, 7), utc(2025, 9, 28)]),
)
def test_checking_every_few_minutes_sends_each_chosen_day_exactly_once(
    zone: str, at: time, days: frozenset[int], step_minutes: int, start: datetime
) -> None:
    schedule = Schedule(at, ZoneInfo(zone), days)
    end = start + timedelta(days=21)  # spans a DST change in the zones that have one
    sent, checked_until = sent_days(schedule, start, end, step_minutes)
    local = start.astimezone(schedule.timezone).date()
    expected = []
    while local <= end.astimezone(schedule.timezone).date():
        occurrence = occurrence_on(schedule, local)
        if local.weekday() in days and start <= occurrence.due <= checked_until:
            expected.append(local)
        local += timedelta(days=1)
    assert sent == expected


# --- weekly schedules: one day of the week, the same rules -------------------------------------------------

MONDAY = frozenset({0})
SUNDAY = frozenset({6})


def test_a_weekly_schedule_is_due_once_on_its_day() -> None:
    schedule = Schedule(time(9, 0), BERLIN, MONDAY, weekly=True)
    assert is_due(schedule, utc(2025, 1, 19, 12, 0), last_day=date(2025, 1, 13)) is None  # Sunday
    due = is_due(schedule, utc(2025, 1, 20, 8, 0), last_day=date(2025, 1, 13))
    assert due is not None and due.day == date(2025, 1, 20)
    assert is_due(schedule, utc(2025, 1, 24, 8, 0), last_day=date(2025, 1, 20)) is None  # the rest of its week


def test_a_weekly_digest_keeps_its_local_time_across_the_march_change() -> None:
    # 2025-03-30 (a Sunday): Berlin moves from CET (UTC+1) to CEST (UTC+2)
    schedule = Schedule(time(9, 0), BERLIN, SUNDAY, weekly=True)
    assert occurrence_on(schedule, date(2025, 3, 23)).due == utc(2025, 3, 23, 8, 0)
    assert occurrence_on(schedule, date(2025, 3, 30)).due == utc(2025, 3, 30, 7, 0)
    assert is_due(schedule, utc(2025, 3, 30, 6, 59), last_day=date(2025, 3, 23)) is None
    due = is_due(schedule, utc(2025, 3, 30, 7, 0), last_day=date(2025, 3, 23))
    assert due is not None and due.day == date(2025, 3, 30)


def test_a_weekly_post_time_in_the_spring_gap_falls_when_the_clocks_have_moved_on() -> None:
    # 2025-03-09 (a Sunday): New York skips from 02:00 EST to 03:00 EDT
    schedule = Schedule(time(2, 30), NEW_YORK, SUNDAY, weekly=True)
    due = is_due(schedule, utc(2025, 3, 9, 7, 30), last_day=date(2025, 3, 2))  # 03:30 EDT
    assert due is not None and due.day == date(2025, 3, 9) and due.due == utc(2025, 3, 9, 7, 30)
    assert is_due(schedule, utc(2025, 3, 9, 7, 29), last_day=date(2025, 3, 2)) is None


def test_a_weekly_post_time_that_happens_twice_in_october_goes_out_once() -> None:
    # 2025-10-26 (a Sunday): Berlin's 02:00–03:00 happens twice
    schedule = Schedule(time(2, 30), BERLIN, SUNDAY, weekly=True)
    first = is_due(schedule, utc(2025, 10, 26, 0, 30), last_day=date(2025, 10, 19))
    assert first is not None and first.due == utc(2025, 10, 26, 0, 30)  # 02:30 CEST
    assert is_due(schedule, utc(2025, 10, 26, 1, 30), last_day=first.day) is None  # 02:30 CET


def test_a_weekly_digest_keeps_its_local_time_across_the_november_change() -> None:
    # 2025-11-02 (a Sunday): New York moves from EDT (UTC-4) to EST (UTC-5)
    schedule = Schedule(time(9, 0), NEW_YORK, frozenset({0}), weekly=True)
    assert occurrence_on(schedule, date(2025, 10, 27)).due == utc(2025, 10, 27, 13, 0)
    assert occurrence_on(schedule, date(2025, 11, 3)).due == utc(2025, 11, 3, 14, 0)
    assert is_due(schedule, utc(2025, 11, 3, 13, 30), last_day=date(2025, 10, 27)) is None
    assert next_due(schedule, utc(2025, 10, 28, 12, 0)) == occurrence_on(schedule, date(2025, 11, 3))


def test_after_weeks_of_downtime_one_weekly_digest_catches_up() -> None:
    schedule = Schedule(time(9, 0), BERLIN, MONDAY, weekly=True)
    due = is_due(schedule, utc(2025, 2, 5, 12, 0), last_day=date(2025, 1, 6))  # missed 13, 20, 27 Jan, 3 Feb
    assert due is not None and due.day == date(2025, 2, 3)
    assert is_due(schedule, utc(2025, 2, 5, 12, 1), last_day=due.day) is None


def test_a_weekly_digest_covers_the_week_before_its_day() -> None:
    schedule = Schedule(time(9, 0), BERLIN, MONDAY, weekly=True)
    assert schedule.first_paper_day(date(2025, 1, 20)) == date(2025, 1, 13)
    assert Schedule(time(9, 0), BERLIN, WEEKDAYS).first_paper_day(date(2025, 1, 20)) is None


def test_a_weekly_schedule_has_one_day() -> None:
    with pytest.raises(ValueError, match="one day"):
        Schedule(time(9, 0), BERLIN, WEEKDAYS, weekly=True)


def test_describe_a_weekly_schedule() -> None:
    assert Schedule(time(7, 5), BERLIN, frozenset({4}), weekly=True).describe() == "07:05 Europe/Berlin, weekly on fri"


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.sampled_from([time(0, 0), time(1, 30), time(2, 30), time(3, 0), time(9, 0), time(23, 59)]),
    day=st.integers(0, 6),
    step_minutes=st.integers(1, 240),
    start=st.sampled_from([utc(2025, 3, 1), utc(2025, 10, 1), utc(2025, 10, 20, 13, 7)]),
)
def test_checking_every_few_minutes_sends_a_weekly_digest_once_a_week(
    zone: str, at: time, day: int, step_minutes: int, start: datetime
) -> None:
    schedule = Schedule(at, ZoneInfo(zone), frozenset({day}), weekly=True)
    end = start + timedelta(days=42)  # spans the DST changes of March, October and November
    sent, checked_until = sent_days(schedule, start, end, step_minutes)
    local = start.astimezone(schedule.timezone).date()
    expected = []
    while local <= end.astimezone(schedule.timezone).date():
        if local.weekday() == day and start <= occurrence_on(schedule, local).due <= checked_until:
            expected.append(local)
        local += timedelta(days=1)
    assert sent == expected
    assert all(later - earlier == timedelta(days=7) for earlier, later in itertools.pairwise(sent))
