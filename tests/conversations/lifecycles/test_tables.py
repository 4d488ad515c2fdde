"""Every lifecycle table, cell by cell: each (state, action) pair is written out here with the
next state and its effects, or the refusal's reason. A change to a table must change this file.
"""

from __future__ import annotations

from itertools import product

import pytest

from conversations import i18n
from conversations.domain import Phase, PrepStatus, ReminderState
from conversations.lifecycles import booking, plan, prep, reminder, round
from conversations.lifecycles.base import Effect as E
from conversations.lifecycles.base import Refusal, Transition
from conversations.lifecycles.booking import BookingAction, BookingState
from conversations.lifecycles.plan import PlanAction, PlanFacts, PlanStage
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.lifecycles.reminder import ReminderAction
from conversations.lifecycles.round import RoundAction

Cell = tuple[object, tuple[E, ...]] | str  # (next state, effects) or a refusal's reason key


def _outcome(result: Transition | Refusal) -> Cell:
    if isinstance(result, Refusal):
        return result.reason
    return (result.after, result.effects)


def _refusal_keys_exist(cells: dict) -> None:
    for outcome in cells.values():
        if isinstance(outcome, str):
            assert outcome in i18n.catalog("da") and outcome in i18n.catalog("en"), outcome


# ---------------------------------------------------------------- round

P, C, S, F, X = Phase.PREP, Phase.CONVERSATIONS, Phase.SUMMARY, Phase.FOLLOW_UP, Phase.CLOSED
CLOSING = (E.LOCK_PREP, E.CANCEL_PREP_NUDGES, E.CANCEL_BOOKING_REMINDERS, E.KEEP_FOLLOW_UPS)
ROUND: dict[tuple[Phase, RoundAction], Cell] = {
    (P, RoundAction.PREP_DEADLINE_PASSED): (C, (E.CANCEL_PREP_NUDGES,)),
    (C, RoundAction.PREP_DEADLINE_PASSED): (C, ()),
    (S, RoundAction.PREP_DEADLINE_PASSED): (S, ()),
    (F, RoundAction.PREP_DEADLINE_PASSED): (F, ()),
    (X, RoundAction.PREP_DEADLINE_PASSED): (X, ()),
    (P, RoundAction.CONVERSATION_HELD): (C, ()),
    (C, RoundAction.CONVERSATION_HELD): (C, ()),
    (S, RoundAction.CONVERSATION_HELD): (S, ()),
    (F, RoundAction.CONVERSATION_HELD): (F, ()),
    (X, RoundAction.CONVERSATION_HELD): "round.refused.closed",
    (P, RoundAction.ANNOUNCE_SUMMARY): (S, (E.POST_SUMMARY_CALL,)),
    (C, RoundAction.ANNOUNCE_SUMMARY): (S, (E.POST_SUMMARY_CALL,)),
    (S, RoundAction.ANNOUNCE_SUMMARY): "summary.already_announced",
    (F, RoundAction.ANNOUNCE_SUMMARY): "summary.already_announced",
    (X, RoundAction.ANNOUNCE_SUMMARY): "summary.already_announced",
    (P, RoundAction.START_FOLLOW_UP): "round.refused.summary_first",
    (C, RoundAction.START_FOLLOW_UP): "round.refused.summary_first",
    (S, RoundAction.START_FOLLOW_UP): (F, ()),
    (F, RoundAction.START_FOLLOW_UP): "summary.already_follow_up",
    (X, RoundAction.START_FOLLOW_UP): "round.refused.closed",
    (P, RoundAction.CLOSE): (X, CLOSING),
    (C, RoundAction.CLOSE): (X, CLOSING),
    (S, RoundAction.CLOSE): (X, CLOSING),
    (F, RoundAction.CLOSE): (X, CLOSING),
    (X, RoundAction.CLOSE): "round.refused.already_closed",
}


def test_the_round_table_is_complete_and_as_written() -> None:
    assert set(ROUND) == set(product(Phase, RoundAction))
    for (phase, action), expected in ROUND.items():
        assert _outcome(round.decide(phase, action)) == expected, (phase, action)
    _refusal_keys_exist(ROUND)


def test_only_a_closed_round_refuses_work() -> None:
    assert [p for p in Phase if round.accepts_work(p) is not None] == [X]


# ---------------------------------------------------------------- prep

