"""The round hears of the clock: past its prep deadline, it is in the conversations phase.

Why a module of its own: two callers move a round on by the calendar, and both must do it the
same way, through the round lifecycle's table (`RoundAction.PREP_DEADLINE_PASSED`) and with
the transition's effects. A flow that loads a round catches it up on the way (so a person never
sees a stale phase), and the scheduler's periodic sweep moves every round whose deadline has
passed, so overviews and the committee's figures are right even for a round nobody opened.

Safe with several bot processes on one database: the repository moves the phase in one
conditional UPDATE (only from the phase the transition was decided on), so of two processes
moving the same round one changes it and the other learns it already moved and does nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from conversations.context import zone
from conversations.domain import Phase, Round
from conversations.lifecycles.base import Effect, Transition
from conversations.lifecycles.round import RoundAction, decide
from conversations.ports import Store, Tx

AUDIT_ACTION = "round.prep_deadline_passed"


def deadline_passed(round_: Round, *, today: date) -> bool:
    """The deadline is the last day to prepare: it has passed once that day is over."""
    return round_.phase == Phase.PREP and today > round_.prep_deadline


async def pass_prep_deadline(*, tx: Tx, round_: Round, today: date) -> tuple[Round, bool]:
    """The round as it is once the clock has been heard, and whether this call moved it.

    `today` is the date where the deadline is judged (the reader's, or the round starter's).
    A round another process moved a moment ago is read again and left alone.
    """
    if not deadline_passed(round_, today=today):
        return round_, False
    passed = decide(round_.phase, RoundAction.PREP_DEADLINE_PASSED)
    assert isinstance(passed, Transition), "the table lets the deadline pass in PREP"
    try:
        moved = await tx.rounds.apply(round_id=round_.id, transition=passed)
    except ValueError:  # moved on by someone else since it was read
        return await tx.rounds.get(round_id=round_.id) or round_, False
    if passed.causes(Effect.CANCEL_PREP_NUDGES):
        # Here, not at the top: the clock runs in every idle server, the reminders module
        # (buttons, policy, texts) only matters once a round is moved (issue 17).
        from conversations.reminders import PREP_NUDGE

        await tx.outbox.cancel_for_round(round_id=round_.id, kinds=(PREP_NUDGE,))
    return moved, True


async def sweep_prep_deadlines(*, store: Store, now: datetime) -> list[int]:
    """Move every round whose prep deadline has passed into the conversations phase; the ids
    of the rounds this call moved. Idempotent: a second sweep (here or in another process)
    finds nothing to do.

    The deadline is judged in the time zone of the person who started the round (the dates
    were theirs). Each round is moved in its own short transaction, with an audit row whose
    actor is nobody (the clock).
    """
    # Any round whose deadline has passed somewhere on earth; each is judged below.
    async with store.transaction() as tx:
        candidates = await tx.rounds.past_prep_deadline(day=(now + timedelta(days=1)).date())
    moved: list[int] = []
    for candidate in candidates:
        async with store.transaction() as tx:
            round_ = await tx.rounds.get(round_id=candidate.id)
            if round_ is None:
                continue
            starter = await tx.people.get(person_id=round_.started_by)
            today = now.astimezone(zone(starter.timezone if starter else None)).date()
            _, changed = await pass_prep_deadline(tx=tx, round_=round_, today=today)
            if changed:
                await tx.audit.record(
                    at=now, actor_id=None, action=AUDIT_ACTION, subject=f"round:{round_.id}"
                )
                moved.append(round_.id)
    return moved
