"""Reading dates and times the way Danes type them, with errors people can act on.

Pickers send ISO strings; people typing send `24.12.2026`, `24/12`, `24-12-26 kl. 10.30`.
A value like `32.13` is refused with a message that says what was wrong, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True, slots=True)
class ParseError(Exception):
    """`key` is an i18n key; `values` fill its placeholders."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}: {self.value!r}"


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\.?$")
_TIME = re.compile(r"^(?:kl\.?\s*)?(\d{1,2})(?:[.:](\d{2}))?$", re.IGNORECASE)


def parse_date(*, text: str, today: date) -> date:
    """A calendar date. Without a year, the next such date from `today` on."""
    raw = text.strip()
    if not raw:
        raise ParseError("error.date_empty", raw)
    if m := _ISO_DATE.match(raw):
        year, month, day = (int(g) for g in m.groups())
        return _make_date(year=year, month=month, day=day, raw=raw)
    if m := _DMY.match(raw):
        day, month = int(m.group(1)), int(m.group(2))
        if m.group(3) is None:
            return _next_occurrence(month=month, day=day, today=today, raw=raw)
        year = int(m.group(3))
        if year < 100:
            year += 2000
        return _make_date(year=year, month=month, day=day, raw=raw)
    raise ParseError("error.date_format", raw)


def parse_time(*, text: str) -> time:
    raw = text.strip()
    m = _TIME.match(raw)
    if not m:
        raise ParseError("error.time_format", raw)
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ParseError("error.time_invalid", raw)
    return time(hour, minute)


def parse_datetime(*, text: str, today: date) -> datetime:
    """A naive local date and time (the caller attaches the person's time zone)."""
    raw = text.strip()
    if not raw:
        raise ParseError("error.date_empty", raw)
    if "T" in raw:
        day_part, _, time_part = raw.partition("T")
    else:
        parts = raw.split(maxsplit=1)
        if len(parts) != 2:
            parse_date(text=raw, today=today)  # a bad date says what is wrong with it
            raise ParseError("error.datetime_format", raw)
        day_part, time_part = parts
    day = parse_date(text=day_part, today=today)
    clock = parse_time(text=time_part[:5] if "T" in raw else time_part)
    return datetime.combine(day, clock)


def _make_date(*, year: int, month: int, day: int, raw: str) -> date:
    if not 1 <= month <= 12:
        raise ParseError("error.date_month", raw)
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError("error.date_day", raw) from None


def _next_occurrence(*, month: int, day: int, today: date, raw: str) -> date:
    """`24.12` means the coming 24 December; `29.2` the coming leap day."""
    if not 1 <= month <= 12:
        raise ParseError("error.date_month", raw)
    for year in range(today.year, today.year + 5):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ParseError("error.date_day", raw)