NS, IP, SH = PrepStatus.NOT_STARTED, PrepStatus.IN_PROGRESS, PrepStatus.SHARED


def _st(status: PrepStatus, held: bool = False, closed: bool = False) -> PrepState:
    return PrepState(status=status, held=held, closed=closed)


def _prep_expected(state: PrepState, action: PrepAction) -> Cell:
    """The prep table, written as the rules a person would state them."""
    working = SH if state.status == SH else IP
    if action in (PrepAction.START, PrepAction.MOVE):
        return (state if state.closed else _st(working, state.held, False), ())
    if state.closed:
        return "round.refused.closed"
    if action == PrepAction.ANSWER:
        return "prep.locked" if state.held else (_st(working, state.held), ())
    if action == PrepAction.SHARE:
        if state.status == SH:
            return "prep.already_shared"
        return (_st(SH, state.held), (E.NOTIFY_LEADERS,))
    return "booking.already_held" if state.held else (_st(state.status, True), (E.LOCK_PREP,))


PREP: dict[tuple[PrepState, PrepAction], Cell] = {
    (s, a): _prep_expected(s, a) for s in prep.ALL_STATES for a in PrepAction
}

# The rules above spelled out for the open, unheld states, so the helper cannot hide a slip.
PREP_OPEN: dict[tuple[PrepState, PrepAction], Cell] = {
    (_st(NS), PrepAction.START): (_st(IP), ()),
    (_st(IP), PrepAction.START): (_st(IP), ()),
    (_st(SH), PrepAction.START): (_st(SH), ()),
    (_st(NS), PrepAction.ANSWER): (_st(IP), ()),
    (_st(SH), PrepAction.ANSWER): (_st(SH), ()),
    (_st(NS), PrepAction.SHARE): (_st(SH), (E.NOTIFY_LEADERS,)),
    (_st(IP), PrepAction.SHARE): (_st(SH), (E.NOTIFY_LEADERS,)),
    (_st(SH), PrepAction.SHARE): "prep.already_shared",
    (_st(IP), PrepAction.HOLD): (_st(IP, held=True), (E.LOCK_PREP,)),
    (_st(IP, held=True), PrepAction.ANSWER): "prep.locked",
    (_st(IP, held=True), PrepAction.SHARE): (_st(SH, held=True), (E.NOTIFY_LEADERS,)),
    (_st(SH, held=True), PrepAction.HOLD): "booking.already_held",
    (_st(IP, closed=True), PrepAction.ANSWER): "round.refused.closed",
    (_st(IP, closed=True), PrepAction.MOVE): (_st(IP, closed=True), ()),
    (_st(NS, closed=True), PrepAction.HOLD): "round.refused.closed",
}


def test_the_prep_table_is_complete_and_as_written() -> None:
    assert len(prep.ALL_STATES) == len(PrepStatus) * 2 * 2
    assert set(PREP) == set(product(prep.ALL_STATES, PrepAction))
    for (state, action), expected in PREP.items():
        assert _outcome(prep.decide(state, action)) == expected, (state, action)
    for (state, action), expected in PREP_OPEN.items():
        assert PREP[(state, action)] == expected, (state, action)
    _refusal_keys_exist(PREP)


# ---------------------------------------------------------------- booking

HELD = (E.LOCK_PREP, E.OPEN_PLAN, E.NOTIFY_EMPLOYEE, E.ROUND_CONVERSATION_HELD)
BOOK = (E.SEND_INVITE, E.SCHEDULE_BOOKING_REMINDERS)
BOOKING: dict[tuple[BookingState, BookingAction], Cell] = {
    (BookingState.NONE, BookingAction.BOOK): (BookingState.BOOKED, BOOK),
    (BookingState.BOOKED, BookingAction.BOOK): (BookingState.BOOKED, BOOK),
    (BookingState.HELD, BookingAction.BOOK): "booking.refused.held",
    (BookingState.NONE, BookingAction.MARK_HELD): (BookingState.HELD, HELD),
    (BookingState.BOOKED, BookingAction.MARK_HELD): (BookingState.HELD, HELD),
    (BookingState.HELD, BookingAction.MARK_HELD): "booking.already_held",
}


