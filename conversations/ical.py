"""Calendar invitations as .ics files (RFC 5545 with iTIP's METHOD:REQUEST).

METHOD:REQUEST with an ORGANIZER and ATTENDEEs is what makes Outlook and Google Calendar offer
accept/decline instead of a plain import; the same UID with a higher SEQUENCE moves the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """Someone in the invitation: a name always, an e-mail address where the platform gave one."""

    name: str
    email: str | None = None


def _address(party: Party, *, role: str | None) -> vCalAddress:
    # Without an e-mail address the calendar still shows the name; the URI must exist though.
    address = vCalAddress(f"mailto:{party.email}" if party.email else "mailto:noreply@invalid")
    address.params["cn"] = vText(party.name)
    if role is not None:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE" if party.email else "FALSE")
    return address


def invite(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    organizer: Party,
    attendees: Sequence[Party],
    location: str = "",
    stamp: datetime,
) -> bytes:
    """One event; the same `uid` with a higher `sequence` updates an earlier invite."""
    calendar = Calendar()
    calendar.add("prodid", "-//MUS-bot//musbot//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("status", "CONFIRMED")
    if location:
        event.add("location", location)
    names = ", ".join(p.name for p in (organizer, *attendees))
    event.add("description", description + "\n\n" + names)
    event.add("organizer", _address(organizer, role=None))
    for attendee in attendees:
        event.add("attendee", _address(attendee, role="REQ-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical()
