"""Reads of confidential data leave a line in the audit log, whichever path shows them.

The README promises that every read of shared prep is audited. The leader's booking reminder
(the working day before the conversation) leads to the employee's shared answers in a private
view, so opening it is such a read; and the plan's history shows every version of a plan, like `plan.open` does.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.inproc.harness import message_text
from bot.outbox import Sweeper
from conversations.messages import Button, ToPerson
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import (
    _value,
    book,
    draft_and_propose,
    held,
)

CPH = ZoneInfo("Europe/Copenhagen")
SECRET = "Jeg overvejer at søge væk"


async def _audit(world: World) -> list[tuple[str, str, int | None]]:
    async with world.store.transaction() as tx:
        return [(e.action, e.subject, e.actor_id) for e in await tx.audit.entries()]


async def test_the_leaders_booking_reminder_with_shared_prep_is_audited(world: World) -> None:
    await start_round(world.h)
    seen = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    seen = await world.h.say("U1", SECRET)
    seen = await world.h.press("U1", seen.button("prep.review"))
    await world.h.press("U1", seen.button("prep.share"))
    await book(world)  # Tuesday 8 December; the reminder goes Monday morning
    before = await _audit(world)

    world.clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=CPH))
    await Sweeper(store=world.store, ports={"test": world.h.port}, clock=world.clock).sweep()
    sent = [m for _, m in world.h.port.sent if m.to == ToPerson("UL")]
    # The reminder says only that there is material (chat history keeps no answer) ...
    assert not any(SECRET in message_text(m) for m in sent)
    read = next(b for m in sent for b in m.buttons if b.action == "material.booking")
    assert [e for e in await _audit(world) if e not in before] == []  # nothing read yet
    # ... which the leader reads in a private view: that is the read, and it is audited.
    shown = await world.h.press("UL", read)
    assert SECRET in shown.text and shown.messages[0].private
    refused = await world.h.press("U2", read)
    assert SECRET not in refused.text

    round_id, anna_id = (int(p) for p in (await _value(world)).split(":"))
    async with world.store.transaction() as tx:
        leader = await tx.people.get_by_user_id(workspace_id=1, user_id="UL")
    assert leader is not None
    new = [entry for entry in await _audit(world) if entry not in before]
    assert ("prep.view", f"round:{round_id}:person:{anna_id}", leader.id) in new


async def test_reading_the_plan_history_is_audited(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    plan = await world.h.press("U1", Button("", "plan.open", await _value(world)))
    form = (await world.h.press("U1", plan.button("plan.change"))).form
    await world.h.submit("U1", form, {"comment": "Tilføj en tidsplan"})
    before = len(await _audit(world))
    history = await world.h.press("UL", Button("", "plan.history", await _value(world)))
    assert "Styrke sprogarbejdet" in history.text
    after = await _audit(world)
    new = [action for action, _, _ in after[: len(after) - before]]  # newest first
    assert new == ["plan.history"]