def test_the_booking_table_is_complete_and_as_written() -> None:
    assert set(BOOKING) == set(product(BookingState, BookingAction))
    for (state, action), expected in BOOKING.items():
        assert _outcome(booking.decide(state, action)) == expected, (state, action)
    _refusal_keys_exist(BOOKING)


# ---------------------------------------------------------------- plan

N, D, PR, A, SU = (
    PlanStage.NONE,
    PlanStage.DRAFT,
    PlanStage.PROPOSED,
    PlanStage.AGREED,
    PlanStage.SUPERSEDED,
)
AGREE = (E.SIGN, E.SUPERSEDE_EARLIER_AGREED, E.SCHEDULE_FOLLOW_UP, E.NOTIFY_OTHER_PARTY)
CHANGE = (E.SUPERSEDE_PROPOSED, E.NEW_DRAFT, E.NOTIFY_OTHER_PARTY)
# With the default facts: the button is current, the conversation held, the draft complete,
# and the actor's signature alone does not agree the plan.
PLAN: dict[tuple[PlanStage, PlanAction], Cell] = {
    (N, PlanAction.EDIT): (D, (E.NEW_DRAFT,)),
    (D, PlanAction.EDIT): (D, ()),
    (PR, PlanAction.EDIT): "plan.waiting",
    (A, PlanAction.EDIT): (D, (E.NEW_DRAFT,)),
    (SU, PlanAction.EDIT): "plan.stale",
    (N, PlanAction.PROPOSE): "plan.stale",
    (D, PlanAction.PROPOSE): (PR, (E.SIGN, E.NOTIFY_OTHER_PARTY)),
    (PR, PlanAction.PROPOSE): "plan.stale",
    (A, PlanAction.PROPOSE): "plan.stale",
    (SU, PlanAction.PROPOSE): "plan.stale",
    (N, PlanAction.APPROVE): "plan.stale",
    (D, PlanAction.APPROVE): "plan.stale",
    (PR, PlanAction.APPROVE): (PR, (E.SIGN,)),
    (A, PlanAction.APPROVE): "plan.stale",
    (SU, PlanAction.APPROVE): "plan.stale",
    (N, PlanAction.REQUEST_CHANGE): "plan.stale",
    (D, PlanAction.REQUEST_CHANGE): "plan.stale",
    (PR, PlanAction.REQUEST_CHANGE): (D, CHANGE),
    (A, PlanAction.REQUEST_CHANGE): "plan.stale",
    (SU, PlanAction.REQUEST_CHANGE): "plan.stale",
}

# The cells that depend on facts, with each fact that changes the answer.
PLAN_GUARDED: list[tuple[PlanStage, PlanAction, PlanFacts, Cell]] = [
    (N, PlanAction.EDIT, PlanFacts(may_draft=False), "plan.not_yet"),
    (A, PlanAction.EDIT, PlanFacts(may_draft=False), "plan.not_yet"),
    (D, PlanAction.EDIT, PlanFacts(may_draft=False), (D, ())),
    (D, PlanAction.PROPOSE, PlanFacts(current=False), "plan.stale"),
    (D, PlanAction.PROPOSE, PlanFacts(complete=False), "plan.error.incomplete"),
    (PR, PlanAction.EDIT, PlanFacts(awaits_actor=True), "plan.waiting_on_you"),
    (PR, PlanAction.APPROVE, PlanFacts(current=False), "plan.stale"),
    (PR, PlanAction.APPROVE, PlanFacts(actor_signed=True), "plan.already_approved"),
    (PR, PlanAction.APPROVE, PlanFacts(agreed_after=True), (A, AGREE)),
    (PR, PlanAction.REQUEST_CHANGE, PlanFacts(current=False), "plan.stale"),
]


def test_the_plan_table_is_complete_and_as_written() -> None:
    assert set(PLAN) == set(product(PlanStage, PlanAction))
    for (stage, action), expected in PLAN.items():
        assert _outcome(plan.decide(stage, action)) == expected, (stage, action)
    for stage, action, facts, expected in PLAN_GUARDED:
        assert _outcome(plan.decide(stage, action, facts)) == expected, (stage, action, facts)
    _refusal_keys_exist(PLAN)
    _refusal_keys_exist({i: row[3] for i, row in enumerate(PLAN_GUARDED)})


# ---------------------------------------------------------------- reminder

