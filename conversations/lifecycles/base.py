"""What every lifecycle table is made of: a transition, a refusal, and the effects a flow performs.

A lifecycle is pure: `decide(state, action, ...)` reads nothing and writes nothing. It answers
either with a `Transition` (the next state and the effects the change causes, which the flow
carries out and a repository persists) or with a `Refusal` (an i18n key the person is shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S")
A = TypeVar("A")


class Effect(StrEnum):
    """Something a transition causes besides the new state; the flow that applied it acts on it."""

    # prep
    NOTIFY_LEADERS = "notify_leaders"  # the employee shared: each leader gets one notice
    LOCK_PREP = "lock_prep"  # answers can no longer change
    # booking
    SEND_INVITE = "send_invite"  # .ics to both (sequence 0: new; later: moved)
    SCHEDULE_BOOKING_REMINDERS = "schedule_booking_reminders"  # the working day before
    OPEN_PLAN = "open_plan"  # the development plan may be written
    NOTIFY_EMPLOYEE = "notify_employee"
    ROUND_CONVERSATION_HELD = "round_conversation_held"  # the round hears of it (CONVERSATIONS)
    # plan
    SIGN = "sign"  # the actor's signature on the version
    NOTIFY_OTHER_PARTY = "notify_other_party"
    SUPERSEDE_EARLIER_AGREED = "supersede_earlier_agreed"  # the new agreed plan is in force
    SCHEDULE_FOLLOW_UP = "schedule_follow_up"  # nudges on the plan's follow-up date
    NEW_DRAFT = "new_draft"  # a new version is started from the latest
    SUPERSEDE_PROPOSED = "supersede_proposed"  # kept readable, with the change asked for
    # round
    POST_SUMMARY_CALL = "post_summary_call"  # the call and agenda in the team channel
    CANCEL_PREP_NUDGES = "cancel_prep_nudges"
    CANCEL_BOOKING_REMINDERS = "cancel_booking_reminders"
    KEEP_FOLLOW_UPS = "keep_follow_ups"  # closing a round leaves the plans' follow-ups running
    # team action plan (Skema 5)
    POST_TO_CHANNEL = "post_to_channel"  # the agreement is shown to the team
    SCHEDULE_OWNER_REMINDERS = "schedule_owner_reminders"  # each owner, on its date
    CANCEL_OWNER_REMINDERS = "cancel_owner_reminders"  # done or dropped: nothing to remind of
    REPLACE_OWNER_REMINDERS = "replace_owner_reminders"  # edited: the new date, the new owners


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action is not possible now: `reason` is an i18n key (conversations/locales)."""

    reason: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition(Generic[S, A]):
    """The result of an allowed action: what a repository persists and what a flow then does."""

    before: S
    action: A
    after: S
    effects: tuple[Effect, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def causes(self, effect: Effect) -> bool:
        return effect in self.effects


@dataclass(frozen=True, slots=True)
class Rule(Generic[S]):
    """One allowed cell of a table: the next state and its effects."""

    after: S
    effects: tuple[Effect, ...] = ()
