"""Proposing a plan signs it for the proposer: only the content they were shown may be signed.

A plan draft is edited in place by either party. The "send for approval" button used to carry
only (round, employee), so pressing it on an older view of the draft proposed - and signed, in
the presser's name - whatever the other party had changed since. The other party could then
approve, and the plan was "agreed" with a leader's signature on text the leader never saw.
"""

from __future__ import annotations

from adapters.inproc.harness import Seen
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import _value, held

ITEM = {
    "laeringsmaal": "Styrke sprogarbejdet",
    "tiltag": "Kursus i sprogarbejde",
    "stoette": "Kollega",
    "tidsplan": "Forår 2027",
    "waits": "no",
}


async def _leader_drafts(world: World) -> Seen:
    """The leader drafts one item and a follow-up date; returns the view with 'propose'."""
    plan = await world.h.press("UL", Button("", "plan.open", await _value(world)))
    add = (await world.h.press("UL", plan.button("plan.item"))).form
    seen = await world.h.submit("UL", add, dict(ITEM))
    follow = (await world.h.press("UL", seen.button("plan.followup"))).form
    return await world.h.submit("UL", follow, {"follow_up_on": "2027-03-06"})


async def test_an_old_propose_button_does_not_sign_a_draft_changed_since(world: World) -> None:
    await start_round(world.h)
    await held(world)
    leader_view = await _leader_drafts(world)
    assert "Styrke sprogarbejdet" in leader_view.text

    # Meanwhile the employee rewrites the item in the same draft.
    mine = await world.h.command("U1", "plan")
    edit = (await world.h.press("U1", mine.button("plan.item", label="Ret punkt 1"))).form
    await world.h.submit("U1", edit, {**ITEM, "laeringsmaal": "Ingen sprogkursus"})

    # The leader presses "send for approval" on the view they saw before the change.
    pressed = await world.h.press("UL", leader_view.button("plan.propose"))
    assert "sendt til godkendelse" not in pressed.text
    assert "ændret siden" in pressed.text
    round_id, anna_id = (int(p) for p in (await _value(world)).split(":"))
    async with world.store.transaction() as tx:
        latest = await tx.plans.latest(round_id=round_id, employee_id=anna_id)
    assert latest is not None and latest.state.value == "draft" and not latest.approvals


async def test_a_fresh_propose_button_still_works(world: World) -> None:
    await start_round(world.h)
    await held(world)
    leader_view = await _leader_drafts(world)
    pressed = await world.h.press("UL", leader_view.button("plan.propose"))
    assert "sendt til godkendelse" in pressed.text
    # A second press of the same (now stale) button changes nothing.
    again = await world.h.press("UL", leader_view.button("plan.propose"))
    assert "ændret siden" in again.text
