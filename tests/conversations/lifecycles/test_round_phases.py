"""A round through every phase, as the people in it see it: prep -> conversations -> summary
-> follow-up -> closed, and what closing does (prep locked, prep and booking reminders
stopped, the plans' follow-ups kept)."""

from __future__ import annotations

from datetime import UTC, datetime

from conversations.domain import Phase, ReminderState
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import book, draft_and_propose


async def _ids(world: World) -> tuple[int, int, int]:
    """The round, Lene (its leader) and Anna (an employee), as stored."""
    async with world.store.transaction() as tx:
        lene = await tx.people.get_by_user_id(workspace_id=1, user_id="UL")
        anna = await tx.people.get_by_user_id(workspace_id=1, user_id="U1")
        assert lene is not None and anna is not None
        [round_] = await tx.rounds.led_by(person_id=lene.id)
    return round_.id, lene.id, anna.id


async def _phase(world: World) -> Phase:
    round_id, _, _ = await _ids(world)
    async with world.store.transaction() as tx:
        found = await tx.rounds.get(round_id=round_id)
    assert found is not None
    return found.phase


async def test_the_round_moves_through_its_phases(world: World) -> None:
    await start_round(world.h)
    round_id, _, anna = await _ids(world)
    value = str(round_id)
    assert await _phase(world) == Phase.PREP

    # The first conversation held moves the round on (before its prep deadline, too).
    await book(world)
    card = await world.h.press("UL", Button("", "status.member", f"{round_id}:{anna}"))
    asked = await world.h.press("UL", card.button("booking.held"))
    await world.h.press("UL", asked.button("booking.held_confirm"))
    assert await _phase(world) == Phase.CONVERSATIONS
    # A held conversation is neither booked again nor held twice (the booking lifecycle).
    rebook = await world.h.press("UL", Button("", "booking.open", f"{round_id}:{anna}"))
    assert "allerede holdt" in rebook.text and not rebook.forms
    twice = await world.h.press("UL", Button("", "booking.held", f"{round_id}:{anna}"))
    assert "allerede markeret som holdt" in twice.text

    # Follow-up comes after the summary meeting, not before.
    early = await world.h.press("UL", Button("", "summary.follow_up", value))
    assert "efter opsamlingsmødet" in early.text
    assert await _phase(world) == Phase.CONVERSATIONS

    await world.h.press("UL", Button("", "summary.announce", value))
    assert await _phase(world) == Phase.SUMMARY
    again = await world.h.press("UL", Button("", "summary.announce", value))
    assert "allerede" in again.text

    await world.h.press("UL", Button("", "summary.follow_up", value))
    assert await _phase(world) == Phase.FOLLOW_UP

    # An employee may not close the round; the attempt is audited.
    refused = await world.h.press("U1", Button("", "summary.close", value))
    assert "adgang" in refused.text
    assert await _phase(world) == Phase.FOLLOW_UP
    closed = await world.h.press("UL", Button("", "summary.close", value))
    assert "afsluttet" in closed.text
    assert await _phase(world) == Phase.CLOSED
    twice = await world.h.press("UL", Button("", "summary.close", value))
    assert "allerede afsluttet" in twice.text
    async with world.store.transaction() as tx:
        actions = [e.action for e in await tx.audit.entries(subject_prefix=f"round:{round_id}")]
    assert "round.close" in actions and "round.close_denied" in actions


async def test_the_prep_deadline_passing_moves_the_round_to_conversations(world: World) -> None:
    await start_round(world.h)  # prep deadline 4 December 2026
    world.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    await world.h.command("UL", "status")
    assert await _phase(world) == Phase.CONVERSATIONS


async def test_closing_locks_prep_stops_prep_and_booking_reminders_and_keeps_follow_ups(
    world: World,
) -> None:
    await start_round(world.h)
    round_id, _, anna = await _ids(world)
    await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    await world.h.say("U1", "Mit første svar")
    bo_question = await world.h.press("U2", world.h.dms("U2")[0].buttons[0])
    # Anna's plan is agreed, so its follow-up is scheduled; Bo's conversation is booked.
    await book(world)
    card = await world.h.press("UL", Button("", "status.member", f"{round_id}:{anna}"))
    asked = await world.h.press("UL", card.button("booking.held"))
    await world.h.press("UL", asked.button("booking.held_confirm"))
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    plan = await world.h.press("U1", Button("", "plan.open", f"{round_id}:{anna}"))
    await world.h.press("U1", plan.button("plan.approve"))
    async with world.store.transaction() as tx:
        bo = await tx.people.get_by_user_id(workspace_id=1, user_id="U2")
        assert bo is not None
    bo_card = await world.h.press("UL", Button("", "status.member", f"{round_id}:{bo.id}"))
    form = (await world.h.press("UL", bo_card.button("booking.open"))).form
    await world.h.submit("UL", form, {"starts_at": "2026-12-09T10:00", "minutes": "60"})

    async with world.store.transaction() as tx:
        before = {r.key: r for r in await tx.outbox.for_round(round_id=round_id)}
    kinds = {r.kind for r in before.values() if r.state == ReminderState.PENDING}
    assert {"prep.nudge", "booking.before", "plan.follow_up"} <= kinds

    await world.h.press("UL", Button("", "summary.close", str(round_id)))

    async with world.store.transaction() as tx:
        after = {r.key: r for r in await tx.outbox.for_round(round_id=round_id)}
    for key, reminder in after.items():
        if before[key].state != ReminderState.PENDING:
            continue
        expected = (
            ReminderState.PENDING if reminder.kind == "plan.follow_up" else ReminderState.CANCELLED
        )
        assert reminder.state == expected, key
    # Bo's prep is locked with the round: the question he had open no longer takes an answer,
    # and a typed message is not stored as one.
    refused = await world.h.press("U2", bo_question.button("prep.answer"))
    assert "afsluttet" in refused.text and not refused.forms
    typed = await world.h.say("U2", "For sent")
    assert "ingen MUS-forberedelse i gang" in typed.text
    async with world.store.transaction() as tx:
        assert await tx.prep.answers(round_id=round_id, person_id=bo.id) == {}
    # Plans and notes are final with the round; the agreed plan's follow-up goes on.
    value = f"{round_id}:{anna}"
    assert "afsluttet" in (await world.h.press("UL", Button("", "plan.revise", value))).text
    notes = await world.h.press("UL", Button("", "notes.open", value))
    saved = await world.h.submit("UL", notes.form, {"note": "Efter lukning"})
    assert "afsluttet" in saved.text
    async with world.store.transaction() as tx:
        [agreed] = await tx.plans.versions(round_id=round_id, employee_id=anna)
    item = agreed.items[0].id
    status = await world.h.press("U1", Button("", "plan.status", f"{value}:{item}:done"))
    assert "gennemført" in status.text.lower()
