"""One employee's development plan in a round, as the state of its newest version.

    NONE ──edit──▶ DRAFT ──propose (signs)──▶ PROPOSED ──approve (both signed)──▶ AGREED
                     ▲                           │                                  │
                     └──── request a change ─────┘          edit (a new version) ───┘

Every proposed version is kept: a change request supersedes the proposed version (with the
request on it) and starts a new draft; editing an agreed plan starts a new draft while the
agreed version stays in force until its successor is agreed. Some cells depend on facts the
flow reads first (`PlanFacts`): whether the button is still current, whether the conversation
has taken place, who has signed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from itertools import product

from conversations.domain import PlanState, PlanVersion
from conversations.lifecycles.base import Effect, Refusal, Transition


class PlanStage(StrEnum):
    """The state of the newest version, or NONE before the first one."""

    NONE = "none"
    DRAFT = PlanState.DRAFT.value
    PROPOSED = PlanState.PROPOSED.value
    AGREED = PlanState.AGREED.value
    SUPERSEDED = PlanState.SUPERSEDED.value

    @staticmethod
    def of(latest: PlanVersion | None) -> PlanStage:
        return PlanStage.NONE if latest is None else PlanStage(latest.state.value)

    @property
    def version_state(self) -> PlanState | None:
        return None if self == PlanStage.NONE else PlanState(self.value)


class PlanAction(StrEnum):
    EDIT = "edit"  # add, change or remove an item, set the follow-up date, revise an agreed plan
    PROPOSE = "propose"
    APPROVE = "approve"
    REQUEST_CHANGE = "request_change"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFacts:
    """What a cell may depend on, read by the flow before it asks."""

    current: bool = True  # the button/form names the newest version (and, to propose, its content)
    may_draft: bool = True  # the conversation is held or its booked time has passed
    complete: bool = True  # the draft has items and a follow-up date
    actor_signed: bool = False  # the actor has already signed the newest version
    agreed_after: bool = False  # with the actor's signature, employee and a leader have signed
    awaits_actor: bool = False  # the proposed version still needs the actor's own approval


PlanTransition = Transition[PlanStage, PlanAction]

_STALE = Refusal("plan.stale")
_AGREED_EFFECTS = (
    Effect.SIGN,
    Effect.SUPERSEDE_EARLIER_AGREED,
    Effect.SCHEDULE_FOLLOW_UP,
    Effect.NOTIFY_OTHER_PARTY,
)


def decide(
    stage: PlanStage, action: PlanAction, facts: PlanFacts = PlanFacts()
) -> PlanTransition | Refusal:
    """The whole table: see tests/conversations/lifecycles/test_plan.py."""

    def go(after: PlanStage, *effects: Effect) -> PlanTransition:
        return Transition(before=stage, action=action, after=after, effects=effects)

    if action == PlanAction.EDIT:
        if stage == PlanStage.DRAFT:
            return go(PlanStage.DRAFT)
        if stage == PlanStage.PROPOSED:
            # Named by the flow: whose approval it waits for (`{other}`), or the actor's own.
            return Refusal("plan.waiting_on_you" if facts.awaits_actor else "plan.waiting")
        if stage == PlanStage.SUPERSEDED:
            return _STALE
        if not facts.may_draft:
            return Refusal("plan.not_yet")
        return go(PlanStage.DRAFT, Effect.NEW_DRAFT)  # NONE, or AGREED (a new version)
    if action == PlanAction.PROPOSE:
        if stage != PlanStage.DRAFT or not facts.current:
            return _STALE
        if not facts.complete:
            return Refusal("plan.error.incomplete")
        return go(PlanStage.PROPOSED, Effect.SIGN, Effect.NOTIFY_OTHER_PARTY)
    if stage != PlanStage.PROPOSED or not facts.current:
        return _STALE
    if action == PlanAction.REQUEST_CHANGE:
        return go(
            PlanStage.DRAFT,
            Effect.SUPERSEDE_PROPOSED,
            Effect.NEW_DRAFT,
            Effect.NOTIFY_OTHER_PARTY,
        )
    # APPROVE
    if facts.actor_signed:
        return Refusal("plan.already_approved")
    if facts.agreed_after:
        return go(PlanStage.AGREED, *_AGREED_EFFECTS)
    return go(PlanStage.PROPOSED, Effect.SIGN)


# Every combination of facts (for `lawful`, and for the table test).
ALL_FACTS = tuple(
    PlanFacts(**dict(zip([f.name for f in fields(PlanFacts)], values, strict=True)))
    for values in product((False, True), repeat=len(fields(PlanFacts)))
)


def lawful(transition: PlanTransition) -> bool:
    """Some facts make `decide` answer this transition (a hand-made one is not persisted)."""
    return any(
        decide(transition.before, transition.action, facts) == transition for facts in ALL_FACTS
    )
