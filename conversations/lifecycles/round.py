"""The round: kickoff/preparation -> conversations -> summary -> follow-up -> closed.

    PREP ──deadline passed / first conversation held──▶ CONVERSATIONS
    PREP, CONVERSATIONS ──leader announces the summary meeting──▶ SUMMARY
    SUMMARY ──leader starts the follow-up──▶ FOLLOW_UP
    any open phase ──leader or admin closes──▶ CLOSED

`Phase.PREP` covers the kickoff and the preparation (the kickoff meeting is a date in it, not a
state of its own). Clock events (the deadline) and late conversations never move a round back:
in a later phase they change nothing. A closed round accepts no work; its plans' follow-ups
keep running, because a development plan outlives the round that made it.
"""

from __future__ import annotations

from enum import StrEnum

from conversations.domain import Phase
from conversations.lifecycles.base import Effect, Refusal, Rule, Transition


class RoundAction(StrEnum):
    PREP_DEADLINE_PASSED = "prep_deadline_passed"
    CONVERSATION_HELD = "conversation_held"
    ANNOUNCE_SUMMARY = "announce_summary"
    START_FOLLOW_UP = "start_follow_up"
    CLOSE = "close"


RoundTransition = Transition[Phase, RoundAction]

_P, _C, _S, _F, _X = (Phase.PREP, Phase.CONVERSATIONS, Phase.SUMMARY, Phase.FOLLOW_UP, Phase.CLOSED)
_CLOSED = Refusal("round.refused.closed")
_CLOSE_EFFECTS = (
    Effect.LOCK_PREP,
    Effect.CANCEL_PREP_NUDGES,
    Effect.CANCEL_BOOKING_REMINDERS,
    Effect.KEEP_FOLLOW_UPS,
)

TABLE: dict[tuple[Phase, RoundAction], Rule[Phase] | Refusal] = {
    # the prep deadline passes (a clock event: only ever moves a round forward)
    (_P, RoundAction.PREP_DEADLINE_PASSED): Rule(_C, (Effect.CANCEL_PREP_NUDGES,)),
    (_C, RoundAction.PREP_DEADLINE_PASSED): Rule(_C),
    (_S, RoundAction.PREP_DEADLINE_PASSED): Rule(_S),
    (_F, RoundAction.PREP_DEADLINE_PASSED): Rule(_F),
    (_X, RoundAction.PREP_DEADLINE_PASSED): Rule(_X),
    # a conversation is marked held (a late one after the summary is fine)
    (_P, RoundAction.CONVERSATION_HELD): Rule(_C),
    (_C, RoundAction.CONVERSATION_HELD): Rule(_C),
    (_S, RoundAction.CONVERSATION_HELD): Rule(_S),
    (_F, RoundAction.CONVERSATION_HELD): Rule(_F),
    (_X, RoundAction.CONVERSATION_HELD): _CLOSED,
    # the leader calls the summary meeting (once)
    (_P, RoundAction.ANNOUNCE_SUMMARY): Rule(_S, (Effect.POST_SUMMARY_CALL,)),
    (_C, RoundAction.ANNOUNCE_SUMMARY): Rule(_S, (Effect.POST_SUMMARY_CALL,)),
    (_S, RoundAction.ANNOUNCE_SUMMARY): Refusal("summary.already_announced"),
    (_F, RoundAction.ANNOUNCE_SUMMARY): Refusal("summary.already_announced"),
    (_X, RoundAction.ANNOUNCE_SUMMARY): Refusal("summary.already_announced"),
    # the leader moves the round on to follow-up, after the summary meeting
    (_P, RoundAction.START_FOLLOW_UP): Refusal("round.refused.summary_first"),
    (_C, RoundAction.START_FOLLOW_UP): Refusal("round.refused.summary_first"),
    (_S, RoundAction.START_FOLLOW_UP): Rule(_F),
    (_F, RoundAction.START_FOLLOW_UP): Refusal("summary.already_follow_up"),
    (_X, RoundAction.START_FOLLOW_UP): _CLOSED,
    # the leader (or an admin) closes the year
    (_P, RoundAction.CLOSE): Rule(_X, _CLOSE_EFFECTS),
    (_C, RoundAction.CLOSE): Rule(_X, _CLOSE_EFFECTS),
    (_S, RoundAction.CLOSE): Rule(_X, _CLOSE_EFFECTS),
    (_F, RoundAction.CLOSE): Rule(_X, _CLOSE_EFFECTS),
    (_X, RoundAction.CLOSE): Refusal("round.refused.already_closed"),
}

# Phases in which people still work in the round (prep, bookings, plans, notes).
OPEN_PHASES = (_P, _C, _S, _F)
# Phases in which an employee is offered their preparation by command.
PREP_PHASES = (_P, _C)


def decide(phase: Phase, action: RoundAction) -> RoundTransition | Refusal:
    """The round's next phase for `action`, or why not."""
    cell = TABLE[(phase, action)]
    if isinstance(cell, Refusal):
        return cell
    return Transition(before=phase, action=action, after=cell.after, effects=cell.effects)


def accepts_work(phase: Phase) -> Refusal | None:
    """None while the round is open; a closed round refuses every change to its material."""
    return _CLOSED if phase == _X else None


def lawful(transition: RoundTransition) -> bool:
    """The transition is what `decide` answers (a hand-made one is not persisted)."""
    return decide(transition.before, transition.action) == transition
