"""Typed button values and form states that pack and unpack themselves.

A button carries two strings through every platform and back: its `action` (the class's
prefix, e.g. `prep.answer`) and its `value` (the fields, `12:3:trivsel`). A form carries its
`id` and `state` the same way. In the spirit of aiogram's `CallbackData`, each kind of button
or form state is one small class here with typed fields; it packs itself onto the `Button` or
`Form` and is unpacked, and checked, when the event comes back. A value that does not unpack
(an old button from before a change, a forged payload, an unknown prefix) raises `StaleAction`,
which the router answers with the friendly "this button is out of date" message.

Packing is positional and compact (Slack allows 2000 characters in a button value and 255 in
an action id; a Teams card's data is small by design). Trailing fields left at their default
are not packed, so `prep.answer` is `round:index:step` from a question and
`round:index:step:review` from the overview.

Only what identifies the target travels on a button. Who presses it is the actor of the event,
never a field: a flow must never trust a value to say who someone is or what they may see.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import (
    Any,
    ClassVar,
    Literal,
    Self,
    TypedDict,
    get_args,
    get_origin,
    get_type_hints,
)

from conversations.domain import ItemStatus
from conversations.lifecycles.action_item import ActionItemAction
from conversations.messages import Block, Button, Form, Input

SEP = ":"
MAX_ACTION = 255
"""Slack's limit on an action id (the prefix); Teams has none worth the name."""
MAX_VALUE = 2000
"""Slack's limit on a button value; form state (Slack `private_metadata`) allows 3000."""
MAX_INT = 10**15
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
_DIGITS = re.compile(r"^[0-9]{1,16}$")

Style = Literal["default", "primary", "danger"]


class StaleAction(ValueError):
    """A button value or form state that does not unpack: out of date, forged, or unknown.

    The message names the prefix only, never the value (a value may hold an id a log reader
    has no business seeing).
    """