PEN, SND, SNT, FLD, CAN = (
    ReminderState.PENDING,
    ReminderState.SENDING,
    ReminderState.SENT,
    ReminderState.FAILED,
    ReminderState.CANCELLED,
)
RA = ReminderAction
NC = "reminder.refused.not_claimed"
REMINDER: dict[tuple[ReminderState, ReminderAction], Cell] = {
    (PEN, RA.SCHEDULE): (PEN, ()),
    (SND, RA.SCHEDULE): "reminder.refused.sending",
    (SNT, RA.SCHEDULE): "reminder.refused.sent",
    (FLD, RA.SCHEDULE): (PEN, ()),
    (CAN, RA.SCHEDULE): (PEN, ()),
    (PEN, RA.CLAIM): (SND, ()),
    (SND, RA.CLAIM): (SND, ()),
    (SNT, RA.CLAIM): "reminder.refused.sent",
    (FLD, RA.CLAIM): "reminder.refused.not_pending",
    (CAN, RA.CLAIM): "reminder.refused.not_pending",
    (PEN, RA.SENT): NC,
    (SND, RA.SENT): (SNT, ()),
    (SNT, RA.SENT): NC,
    (FLD, RA.SENT): NC,
    (CAN, RA.SENT): NC,
    (PEN, RA.RETRY): NC,
    (SND, RA.RETRY): (PEN, ()),
    (SNT, RA.RETRY): NC,
    (FLD, RA.RETRY): NC,
    (CAN, RA.RETRY): NC,
    (PEN, RA.FAIL): NC,
    (SND, RA.FAIL): (FLD, ()),
    (SNT, RA.FAIL): NC,
    (FLD, RA.FAIL): NC,
    (CAN, RA.FAIL): NC,
    (PEN, RA.DROP): NC,
    (SND, RA.DROP): (CAN, ()),
    (SNT, RA.DROP): NC,
    (FLD, RA.DROP): NC,
    (CAN, RA.DROP): NC,
    (PEN, RA.CANCEL): (CAN, ()),
    (SND, RA.CANCEL): "reminder.refused.sending",
    (SNT, RA.CANCEL): "reminder.refused.sent",
    (FLD, RA.CANCEL): "reminder.refused.not_pending",
    (CAN, RA.CANCEL): "reminder.refused.not_pending",
}


def test_the_reminder_table_is_complete_and_as_written() -> None:
    assert set(REMINDER) == set(product(ReminderState, ReminderAction))
    for (state, action), expected in REMINDER.items():
        assert _outcome(reminder.decide(state, action)) == expected, (state, action)
    _refusal_keys_exist(REMINDER)


@pytest.mark.parametrize("action", list(ReminderAction))
def test_the_outbox_where_clauses_come_from_the_reminder_table(action: ReminderAction) -> None:
    allowed = tuple(s for s in ReminderState if not isinstance(REMINDER[(s, action)], str))
    assert reminder.sources(action) == allowed
    assert {REMINDER[(s, action)][0] for s in allowed} == {reminder.target(action)}


# ---------------------------------------------------------------- only decided transitions persist


def test_a_hand_made_transition_is_not_lawful() -> None:
    """Repositories persist only what `decide` answers: a handler cannot set a status."""
    forged_round = Transition(before=P, action=RoundAction.ANNOUNCE_SUMMARY, after=X)
    assert not round.lawful(forged_round)
    assert round.lawful(round.decide(P, RoundAction.CLOSE))  # type: ignore[arg-type]
    forged_prep = Transition(before=_st(IP), action=PrepAction.MOVE, after=_st(SH))
    assert not prep.lawful(forged_prep)
    forged_plan = Transition(before=D, action=PlanAction.EDIT, after=A)
    assert not plan.lawful(forged_plan)
    lawful_plan = plan.decide(PR, PlanAction.APPROVE, PlanFacts(agreed_after=True))
    assert plan.lawful(lawful_plan)  # type: ignore[arg-type]
    # Every cell of every table is lawful by construction.
    for (phase, action), outcome in ROUND.items():
        if not isinstance(outcome, str):
            assert round.lawful(round.decide(phase, action))  # type: ignore[arg-type]
    for (stage, plan_action), plan_outcome in PLAN.items():
        if not isinstance(plan_outcome, str):
            assert plan.lawful(plan.decide(stage, plan_action))  # type: ignore[arg-type]
