"""Issue #12's two-year story as data: the dates, the plan and what people must see.

Shared by the year scenarios on every stand-in (Slack, the Teams connector, the web chat), so
each platform plays the same year: a plan agreed in December 2026 with its follow-up on a
Saturday (nudged the Monday after), moved and re-approved after that first nudge, nudged
again on the new date; the round closed in June; next year's round starting from that plan.
Each platform's test only translates these steps into its own presses and forms.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

CPH = ZoneInfo("Europe/Copenhagen")


def cph(day: str, time: str = "08:00") -> datetime:
    """A wall-clock time in Copenhagen."""
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=CPH)


# ------------------------------------------------------------------ year one
YEAR_ONE = {"prep_deadline": "2026-12-04", "first": "2026-12-07", "last": "2026-12-18"}
BOOKED_DAY, BOOKED_TIME = "2026-12-08", "10:00"
HELD_AT = cph("2026-12-08", "11:15")
PLAN_ITEM = {
    "laeringsmaal": "Styrke sprogarbejdet",
    "tiltag": "Kursus",
    "stoette": "Kollega",
    "tidsplan": "Forår 2027",
    "waits": "no",
}
FIRST_FOLLOW_UP = "2027-03-06"  # a Saturday: the nudge comes Monday morning
FIRST_NUDGE = cph("2027-03-08", "08:00")
MOVED_AT = cph("2027-03-09", "10:00")  # after the first nudge went out
MOVED_FOLLOW_UP = "2027-06-01"  # a Tuesday
BEFORE_WORKING_HOURS = cph("2027-06-01", "06:30")
MOVED_NUDGE = cph("2027-06-01", "08:00")
CLOSE_AT = cph("2027-06-10", "10:00")

# ------------------------------------------------------------------ year two
YEAR_TWO_AT = cph("2027-10-04", "09:00")
YEAR_TWO = {"prep_deadline": "2027-10-29", "first": "2027-11-01", "last": "2027-11-26"}

# ------------------------------------------------------------------ what people see (Danish)
NUDGE_EMPLOYEE = "Opfølgning på din udviklingsplan"
NUDGE_LEADER = "Opfølgning på udviklingsplanen for"
SNOOZE = "Mind mig om det i morgen"
WEEKEND_NOTE = "ikke en arbejdsdag"
FIRST_NUDGE_SHOWN = "8.3.2027 kl. 08.00"
LAST_PLAN_IN_PREP = "Din udviklingsplan fra sidste MUS"
LAST_PLAN_ON_CARD = "Udviklingsplan fra sidste MUS"
LAST_PLAN_IN_STATUS = "fra sidste MUS: 1 gennemført"
ITEM_DONE = "gennemført"
