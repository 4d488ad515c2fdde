"""When a reminder may reach a person: working days, inside working hours, never on a holiday.

Pure functions, so the rules have table-driven tests. Times are computed in the recipient's
time zone (default Europe/Copenhagen) and returned in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from conversations.context import zone


@cache
def _danish_holidays(year: int) -> frozenset[date]:
    import holidays  # on first use: a few MB the idle server does not need

    return frozenset(holidays.country_holidays("DK", years=year).keys())


def is_holiday(day: date) -> bool:
    """A Danish public holiday (helligdag), as the `holidays` package knows them."""
    return day in _danish_holidays(day.year)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkingHours:
    start: time = time(8, 0)
    end: time = time(16, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))  # Mon-Fri

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and not is_holiday(day)


def next_allowed(
    *, at: datetime, timezone: str | None, hours: WorkingHours | None = None
) -> datetime:
    """`at` if it is inside working hours on a working day; otherwise the next such moment."""
    hours = hours or WorkingHours()
    tz = zone(timezone)
    local = at.astimezone(tz)
    day = local.date()
    if hours.is_working_day(day):
        if local.time() < hours.start:
            return _utc(day, hours.start, tz)
        if local.time() < hours.end:
            return at.astimezone(UTC)
    day += timedelta(days=1)
    while not hours.is_working_day(day):
        day += timedelta(days=1)
    return _utc(day, hours.start, tz)


def working_day_before(*, day: date, hours: WorkingHours | None = None) -> date:
    """The last working day strictly before `day` (the day-before reminder for a conversation)."""
    hours = hours or WorkingHours()
    candidate = day - timedelta(days=1)
    while not hours.is_working_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def morning_of(*, day: date, timezone: str | None, hours: WorkingHours | None = None) -> datetime:
    """The start of working hours on `day`, or of the next working day if `day` is not one."""
    hours = hours or WorkingHours()
    tz = zone(timezone)
    return next_allowed(at=_utc(day, time(0, 0), tz), timezone=timezone, hours=hours)


def _utc(day: date, clock: time, tz: object) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]
