"""When a channel's digest is due: a local post time on chosen weekdays, in the channel's own time zone.

A digest belongs to a local day. It is due once that day's post time has passed, and at most one digest is
sent per local day, so daylight-saving changes neither skip nor double one:
- a post time that does not exist that day (clocks jump from 02:00 to 03:00, post time 02:30) falls when the
  clocks have moved on: the instant `02:30` would be in the old offset, which reads 03:30;
- a post time that happens twice (clocks fall back from 02:00 to 01:00, post time 01:30) is the first of them.
After downtime only the latest missed day is due: one digest catches up, not one per missed day.

A weekly schedule is the same with one day of the week; its digest holds the best papers of the week before
(`WEEK`), not only what is new since the previous digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from paperboy.timespec import format_days

#: how many days of papers a weekly digest covers, back from its own day (which it covers too): the previous
#: weekly digest's day is among them, since papers dated that day may have come after it was sent
WEEK = timedelta(days=7)
#: how far back to look for a missed post time (a week covers any weekday choice)
_LOOKBACK_DAYS = 8


@dataclass(frozen=True, slots=True)
class Schedule:
    """Post at `at` local time in `timezone` on `days` (0 = Monday … 6 = Sunday); `weekly`: on the one day of
    `days`, the best papers of the week."""

    at: time
    timezone: ZoneInfo
    days: frozenset[int]
    weekly: bool = False

    def __post_init__(self) -> None:
        if self.weekly and len(self.days) != 1:
            raise ValueError(f"a weekly schedule has one day, not {len(self.days)}")

    def describe(self) -> str:
        """`09:00 Europe/Berlin, mon-fri`, `09:00 Europe/Berlin, weekly on mon`."""
        return f"{self.at:%H:%M} {self.timezone.key}, {format_days(self.days, weekly=self.weekly)}"

    def first_paper_day(self, day: date) -> date | None:
        """The first paper day a weekly digest of `day` covers (`WEEK` back); None for a daily schedule, whose
        digest covers what is new since its previous one."""
        return day - WEEK if self.weekly else None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A scheduled digest: the local day it belongs to and the instant it falls due."""

    day: date
    due: datetime


def occurrence_on(schedule: Schedule, day: date) -> Occurrence:
    """The post time of local `day` as an instant (see the module notes for DST gaps and repeats)."""
    local = datetime.combine(day, schedule.at, tzinfo=schedule.timezone)  # fold=0: the first of two, or before a gap
    # in UTC: Python compares two datetimes of the same zone by wall time, ignoring the DST fold
    return Occurrence(day, local.astimezone(UTC))


def latest_due(schedule: Schedule, now: datetime, not_before: datetime | None = None) -> Occurrence | None:
    """The most recent scheduled occurrence at or before `now` (and not before `not_before`, e.g. when the
    subscription was made), or None."""
    today = now.astimezone(schedule.timezone).date()
    for back in range(_LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        if day.weekday() not in schedule.days:
            continue
        occurrence = occurrence_on(schedule, day)
        if occurrence.due > now:
            continue
        if not_before is not None and occurrence.due < not_before:
            return None
        return occurrence
    return None


def next_due(schedule: Schedule, now: datetime) -> Occurrence | None:
    """The first scheduled occurrence after `now`, or None when no weekday is chosen."""
    today = now.astimezone(schedule.timezone).date()
    for ahead in range(_LOOKBACK_DAYS):
        day = today + timedelta(days=ahead)
        if day.weekday() in schedule.days and (occurrence := occurrence_on(schedule, day)).due > now:
            return occurrence
    return None


def is_due(
    schedule: Schedule, now: datetime, last_day: date | None, not_before: datetime | None = None
) -> Occurrence | None:
    """The occurrence to send now, if any: the latest one due, unless its day already had its digest."""
    occurrence = latest_due(schedule, now, not_before)
    if occurrence is None or (last_day is not None and occurrence.day <= last_day):
        return None
    return occurrence
