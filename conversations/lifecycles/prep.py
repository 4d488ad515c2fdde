"""One employee's preparation in one round.

    NOT_STARTED ──start/move/answer──▶ IN_PROGRESS ──share──▶ SHARED (answers may still change)
    any ──conversation held──▶ held: answers are final (sharing is still the employee's choice)
    round closed: nothing changes any more (the prep can still be read by its owner)

The state is the stored status plus two facts that lock it: the conversation was held (stored
on the session) and the round was closed (the round's phase). `PrepState.of` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import product

from conversations.domain import Phase, PrepSession, PrepStatus
from conversations.lifecycles.base import Effect, Refusal, Transition


class PrepAction(StrEnum):
    START = "start"  # the employee opens their prep
    MOVE = "move"  # the cursor moves (next, back, review): navigation, not a change
    ANSWER = "answer"  # an answer is written, replaced or skipped
    SHARE = "share"
    HOLD = "hold"  # the leader marks the conversation held


@dataclass(frozen=True, slots=True, kw_only=True)
class PrepState:
    status: PrepStatus
    held: bool = False
    closed: bool = False

    @staticmethod
    def of(session: PrepSession | None, *, phase: Phase) -> PrepState:
        return PrepState(
            status=session.status if session is not None else PrepStatus.NOT_STARTED,
            held=session is not None and session.conversation_held_at is not None,
            closed=phase == Phase.CLOSED,
        )


PrepTransition = Transition[PrepState, PrepAction]

ALL_STATES = tuple(
    PrepState(status=s, held=h, closed=c)
    for s, h, c in product(PrepStatus, (False, True), (False, True))
)


def _working(status: PrepStatus) -> PrepStatus:
    """Touching a prep makes it under way; a shared prep stays shared."""
    return PrepStatus.SHARED if status == PrepStatus.SHARED else PrepStatus.IN_PROGRESS


def decide(state: PrepState, action: PrepAction) -> PrepTransition | Refusal:
    """The whole table, cell by cell: see tests/conversations/lifecycles/test_prep.py."""
    if action in (PrepAction.START, PrepAction.MOVE):
        # Reading and moving around one's own prep is always possible; a closed round
        # changes nothing, not even the status.
        after = state if state.closed else _with(state, status=_working(state.status))
        return Transition(before=state, action=action, after=after)
    if action == PrepAction.ANSWER:
        if state.closed:
            return Refusal("round.refused.closed")
        if state.held:
            return Refusal("prep.locked")
        after = _with(state, status=_working(state.status))
        return Transition(before=state, action=action, after=after)
    if action == PrepAction.SHARE:
        if state.closed:
            return Refusal("round.refused.closed")
        if state.status == PrepStatus.SHARED:
            return Refusal("prep.already_shared")
        return Transition(
            before=state,
            action=action,
            after=_with(state, status=PrepStatus.SHARED),
            effects=(Effect.NOTIFY_LEADERS,),
        )
    # HOLD
    if state.closed:
        return Refusal("round.refused.closed")
    if state.held:
        return Refusal("booking.already_held")
    return Transition(
        before=state, action=action, after=_with(state, held=True), effects=(Effect.LOCK_PREP,)
    )


def lawful(transition: PrepTransition) -> bool:
    """The transition is what `decide` answers (a hand-made one is not persisted)."""
    return decide(transition.before, transition.action) == transition


def _with(state: PrepState, **changes: object) -> PrepState:
    values = {"status": state.status, "held": state.held, "closed": state.closed, **changes}
    return PrepState(**values)  # type: ignore[arg-type]


def persisted(
    previous: PrepSession | None,
    transition: PrepTransition,
    *,
    round_id: int,
    person_id: int,
    at: datetime,
    cursor: int | None = None,
) -> PrepSession:
    """The session row a transition leaves behind (what `PrepRepo.apply` stores).

    Sharing stamps `shared_at`, holding stamps `conversation_held_at`; both stay once set.
    A transition decided on another state than the stored one is a flow bug: `ValueError`.
    """
    if not lawful(transition):
        raise ValueError(f"not a prep transition: {transition}")
    stored = PrepState.of(previous, phase=Phase.PREP)
    before = transition.before
    if (stored.status, stored.held) != (before.status, before.held):
        raise ValueError(f"prep transition from {before}, but the session is {stored}")
    after = transition.after
    shared_at = previous.shared_at if previous is not None else None
    held_at = previous.conversation_held_at if previous is not None else None
    if after.status == PrepStatus.SHARED and before.status != PrepStatus.SHARED:
        shared_at = at
    if after.held and not before.held:
        held_at = at
    return PrepSession(
        round_id=round_id,
        person_id=person_id,
        cursor=cursor if cursor is not None else (previous.cursor if previous else 0),
        status=after.status,
        shared_at=shared_at,
        conversation_held_at=held_at,
        updated_at=at,
    )
