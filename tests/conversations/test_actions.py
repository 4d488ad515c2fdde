"""Typed actions: every button and form state packs and unpacks to itself; anything else is stale."""

from __future__ import annotations

from dataclasses import MISSING, fields
from enum import Enum
from typing import Any, Literal, get_args, get_origin, get_type_hints

import pytest

from conversations import actions
from conversations.actions import (
    MAX_VALUE,
    ButtonAction,
    FormState,
    PlanItemEdit,
    PlanPropose,
    PlanStatus,
    PrepEdit,
    PrepView,
    StaleAction,
    unpack_button,
    unpack_form,
)
from conversations.domain import ItemStatus

ALL: tuple[type[ButtonAction] | type[FormState], ...] = (
    *actions.button_actions(),
    *actions.form_states(),
)


def _sample(cls: type[Any], *, defaults: bool) -> Any:
    """An instance with a value of the right type in every field (defaults kept if asked)."""
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for n, f in enumerate(fields(cls)):
        if defaults and f.default is not MISSING:
            continue
        kind = hints[f.name]
        if kind is int:
            kwargs[f.name] = 40 + n
        elif kind is str:
            kwargs[f.name] = f"id-{n}.x_Y"
        elif get_origin(kind) is Literal:
            kwargs[f.name] = get_args(kind)[-1]
        elif isinstance(kind, type) and issubclass(kind, Enum):
            kwargs[f.name] = list(kind)[-1]
        else:  # pragma: no cover - a new field type needs a sample here
            raise AssertionError(f"no sample for {cls.__name__}.{f.name}: {kind!r}")
    return cls(**kwargs)


def test_every_action_class_is_registered_once_with_its_own_prefix() -> None:
    buttons = [c.prefix for c in actions.button_actions()]
    forms = [c.prefix for c in actions.form_states()]
    assert len(buttons) == len(set(buttons)) and len(forms) == len(set(forms))
    assert len(ALL) >= 40


@pytest.mark.parametrize("cls", ALL, ids=lambda c: f"{c.__name__}:{c.prefix}")
@pytest.mark.parametrize("defaults", [False, True], ids=["all-fields", "defaults"])
def test_round_trip(cls: type[ButtonAction] | type[FormState], defaults: bool) -> None:
    original = _sample(cls, defaults=defaults)
    unpack = unpack_button if issubclass(cls, ButtonAction) else unpack_form
    packed = original.pack()
    assert len(cls.prefix) <= actions.MAX_ACTION and len(packed) <= MAX_VALUE
    assert unpack(cls.prefix, packed) == original
    assert type(unpack(cls.prefix, packed)) is cls


def test_buttons_and_forms_carry_prefix_and_packed_fields() -> None:
    button = PrepEdit(round_id=12, index=3, step="trivsel.1", origin="review").button("Svar")
    assert (button.action, button.value) == ("prep.answer", "12:3:trivsel.1:review")
    form = actions.PrepAnswerForm(round_id=12, index=3, step="trivsel.1").form(
        title="t", submit_label="s", inputs=()
    )
    assert (form.id, form.state) == ("prep.answer", "12:3:trivsel.1")


def test_trailing_defaults_are_left_out_and_come_back() -> None:
    assert PrepEdit(round_id=1, index=0, step="a").pack() == "1:0:a"
    assert PlanItemEdit(round_id=1, employee_id=2).pack() == "1:2"
    assert unpack_button("plan.item", "1:2") == PlanItemEdit(round_id=1, employee_id=2)
    assert unpack_button("plan.item", "1:2:ab12") == PlanItemEdit(
        round_id=1, employee_id=2, item_id="ab12"
    )


def test_enum_fields_unpack_to_the_enum() -> None:
    got = unpack_button("plan.status", "1:2:ab12:done")
    assert isinstance(got, PlanStatus) and got.status is ItemStatus.DONE


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("prep.view", ""),  # nothing
        ("prep.view", "7"),  # too few fields
        ("prep.view", "7:8:9"),  # too many
        ("prep.view", "7:x"),  # not a number
        ("prep.view", "7:-8"),  # a sign is not a digit
        ("prep.view", "7: 8"),  # nor is a space
        ("prep.view", "7:8.0"),
        ("prep.view", "7:99999999999999999999"),  # absurdly large
        ("prep.view", "٣:8"),  # a digit, but not an ASCII one
        ("prep.answer", "1:0:trivsel:somewhere"),  # not one of the literal's values
        ("prep.answer", "1:0:<!channel>"),  # a token cannot hold markup
        ("prep.answer", "1:0:"),  # an empty token
        ("plan.status", "1:2:ab:finished"),  # not an item status
        ("plan.propose", "1:2:3"),  # the fingerprint is missing
        ("prep.view", "1:" + "2" * 5000),  # far too long
        ("nothing.here", "1"),  # unknown prefix
        ("", ""),
    ],
)
def test_tampered_values_are_stale_never_another_error(action: str, value: str) -> None:
    with pytest.raises(StaleAction) as caught:
        unpack_button(action, value)
    assert value not in str(caught.value) or not value  # the message never echoes the value


def test_a_form_prefix_is_not_a_button_and_back() -> None:
    with pytest.raises(StaleAction):
        unpack_form("status.show", "1")  # a button prefix, not a form
    with pytest.raises(StaleAction):
        unpack_button("notes.save", "1:2")  # a form prefix, not a button


def test_packing_what_cannot_come_back_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="cannot be packed"):
        PrepEdit(round_id=1, index=0, step="has:colon").pack()
    with pytest.raises(ValueError, match="cannot be packed"):
        PrepView(round_id=-1, employee_id=2).pack()
    with pytest.raises(ValueError, match="cannot be packed"):
        PlanPropose(round_id=1, employee_id=2, number=1, fingerprint="x" * 300).pack()


def test_flows_build_buttons_and_forms_only_from_typed_actions() -> None:
    """No hand-made `Button(...)`/`Form(...)` in the core: each goes through an action class."""
    import ast
    from pathlib import Path

    root = Path(actions.__file__).resolve().parent
    found = []
    for path in root.rglob("*.py"):
        if path.name in ("messages.py", "actions.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Button", "Form"):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
