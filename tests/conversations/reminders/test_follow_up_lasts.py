"""Issue #12: follow-up that lasts. Every agreed date is nudged once, to both, in working hours;
a changed date after a nudge is nudged again; a status from either party is seen by both and
stops the nudges for that date; "remind me tomorrow"; weekend dates are accepted with a note."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.outbox import Sweeper
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import (
    _value,
    draft_and_propose,
    held,
)

CPH = ZoneInfo("Europe/Copenhagen")


async def sweep(world: World) -> None:
    await Sweeper(store=world.store, ports={"test": world.h.port}, clock=world.clock).sweep()


async def states(world: World) -> dict[str, str]:
    [round_] = await world.rounds()
    async with world.store.transaction() as tx:
        found = await tx.outbox.for_round(round_id=round_.id)
    return {r.key: r.state.value for r in found if r.kind == "plan.follow_up"}


async def agreed_plan(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CPH).astimezone(UTC)


async def change_date(world: World, day: str) -> None:
    """The employee moves the follow-up date; the leader re-approves the new version."""
    plan = await world.h.command("U1", "plan")
    revised = await world.h.press("U1", plan.button("plan.revise"))
    form = (await world.h.press("U1", revised.button("plan.followup"))).form
    seen = await world.h.submit("U1", form, {"follow_up_on": day})
    await world.h.press("U1", seen.button("plan.propose"))
    leader_view = await world.h.press("UL", world.h.dms("UL")[-1].buttons[0])
    assert "aftalt" in (await world.h.press("UL", leader_view.button("plan.approve"))).text


async def test_a_date_changed_after_its_nudge_is_nudged_again(world: World) -> None:
    await agreed_plan(world)  # follow-up Sat 6.3.2027: nudged Mon 8.3 at 08.00
    world.clock.set(at("2027-03-08"))
    await sweep(world)
    assert "Opfølgning på din udviklingsplan" in world.h.dms("U1")[-1].text
    assert "Opfølgning på udviklingsplanen for Anna" in world.h.dms("UL")[-1].text
    assert set((await states(world)).values()) == {"sent"}
    await change_date(world, "2027-06-01")
    pending = {k: v for k, v in (await states(world)).items() if v == "pending"}
    assert sorted(k.rsplit(":", 1)[1] for k in pending) == ["2027-06-01", "2027-06-01"]
    before = len(world.h.dms("U1"))
    world.clock.set(at("2027-06-01"))
    await sweep(world)
    assert "Opfølgning på din udviklingsplan" in world.h.dms("U1")[-1].text
    assert len(world.h.dms("U1")) == before + 1
    await sweep(world)  # never twice
    assert len(world.h.dms("U1")) == before + 1


async def test_a_changed_date_before_the_nudge_replaces_it(world: World) -> None:
    await agreed_plan(world)
    await change_date(world, "2027-04-06")
    found = await states(world)
    assert sorted(found.values()) == ["cancelled", "cancelled", "pending", "pending"]
    assert all(k.endswith("2027-04-06") for k, v in found.items() if v == "pending")


async def test_status_is_seen_by_both_and_stops_the_other_nudge(world: World) -> None:
    await agreed_plan(world)
    world.clock.set(at("2027-03-08", "08:00"))
    await sweep(world)
    nudge = world.h.dms("U1")[-1]
    later = [b for b in nudge.buttons if b.action == "reminder.later"]
    assert later and later[0].label == "Mind mig om det i morgen"
    leader_nudge = world.h.dms("UL")[-1]
    [leader_later] = [b for b in leader_nudge.buttons if b.action == "reminder.later"]
    snoozed = await world.h.press("UL", leader_later)
    assert "9.3.2027 kl. 08.00" in snoozed.text
    assert list((await states(world)).values()).count("pending") == 1
    done = next(b for b in nudge.buttons if b.action == "plan.status" and "gennemført" in b.label)
    await world.h.press("U1", done)
    assert "Anna Andersen har sat punkt 1" in world.h.dms("UL")[-1].text  # seen by the leader
    assert "pending" not in (await states(world)).values()  # the snoozed nudge is withdrawn
    before = len(world.h.dms("UL"))
    world.clock.set(at("2027-03-09"))
    await sweep(world)
    assert len(world.h.dms("UL")) == before


async def test_someone_else_cannot_snooze_or_set_status(world: World) -> None:
    await agreed_plan(world)
    value = await _value(world)
    for intruder in ("U2", "UX"):
        seen = await world.h.press(intruder, Button("", "reminder.later", value))
        assert "adgang" in seen.text


async def test_weekend_date_is_accepted_with_a_note_of_the_nudge(world: World) -> None:
    await start_round(world.h)
    await held(world)
    plan = await world.h.press("UL", Button("", "plan.open", await _value(world)))
    add = (await world.h.press("UL", plan.button("plan.item"))).form
    fields = {"laeringsmaal": "Mål", "tiltag": "Kursus", "stoette": "-", "tidsplan": "-"}
    seen = await world.h.submit("UL", add, {**fields, "waits": "no"})
    form = (await world.h.press("UL", seen.button("plan.followup"))).form
    seen = await world.h.submit("UL", form, {"follow_up_on": "2027-03-06"})
    assert not seen.errors
    assert "ikke en arbejdsdag" in seen.text and "8.3.2027 kl. 08.00" in seen.text
    easter = await world.h.submit("UL", form, {"follow_up_on": "2027-03-29"})  # Easter Monday
    assert "ikke en arbejdsdag" in easter.text and "30.3.2027" in easter.text
