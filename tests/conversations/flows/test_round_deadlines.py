"""The scheduler moves a round past its prep deadline, whether or not anyone opens it.

Before, a round entered the conversations phase only when some flow loaded it; the stored phase
(what the committee's figures, `musbot` commands and the admin's lists read) stayed "prep".
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.outbox import advance_rounds
from conversations.domain import Phase, ReminderState
from conversations.reminders import PREP_NUDGE
from conversations.round_clock import AUDIT_ACTION
from tests.conversations.flows.conftest import World, start_round


async def _stored(world: World) -> tuple[Phase, list[tuple[str, str, int | None]]]:
    async with world.store.transaction() as tx:
        [round_] = await tx.rounds.in_workspace(workspace_id=1)
        audit = [(e.action, e.subject, e.actor_id) for e in await tx.audit.entries()]
        return round_.phase, audit


async def test_the_sweep_moves_a_round_past_its_deadline_once_and_cancels_late_nudges(
    world: World,
) -> None:
    await start_round(world.h)  # prep deadline Friday 4 December 2026, Lene in Copenhagen
    [round_] = await world.rounds()
    anna = await world.person("U1")
    async with world.store.transaction() as tx:  # Anna's "remind me tomorrow" on the last day
        await tx.outbox.schedule(
            key="late-nudge",
            kind=PREP_NUDGE,
            round_id=round_.id,
            recipient_id=anna.id,
            subject_id=anna.id,
            due_at=datetime(2026, 12, 7, 7, 0, tzinfo=UTC),
        )

    # 23:30 in Copenhagen on the deadline day: the day is not over, nothing moves.
    world.clock.set(datetime(2026, 12, 4, 22, 30, tzinfo=UTC))
    assert await advance_rounds(store=world.store, clock=world.clock) == []
    assert (await _stored(world))[0] == Phase.PREP

    # 00:30 the next day: moved, by nobody (the clock), with the lifecycle's effect.
    world.clock.set(datetime(2026, 12, 4, 23, 30, tzinfo=UTC))
    assert await advance_rounds(store=world.store, clock=world.clock) == [round_.id]
    phase, audit = await _stored(world)
    assert phase == Phase.CONVERSATIONS
    assert audit.count((AUDIT_ACTION, f"round:{round_.id}", None)) == 1
    async with world.store.transaction() as tx:
        late = [r for r in await tx.outbox.for_round(round_id=round_.id) if r.key == "late-nudge"]
    assert [r.state for r in late] == [ReminderState.CANCELLED]

    # Idempotent: the next run (here, or in another process) finds nothing to do.
    assert await advance_rounds(store=world.store, clock=world.clock) == []
    assert (await _stored(world))[1].count((AUDIT_ACTION, f"round:{round_.id}", None)) == 1


async def test_a_round_in_a_later_phase_is_left_alone(world: World) -> None:
    await start_round(world.h)
    overview = await world.h.command("UL", "opsamling")
    await world.h.press("UL", overview.button("summary.announce"))  # summary before the deadline
    world.clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    assert await advance_rounds(store=world.store, clock=world.clock) == []
    assert (await _stored(world))[0] == Phase.SUMMARY
