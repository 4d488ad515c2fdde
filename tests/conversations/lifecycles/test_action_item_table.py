"""The team action plan item's table (Skema 5), cell by cell (issue #12)."""

from __future__ import annotations

from itertools import product

from conversations.lifecycles import action_item
from conversations.lifecycles.action_item import ActionItemAction as A
from conversations.lifecycles.action_item import ActionState
from conversations.lifecycles.base import Effect as E
from tests.conversations.lifecycles.test_tables import Cell, _outcome, _refusal_keys_exist

N, OP, U, D, X = (
    ActionState.NONE,
    ActionState.OPEN,
    ActionState.UNDER_WAY,
    ActionState.DONE,
    ActionState.DROPPED,
)
STOP = (E.CANCEL_OWNER_REMINDERS,)
ITEM: dict[tuple[ActionState, A], Cell] = {
    (N, A.CREATE): (OP, (E.POST_TO_CHANNEL, E.SCHEDULE_OWNER_REMINDERS)),
    (OP, A.CREATE): "action.refused.exists",
    (U, A.CREATE): "action.refused.exists",
    (D, A.CREATE): "action.refused.exists",
    (X, A.CREATE): "action.refused.exists",
    (N, A.START): "action.refused.missing",
    (OP, A.START): (U, ()),
    (U, A.START): "action.refused.same",
    (D, A.START): "action.refused.finished",
    (X, A.START): "action.refused.finished",
    (N, A.COMPLETE): "action.refused.missing",
    (OP, A.COMPLETE): (D, STOP),
    (U, A.COMPLETE): (D, STOP),
    (D, A.COMPLETE): "action.refused.same",
    (X, A.COMPLETE): "action.refused.finished",
    (N, A.DROP): "action.refused.missing",
    (OP, A.DROP): (X, STOP),
    (U, A.DROP): (X, STOP),
    (D, A.DROP): "action.refused.finished",
    (X, A.DROP): "action.refused.same",
    (N, A.REOPEN): "action.refused.missing",
    (OP, A.REOPEN): "action.refused.same",
    (U, A.REOPEN): "action.refused.same",
    (D, A.REOPEN): (U, ()),
    (X, A.REOPEN): (U, ()),
    (N, A.EDIT): "action.refused.missing",
    (OP, A.EDIT): (OP, (E.POST_TO_CHANNEL, E.REPLACE_OWNER_REMINDERS)),
    (U, A.EDIT): (U, (E.POST_TO_CHANNEL, E.REPLACE_OWNER_REMINDERS)),
    (D, A.EDIT): "action.refused.finished",
    (X, A.EDIT): "action.refused.finished",
}


def test_the_action_item_table_is_complete_and_as_written() -> None:
    assert set(ITEM) == set(product(ActionState, A))
    for (state, action), expected in ITEM.items():
        assert _outcome(action_item.decide(state, action)) == expected, (state, action)
    _refusal_keys_exist(ITEM)


def test_owners_are_offered_exactly_the_allowed_moves() -> None:
    assert action_item.choices(OP) == (A.START, A.COMPLETE, A.DROP)
    assert action_item.choices(U) == (A.COMPLETE, A.DROP)
    assert action_item.choices(D) == (A.REOPEN,)
