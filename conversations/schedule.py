"""When a reminder may reach a person: working days, inside working hours, never on a holiday.

Pure functions, so the rules have table-driven tests. Times are computed in the recipient's
time zone (default Europe/Copenhagen) and returned in UTC.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, partial
from pathlib import Path
from typing import cast

from conversations.context import zone


@cache
def _denmark() -> Callable[..., Mapping[date, str]]:
    """The `holidays` package's Denmark, loaded on first use and on its own.

    `holidays.country_holidays("DK")` imports every country the package knows first: ~0.2 s
    of CPU and ~8 MB, paid by a process's first reminder (the first second of a fan-out)
    and kept for its life. Denmark's module needs only the package's base classes, so it is
    loaded from its file alone; should a `holidays` version keep it elsewhere, the package's
    own way is used.
    """
    import holidays  # on first use: a few MB the idle server does not need

    try:
        path = Path(holidays.__file__).parent / "countries" / "denmark.py"
        spec = importlib.util.spec_from_file_location("_musbot_holidays_denmark", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return cast(Callable[..., Mapping[date, str]], module.Denmark)
    except Exception:  # any surprise: the package's own (slower) way
        return partial(holidays.country_holidays, "DK")


def danish_holidays(*, year: int, language: str | None = None) -> Mapping[date, str]:
    """Denmark's public holidays in `year`, named in `language` (the package's default: None)."""
    if language is None:
        return _denmark()(years=year)
    return _denmark()(years=year, language=language)


@cache
def _danish_holidays(year: int) -> frozenset[date]:
    return frozenset(danish_holidays(year=year).keys())


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