class _Packed:
    """What button actions and form states share: a prefix and typed, packable fields."""

    prefix: ClassVar[str]
    _registry: ClassVar[dict[str, type[_Packed]]]
    _kinds: ClassVar[dict[type, tuple[tuple[str, Any, Any], ...]]] = {}

    def pack(self) -> str:
        """The fields, in order, without trailing defaults; checked for the platforms' limits."""
        parts: list[str] = []
        trailing_defaults: list[str] = []
        for name, kind, default in _specs(type(self)):
            raw = getattr(self, name)
            text = _dump(raw)
            if default is not MISSING and raw == default:
                trailing_defaults.append(text)
                continue
            try:  # what is packed must come back: checked here, not when someone presses it
                _load(kind, text, prefix=self.prefix)
            except StaleAction:
                raise ValueError(f"{self.prefix}.{name} cannot be packed") from None
            if any(not t for t in trailing_defaults):
                raise ValueError(f"{self.prefix}: an empty default before {name}")
            parts += [*trailing_defaults, text]
            trailing_defaults = []
        packed = SEP.join(parts)
        if len(packed) > MAX_VALUE:
            raise ValueError(f"{self.prefix} packs to {len(packed)} characters")
        return packed

    @classmethod
    def unpack(cls, value: str) -> Self:
        """The action `value` packs, validated field by field; raises `StaleAction`."""
        if len(value) > MAX_VALUE * 2:
            raise StaleAction(cls.prefix)
        specs = _specs(cls)
        parts = value.split(SEP) if value else []
        required = sum(1 for _, _, default in specs if default is MISSING)
        if not required <= len(parts) <= len(specs):
            raise StaleAction(cls.prefix)
        kwargs: dict[str, Any] = {}
        for (name, kind, _), text in zip(specs, parts, strict=False):
            kwargs[name] = _load(kind, text, prefix=cls.prefix)
        return cls(**kwargs)

    def __init_subclass__(cls, *, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:  # an abstract base (ButtonAction, FormState) with its own registry
            cls._registry = {}
            return
        if len(prefix) > MAX_ACTION or SEP in prefix or not _TOKEN.match(prefix):
            raise ValueError(f"bad prefix {prefix!r}")
        if prefix in cls._registry:
            raise ValueError(f"prefix {prefix!r} used twice")
        cls.prefix = prefix
        cls._registry[prefix] = cls

    @property
    def flow(self) -> str:
        """The flow that answers it: the prefix's first word (`prep` for `prep.answer`)."""
        return self.prefix.partition(".")[0]


def _specs(cls: type[_Packed]) -> tuple[tuple[str, Any, Any], ...]:
    """(name, type, default) of each field, in order: int, str, a Literal of str, or an Enum."""
    found = _Packed._kinds.get(cls)
    if found is None:
        hints = get_type_hints(cls)
        found = tuple((f.name, hints[f.name], f.default) for f in fields(cls))  # type: ignore[arg-type]
        _Packed._kinds[cls] = found
    return found


def _dump(raw: object) -> str:
    if isinstance(raw, Enum):
        return str(raw.value)
    if isinstance(raw, bool):
        raise ValueError("booleans are packed as Literal['yes', 'no']")
    return str(raw)


def _load(kind: Any, text: str, *, prefix: str) -> object:
    if kind is int:
        if not _DIGITS.match(text) or int(text) >= MAX_INT:
            raise StaleAction(prefix)
        return int(text)
    if kind is str:
        if not _TOKEN.match(text):
            raise StaleAction(prefix)
        return text
    if get_origin(kind) is Literal:
        if text not in get_args(kind):
            raise StaleAction(prefix)
        return text
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(text)
        except ValueError:
            raise StaleAction(prefix) from None
    raise TypeError(f"{prefix}: field type {kind!r} is not packable")


class ButtonAction(_Packed):
    """What a button does. `button()` puts it on a neutral `Button`."""

    shows_only: ClassVar[bool] = False
    """The flow only shows something for it (a form to fill in): the engine runs it as reads
    without a transaction or a claim of the delivery (`Store.reading`). Should the flow write
    after all (an audited refusal, say), the event runs again the usual way."""

    def button(self, label: str, *, style: Style = "default", **options: Any) -> Button:
        """The neutral button; `options` are the `Button`'s further presentation fields."""
        return Button(label, self.prefix, self.pack(), style=style, **options)


class FormState(_Packed):
    """What a form is about. `form()` makes the neutral `Form` that carries it."""

    def form(
        self,
        *,
        title: str,
        submit_label: str,
        inputs: tuple[Input, ...],
        intro: tuple[Block, ...] = (),
        closes_at_once: bool = False,
    ) -> Form:
        return Form(
            id=self.prefix,
            title=title,
            submit_label=submit_label,
            inputs=inputs,
            state=self.pack(),
            intro=intro,
            closes_at_once=closes_at_once,
        )


def unpack_button(action: str, value: str) -> ButtonAction:
    """The typed action of a pressed button; raises `StaleAction`."""
    cls = ButtonAction._registry.get(action)
    if cls is None:
        raise StaleAction(action[:40])
    return cls.unpack(value)  # type: ignore[return-value]


def unpack_form(form: str, state: str) -> FormState:
    """The typed state of a submitted form; raises `StaleAction`."""
    cls = FormState._registry.get(form)
    if cls is None:
        raise StaleAction(form[:40])
    return cls.unpack(state)  # type: ignore[return-value]


def button_actions() -> tuple[type[ButtonAction], ...]:
    return tuple(ButtonAction._registry.values())  # type: ignore[arg-type]


def form_states() -> tuple[type[FormState], ...]:
    return tuple(FormState._registry.values())  # type: ignore[arg-type]


Origin = Literal["q", "review"]
"""Where a prep question was opened from: the walk through the questions, or the overview."""


@dataclass(frozen=True, kw_only=True)
class _Round:
    """One round; the flow checks the actor may act on it (most round-level buttons)."""

    round_id: int


# ---------------------------------------------------------------- preparation (employee)


@dataclass(frozen=True, kw_only=True)
class PrepOpen(_Round, ButtonAction, prefix="prep.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepReview(_Round, ButtonAction, prefix="prep.review"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepShare(_Round, ButtonAction, prefix="prep.share"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepPick(_Round, ButtonAction, prefix="prep.pick"):
    """Open the form that picks a question to go to."""

    shows_only = True


@dataclass(frozen=True, kw_only=True)
class _PrepStep:
    """A step by absolute position and id: a button from an old message cannot write into a
    question that has moved (the id must still match the index)."""

    round_id: int
    index: int
    step: str


@dataclass(frozen=True, kw_only=True)
class PrepEdit(_PrepStep, ButtonAction, prefix="prep.answer"):
    """Open the answer box for a question (to answer it, or to change the answer)."""

    shows_only = True

    origin: Origin = "q"


@dataclass(frozen=True, kw_only=True)
class PrepSkip(_PrepStep, ButtonAction, prefix="prep.skip"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepBack(_PrepStep, ButtonAction, prefix="prep.back"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepGoto(_PrepStep, ButtonAction, prefix="prep.goto"):
    pass


@dataclass(frozen=True, kw_only=True)
class PrepAnswerForm(_PrepStep, FormState, prefix="prep.answer"):
    origin: Origin = "q"


@dataclass(frozen=True, kw_only=True)
class PrepPickForm(_Round, FormState, prefix="prep.goto"):
    pass


# ---------------------------------------------------------------- about one employee (leader)


class StepRef(TypedDict):
    """The fields of `_PrepStep`, for building several buttons about the same step."""

    round_id: int
    index: int
    step: str


class EmployeeRef(TypedDict):
    """The fields of `_Employee`, for building several buttons about the same employee."""

    round_id: int
    employee_id: int


@dataclass(frozen=True, kw_only=True)
class _Employee:
    """One employee of one round; the flow checks the actor may act on them."""

    round_id: int
    employee_id: int


@dataclass(frozen=True, kw_only=True)
class PrepView(_Employee, ButtonAction, prefix="prep.view"):
    """A leader reads an employee's shared preparation."""


@dataclass(frozen=True, kw_only=True)
class NotesOpen(_Employee, ButtonAction, prefix="notes.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class NotesForm(_Employee, FormState, prefix="notes.save"):
    pass


@dataclass(frozen=True, kw_only=True)
class BookingOpen(_Employee, ButtonAction, prefix="booking.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class BookingHeld(_Employee, ButtonAction, prefix="booking.held"):
    pass


@dataclass(frozen=True, kw_only=True)
class BookingPickForm(_Round, FormState, prefix="booking.pick"):
    pass


@dataclass(frozen=True, kw_only=True)
class BookingHeldConfirm(_Employee, ButtonAction, prefix="booking.held_confirm"):
    """Marking held locks the preparation: the button on the question that asks first."""


@dataclass(frozen=True, kw_only=True)
class BookingForm(_Employee, FormState, prefix="booking.save"):
    confirmed: int = 0
    """The start time (epoch seconds) the leader confirmed past a warning, or 0."""


@dataclass(frozen=True, kw_only=True)
class MaterialBooking(_Employee, ButtonAction, prefix="material.booking"):
    """Read the material for a booked conversation (the employee or a leader of the round)."""


@dataclass(frozen=True, kw_only=True)
class StatusShow(_Round, ButtonAction, prefix="status.show"):
    pass


@dataclass(frozen=True, kw_only=True)
class StatusMember(_Employee, ButtonAction, prefix="status.member"):
    pass


# ---------------------------------------------------------------- the development plan


@dataclass(frozen=True, kw_only=True)
class PlanOpen(_Employee, ButtonAction, prefix="plan.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanDownload(_Employee, ButtonAction, prefix="plan.download"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanHistory(_Employee, ButtonAction, prefix="plan.history"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanItemEdit(_Employee, ButtonAction, prefix="plan.item"):
    """Add an item (no `item_id`), or edit one."""

    item_id: str = ""


@dataclass(frozen=True, kw_only=True)
class PlanRemove(_Employee, ButtonAction, prefix="plan.remove"):
    item_id: str


@dataclass(frozen=True, kw_only=True)
class PlanFollowUp(_Employee, ButtonAction, prefix="plan.followup"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanPropose(_Employee, ButtonAction, prefix="plan.propose"):
    """Sign and send exactly the draft shown: its number and a digest of its content."""

    number: int
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class _Version(_Employee):
    """One version (by number) of one employee's plan: a button from an older version is
    answered as such, never applied to the newest."""

    number: int


@dataclass(frozen=True, kw_only=True)
class PlanApprove(_Version, ButtonAction, prefix="plan.approve"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanChange(_Version, ButtonAction, prefix="plan.change"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanRevise(_Employee, ButtonAction, prefix="plan.revise"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanStatus(_Employee, ButtonAction, prefix="plan.status"):
    item_id: str
    status: ItemStatus


@dataclass(frozen=True, kw_only=True)
class PlanItemForm(_Employee, FormState, prefix="plan.item"):
    item_id: str = "new"


@dataclass(frozen=True, kw_only=True)
class PlanFollowUpForm(_Employee, FormState, prefix="plan.followup"):
    pass


@dataclass(frozen=True, kw_only=True)
class PlanChangeForm(_Version, FormState, prefix="plan.change"):
    pass


# ---------------------------------------------------------------- the round


@dataclass(frozen=True, kw_only=True)
class RoundStart(ButtonAction, prefix="round.start"):
    """Open the form that starts a round."""


@dataclass(frozen=True, kw_only=True)
class RoundKickoffResend(_Round, ButtonAction, prefix="round.kickoff.resend"):
    """Post the kickoff again (the bot was added to the channel after the round started)."""


@dataclass(frozen=True, kw_only=True)
class RoundStartForm(FormState, prefix="round.start"):
    pass


@dataclass(frozen=True, kw_only=True)
class LeadersForm(FormState, prefix="leaders.save"):
    pass


@dataclass(frozen=True, kw_only=True)
class ReminderSnooze(_Round, ButtonAction, prefix="reminder.snooze"):
    pass


@dataclass(frozen=True, kw_only=True)
class ReminderList(_Round, ButtonAction, prefix="reminder.list"):
    pass


@dataclass(frozen=True, kw_only=True)
class SummaryShow(_Round, ButtonAction, prefix="summary.show"):
    pass


@dataclass(frozen=True, kw_only=True)
class SummaryAnnounce(_Round, ButtonAction, prefix="summary.announce"):
    pass


@dataclass(frozen=True, kw_only=True)
class SummaryFollowUp(_Round, ButtonAction, prefix="summary.follow_up"):
    pass


@dataclass(frozen=True, kw_only=True)
class SummaryClose(_Round, ButtonAction, prefix="summary.close"):
    """Close the round: the confirmation's button (after `SummaryCloseAsk` or `/mus afslut`)."""


@dataclass(frozen=True, kw_only=True)
class SummaryCloseAsk(_Round, ButtonAction, prefix="summary.close_ask"):
    """Ask first: what closing does, with the one button (`SummaryClose`) that does it."""


@dataclass(frozen=True, kw_only=True)
class ReminderLater(_Employee, ButtonAction, prefix="reminder.later"):
    """ "Remind me tomorrow" on a follow-up nudge, for the party who pressed it."""


# ---------------------------------------------------------------- the year's close (#12)


@dataclass(frozen=True, kw_only=True)
class ActionShow(_Round, ButtonAction, prefix="action.show"):
    """The team's action plan (Skema 5)."""


@dataclass(frozen=True, kw_only=True)
class ActionAdd(_Round, ButtonAction, prefix="action.add"):
    """Open the form that adds an agreement to the team's action plan."""


@dataclass(frozen=True, kw_only=True)
class ActionMove(_Round, ButtonAction, prefix="action.move"):
    """An owner (or the leader) moves an agreement on; the flow checks it is the round's."""

    action_id: int
    move: ActionItemAction


@dataclass(frozen=True, kw_only=True)
class ActionSnooze(_Round, ButtonAction, prefix="action.snooze"):
    """ "Remind me tomorrow" on an owner's reminder of an agreement, for that owner."""

    action_id: int


@dataclass(frozen=True, kw_only=True)
class ActionEdit(_Round, ButtonAction, prefix="action.edit"):
    """Open the form that changes an agreement (the leader's)."""

    action_id: int


@dataclass(frozen=True, kw_only=True)
class ActionAddForm(_Round, FormState, prefix="action.add"):
    pass


@dataclass(frozen=True, kw_only=True)
class ActionEditForm(_Round, FormState, prefix="action.edit"):
    action_id: int


@dataclass(frozen=True, kw_only=True)
class EvaluationOpen(_Round, ButtonAction, prefix="evaluation.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class EvaluationResults(_Round, ButtonAction, prefix="evaluation.results"):
    pass


@dataclass(frozen=True, kw_only=True)
class EvaluationForm(_Round, FormState, prefix="evaluation.answer"):
    pass


@dataclass(frozen=True, kw_only=True)
class CommitteeForm(FormState, prefix="committee.save"):
    """An admin names the committee (no fields: the workspace is the actor's)."""


class AdaptRef(TypedDict):
    """The fields of `_AdaptRef`, for building the buttons and forms about one form."""

    round_id: int
    key: str


@dataclass(frozen=True, kw_only=True)
class _AdaptRef:
    """The round's form being adapted: the team's (`team`) or a sub-group's (`g1`, …)."""

    round_id: int
    key: str = "team"


@dataclass(frozen=True, kw_only=True)
class AdaptOpen(_AdaptRef, ButtonAction, prefix="adapt.open"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptAdd(_AdaptRef, ButtonAction, prefix="adapt.add"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptDrop(_AdaptRef, ButtonAction, prefix="adapt.drop"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptMove(_AdaptRef, ButtonAction, prefix="adapt.move"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptParts(_AdaptRef, ButtonAction, prefix="adapt.parts"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptTexts(_AdaptRef, ButtonAction, prefix="adapt.texts"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptPreview(_AdaptRef, ButtonAction, prefix="adapt.preview"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptGroups(_AdaptRef, ButtonAction, prefix="adapt.groups"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptSave(_AdaptRef, ButtonAction, prefix="adapt.save"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptRelease(_AdaptRef, ButtonAction, prefix="adapt.release"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptReleaseOn(_AdaptRef, ButtonAction, prefix="adapt.release_on"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptAddForm(_AdaptRef, FormState, prefix="adapt.add"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptDropForm(_AdaptRef, FormState, prefix="adapt.drop"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptMoveForm(_AdaptRef, FormState, prefix="adapt.move"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptPartsForm(_AdaptRef, FormState, prefix="adapt.parts"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptTextsForm(_AdaptRef, FormState, prefix="adapt.texts"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptGroupsForm(_AdaptRef, FormState, prefix="adapt.groups"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptSaveForm(_AdaptRef, FormState, prefix="adapt.save"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptReleaseOnForm(_AdaptRef, FormState, prefix="adapt.release_on"):
    pass


@dataclass(frozen=True, kw_only=True)
class AdaptApprove(ButtonAction, prefix="adapt.approve"):
    """An admin approves a template offered to the organisation (its slug)."""

    name: str


AdaptForm = (
    AdaptAddForm
    | AdaptDropForm
    | AdaptMoveForm
    | AdaptPartsForm
    | AdaptTextsForm
    | AdaptGroupsForm
    | AdaptSaveForm
    | AdaptReleaseOnForm
)
