"""An item of the team's action plan (Skema 5), agreed at the summary meeting.

    (none) ──create──▶ OPEN ──start──▶ UNDER_WAY ──complete──▶ DONE
    OPEN, UNDER_WAY ──drop──▶ DROPPED          DONE, DROPPED ──reopen──▶ UNDER_WAY
    OPEN, UNDER_WAY ──edit──▶ (the same state)

Created by the round's leader after the summary meeting; each owner is reminded on its date
and moves it on from the reminder. Done and dropped items are not reminded of. The leader may
edit what, when, who and how of an item still open or under way: the team hears of the change
and the owners' reminder follows the new date (a finished item is reopened first).
"""

from __future__ import annotations

from enum import StrEnum

from conversations.lifecycles.base import Effect, Refusal, Rule, Transition


class ActionState(StrEnum):
    NONE = "none"  # not created yet
    OPEN = "open"
    UNDER_WAY = "under_way"
    DONE = "done"
    DROPPED = "dropped"


class ActionItemAction(StrEnum):
    CREATE = "create"
    START = "start"
    COMPLETE = "complete"
    DROP = "drop"
    REOPEN = "reopen"
    EDIT = "edit"  # the leader changes what/when/who/how; the state stays


ActionItemTransition = Transition[ActionState, ActionItemAction]

_N, _O, _U, _D, _X = (
    ActionState.NONE,
    ActionState.OPEN,
    ActionState.UNDER_WAY,
    ActionState.DONE,
    ActionState.DROPPED,
)
_MISSING = Refusal("action.refused.missing")
_EXISTS = Refusal("action.refused.exists")
_SAME = Refusal("action.refused.same")
_FINISHED = Refusal("action.refused.finished")
_STOP = (Effect.CANCEL_OWNER_REMINDERS,)
_EDITED = (Effect.POST_TO_CHANNEL, Effect.REPLACE_OWNER_REMINDERS)

TABLE: dict[tuple[ActionState, ActionItemAction], Rule[ActionState] | Refusal] = {
    (_N, ActionItemAction.CREATE): Rule(
        _O, (Effect.POST_TO_CHANNEL, Effect.SCHEDULE_OWNER_REMINDERS)
    ),
    (_O, ActionItemAction.CREATE): _EXISTS,
    (_U, ActionItemAction.CREATE): _EXISTS,
    (_D, ActionItemAction.CREATE): _EXISTS,
    (_X, ActionItemAction.CREATE): _EXISTS,
    (_N, ActionItemAction.START): _MISSING,
    (_O, ActionItemAction.START): Rule(_U),
    (_U, ActionItemAction.START): _SAME,
    (_D, ActionItemAction.START): _FINISHED,
    (_X, ActionItemAction.START): _FINISHED,
    (_N, ActionItemAction.COMPLETE): _MISSING,
    (_O, ActionItemAction.COMPLETE): Rule(_D, _STOP),
    (_U, ActionItemAction.COMPLETE): Rule(_D, _STOP),
    (_D, ActionItemAction.COMPLETE): _SAME,
    (_X, ActionItemAction.COMPLETE): _FINISHED,
    (_N, ActionItemAction.DROP): _MISSING,
    (_O, ActionItemAction.DROP): Rule(_X, _STOP),
    (_U, ActionItemAction.DROP): Rule(_X, _STOP),
    (_D, ActionItemAction.DROP): _FINISHED,
    (_X, ActionItemAction.DROP): _SAME,
    (_N, ActionItemAction.REOPEN): _MISSING,
    (_O, ActionItemAction.REOPEN): _SAME,
    (_U, ActionItemAction.REOPEN): _SAME,
    (_D, ActionItemAction.REOPEN): Rule(_U),
    (_X, ActionItemAction.REOPEN): Rule(_U),
    (_N, ActionItemAction.EDIT): _MISSING,
    (_O, ActionItemAction.EDIT): Rule(_O, _EDITED),
    (_U, ActionItemAction.EDIT): Rule(_U, _EDITED),
    (_D, ActionItemAction.EDIT): _FINISHED,
    (_X, ActionItemAction.EDIT): _FINISHED,
}


# Not moves an owner makes from a reminder: creating and editing are the leader's, by form.
NOT_MOVES = frozenset({ActionItemAction.CREATE, ActionItemAction.EDIT})


def decide(state: ActionState, action: ActionItemAction) -> ActionItemTransition | Refusal:
    """The item's next state for `action`, or why not."""
    cell = TABLE[(state, action)]
    if isinstance(cell, Refusal):
        return cell
    return Transition(before=state, action=action, after=cell.after, effects=cell.effects)


def choices(state: ActionState) -> tuple[ActionItemAction, ...]:
    """The actions an owner is offered (buttons) on an item in `state`."""
    return tuple(
        a
        for a in ActionItemAction
        if a not in NOT_MOVES and not isinstance(TABLE[(state, a)], Refusal)
    )


def lawful(transition: ActionItemTransition) -> bool:
    """The transition is what `decide` answers (a hand-made one is not persisted)."""
    return decide(transition.before, transition.action) == transition
