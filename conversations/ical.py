"""Calendar invites as .ics files (RFC 5545), which Outlook, Google and Apple all import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event


def invite(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    organizer: str,
    attendees: Sequence[str],
    stamp: datetime,
) -> bytes:
    """One event; the same `uid` with a higher `sequence` updates an earlier invite."""
    calendar = Calendar()
    calendar.add("prodid", "-//MUS-bot//musbot//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description + "\n\n" + ", ".join(attendees))
    calendar.add_component(event)
    return calendar.to_ical()
