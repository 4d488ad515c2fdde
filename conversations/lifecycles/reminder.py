"""A reminder row in the outbox (rendered at send time, so it never says anything stale).

    (new) ──schedule──▶ PENDING ──claim──▶ SENDING ──sent──▶ SENT   (never sent twice)
    PENDING, FAILED, CANCELLED ──schedule──▶ PENDING (moved to the new time)
    SENDING ──retry──▶ PENDING · ──fail──▶ FAILED · ──drop (no longer relevant)──▶ CANCELLED
    SENDING ──claim (its worker's lease ran out)──▶ SENDING (another worker)
    PENDING ──cancel──▶ CANCELLED

The outbox repository reads its WHERE clauses from this table (`sources`), so SQL and
table cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

from conversations.domain import ReminderState
from conversations.lifecycles.base import Refusal, Rule, Transition


class ReminderAction(StrEnum):
    SCHEDULE = "schedule"
    CLAIM = "claim"  # a sweeping worker takes a due row (or one whose lease expired)
    SENT = "sent"
    RETRY = "retry"  # rate limited or unavailable: try again later
    FAIL = "fail"  # permanent: shown to the leader
    DROP = "drop"  # at send time the reminder no longer applies (shared already, rebooked, ...)
    CANCEL = "cancel"  # a flow withdraws a pending reminder (e.g. the round closed)


ReminderTransition = Transition[ReminderState, ReminderAction]

_PEN, _SND, _SNT, _FLD, _CAN = (
    ReminderState.PENDING,
    ReminderState.SENDING,
    ReminderState.SENT,
    ReminderState.FAILED,
    ReminderState.CANCELLED,
)
_SENT_ONCE = Refusal("reminder.refused.sent")
_IN_HAND = Refusal("reminder.refused.sending")
_NOT_CLAIMED = Refusal("reminder.refused.not_claimed")
_NOT_PENDING = Refusal("reminder.refused.not_pending")

TABLE: dict[tuple[ReminderState, ReminderAction], Rule[ReminderState] | Refusal] = {
    (_PEN, ReminderAction.SCHEDULE): Rule(_PEN),
    (_SND, ReminderAction.SCHEDULE): _IN_HAND,
    (_SNT, ReminderAction.SCHEDULE): _SENT_ONCE,
    (_FLD, ReminderAction.SCHEDULE): Rule(_PEN),
    (_CAN, ReminderAction.SCHEDULE): Rule(_PEN),
    (_PEN, ReminderAction.CLAIM): Rule(_SND),
    (_SND, ReminderAction.CLAIM): Rule(_SND),  # only once its lease has run out
    (_SNT, ReminderAction.CLAIM): _SENT_ONCE,
    (_FLD, ReminderAction.CLAIM): _NOT_PENDING,
    (_CAN, ReminderAction.CLAIM): _NOT_PENDING,
    **{
        (state, action): (Rule(target) if state == _SND else _NOT_CLAIMED)
        for action, target in (
            (ReminderAction.SENT, _SNT),
            (ReminderAction.RETRY, _PEN),
            (ReminderAction.FAIL, _FLD),
            (ReminderAction.DROP, _CAN),
        )
        for state in ReminderState
    },
    (_PEN, ReminderAction.CANCEL): Rule(_CAN),
    (_SND, ReminderAction.CANCEL): _IN_HAND,
    (_SNT, ReminderAction.CANCEL): _SENT_ONCE,
    (_FLD, ReminderAction.CANCEL): _NOT_PENDING,
    (_CAN, ReminderAction.CANCEL): _NOT_PENDING,
}


def decide(state: ReminderState, action: ReminderAction) -> ReminderTransition | Refusal:
    cell = TABLE[(state, action)]
    if isinstance(cell, Refusal):
        return cell
    return Transition(before=state, action=action, after=cell.after, effects=cell.effects)


def sources(action: ReminderAction) -> tuple[ReminderState, ...]:
    """The states from which `action` is allowed (what the repository's WHERE clause admits)."""
    return tuple(s for s in ReminderState if not isinstance(TABLE[(s, action)], Refusal))


def target(action: ReminderAction) -> ReminderState:
    """Where `action` leads (every action has one target)."""
    (after,) = {cell.after for s in sources(action) if isinstance(cell := TABLE[(s, action)], Rule)}
    return after
