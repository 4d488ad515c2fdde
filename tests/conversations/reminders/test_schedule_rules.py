"""Working days, working hours, Danish public holidays and time zones, table-driven."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conversations.schedule import (
    WorkingHours,
    danish_holidays,
    is_holiday,
    morning_of,
    next_allowed,
    working_day_before,
)

CPH = ZoneInfo("Europe/Copenhagen")
ROOT = Path(__file__).resolve().parents[3]


def cph(*args: int) -> datetime:
    return datetime(*args, tzinfo=CPH)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("due", "timezone", "expected"),
    [
        # The example: Saturday 26 December 2026 (also 2. juledag) -> Monday 28 at 08:00.
        (cph(2026, 12, 26, 10, 0), None, cph(2026, 12, 28, 8, 0)),
        # Inside working hours on a Tuesday: unchanged.
        (cph(2026, 11, 24, 10, 30), None, cph(2026, 11, 24, 10, 30)),
        # 03:00 on a weekday -> 08:00 the same day (nobody wants a reminder at 3 a.m.).
        (cph(2026, 11, 24, 3, 0), None, cph(2026, 11, 24, 8, 0)),
        # After 16:00 -> next morning.
        (cph(2026, 11, 24, 16, 0), None, cph(2026, 11, 25, 8, 0)),
        # Friday evening -> Monday morning.
        (cph(2026, 11, 27, 18, 0), None, cph(2026, 11, 30, 8, 0)),
        # Juleaften is a working day in law; 1. juledag (25th) is not.
        (cph(2026, 12, 24, 9, 0), None, cph(2026, 12, 24, 9, 0)),
        (cph(2026, 12, 25, 9, 0), None, cph(2026, 12, 28, 8, 0)),
        # Easter 2027: skærtorsdag 25/3, langfredag 26/3, 2. påskedag 29/3 -> Tuesday 30/3.
        (cph(2027, 3, 24, 17, 0), None, cph(2027, 3, 30, 8, 0)),
        # Nytårsdag 2027 is a Friday -> Monday 4 January.
        (cph(2027, 1, 1, 9, 0), None, cph(2027, 1, 4, 8, 0)),
        # Grundlovsdag (5 June) has no status as a public holiday in the calendar used.
        # Kristi himmelfartsdag 2027: Thursday 6 May.
        (cph(2027, 5, 6, 12, 0), None, cph(2027, 5, 7, 8, 0)),
    ],
)
def test_next_allowed_in_copenhagen(
    due: datetime, timezone: str | None, expected: datetime
) -> None:
    assert next_allowed(at=due, timezone=timezone) == expected.astimezone(UTC)


def test_the_recipients_time_zone_decides() -> None:
    # 08:30 in Copenhagen is 07:30 in London: too early there.
    due = cph(2026, 11, 24, 8, 30)
    assert next_allowed(at=due, timezone="Europe/London") == datetime(
        2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Europe/London")
    ).astimezone(UTC)
    # Across daylight saving time: the first working morning after the switch is 08:00 local.
    assert next_allowed(at=cph(2026, 3, 28, 12, 0), timezone=None) == cph(
        2026, 3, 30, 8, 0
    ).astimezone(UTC)


def test_unknown_time_zone_falls_back_to_copenhagen() -> None:
    assert next_allowed(at=cph(2026, 11, 24, 3, 0), timezone="Mars/Olympus") == cph(
        2026, 11, 24, 8, 0
    ).astimezone(UTC)


def test_configurable_hours() -> None:
    hours = WorkingHours(start=time(9, 0), end=time(15, 0))
    assert next_allowed(at=cph(2026, 11, 24, 8, 30), timezone=None, hours=hours) == cph(
        2026, 11, 24, 9, 0
    ).astimezone(UTC)
    assert next_allowed(at=cph(2026, 11, 24, 15, 0), timezone=None, hours=hours) == cph(
        2026, 11, 25, 9, 0
    ).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 1), date(2026, 11, 30)),  # Tuesday -> Monday
        (date(2026, 11, 30), date(2026, 11, 27)),  # Monday -> Friday
        (date(2026, 12, 28), date(2026, 12, 24)),  # Monday after Christmas -> 24th (a working day)
        (date(2027, 3, 30), date(2027, 3, 24)),  # Tuesday after Easter -> the Wednesday before
    ],
)
def test_working_day_before(day: date, expected: date) -> None:
    assert working_day_before(day=day) == expected


def test_holidays_and_mornings() -> None:
    assert is_holiday(date(2026, 12, 25)) and not is_holiday(date(2026, 12, 23))
    assert morning_of(day=date(2026, 12, 26), timezone=None) == cph(2026, 12, 28, 8, 0).astimezone(
        UTC
    )


@pytest.mark.parametrize("year", [2023, 2024, 2026])
@pytest.mark.parametrize("language", [None, "da", "en_US"])
def test_danish_holidays_are_the_packages_own(year: int, language: str | None) -> None:
    """Denmark's module loaded on its own names the same days as `holidays.country_holidays`
    (Store bededag until 2023 included)."""
    import holidays

    kwargs: dict[str, Any] = {} if language is None else {"language": language}
    assert dict(danish_holidays(year=year, language=language)) == dict(
        holidays.country_holidays("DK", years=year, **kwargs)
    )


def test_a_holiday_check_does_not_load_every_country() -> None:
    """~0.2 s and ~8 MB for the first reminder of a process, otherwise (see `_denmark`)."""
    probe = (
        "import sys; from datetime import date; from conversations.schedule import is_holiday;"
        " assert is_holiday(date(2026, 12, 25)) and not is_holiday(date(2026, 12, 2));"
        " print('holidays.countries' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
