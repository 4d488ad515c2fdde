"""Booking, the development plan with both signatures, and its history (SQL store on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.inproc.harness import Seen, message_text
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round

CPH = ZoneInfo("Europe/Copenhagen")


async def member_card(world: World, name: str = "Anna") -> Seen:
    status = await world.h.command("UL", "status")
    return await world.h.press("UL", status.button("status.member", label=name))


async def book(world: World, when: str = "2026-12-08T10:00") -> Seen:
    card = await member_card(world)
    form = (await world.h.press("UL", card.button("booking.open"))).form
    return await world.h.submit("UL", form, {"starts_at": when, "minutes": "60"})


async def reminders(world: World) -> dict[str, datetime]:
    round_id = await _round_id(world)
    async with world.store.transaction() as tx:
        found = await tx.outbox.for_round(round_id=round_id)
    return {r.key: r.due_at for r in found}


async def _round_id(world: World) -> int:
    return (await world.rounds())[0].id


async def test_booking_sends_invites_and_schedules_the_day_before(world: World) -> None:
    await start_round(world.h)
    seen = await book(world)
    assert "booket" in seen.text and seen.messages[0].attachments[0].filename.endswith(".ics")
    ics = seen.messages[0].attachments[0].content.decode()
    assert "BEGIN:VEVENT" in ics and "DTSTART:20261208T090000Z" in ics
    [dm] = [m for m in world.h.dms("U1") if m.attachments]
    assert "8.12.2026 kl. 10.00" in dm.text
    due = await reminders(world)
    monday_morning = datetime(2026, 12, 7, 8, 0, tzinfo=CPH).astimezone(UTC)
    assert [v for k, v in due.items() if k.startswith("booking:")] == [
        monday_morning,
        monday_morning,
    ]


async def test_booking_refuses_bad_dates_and_non_leaders(world: World) -> None:
    await start_round(world.h)
    assert "måned" in (await book(world, "32.13")).errors["starts_at"]
    assert "passeret" in (await book(world, "2026-11-01T10:00")).errors["starts_at"]
    card = await member_card(world)
    button = card.button("booking.open")
    assert "adgang" in (await world.h.press("U1", button)).text
    assert "adgang" in (await world.h.press("UX", button)).text


async def held(world: World) -> Seen:
    await book(world)
    card = await member_card(world)
    asked = await world.h.press("UL", card.button("booking.held"))
    return await world.h.press("UL", asked.button("booking.held_confirm"))


async def draft_and_propose(world: World, *, by: str, goal: str) -> None:
    plan = await world.h.press(by, Button("", "plan.open", await _value(world)))
    add = (await world.h.press(by, plan.button("plan.item"))).form
    seen = await world.h.submit(
        by,
        add,
        {
            "laeringsmaal": goal,
            "tiltag": "Kursus i sprogarbejde",
            "stoette": "Kollega",
            "tidsplan": "Forår 2027",
            "waits": "no",
        },
    )
    assert not seen.errors, seen.errors
    follow = (await world.h.press(by, seen.button("plan.followup"))).form
    seen = await world.h.submit(by, follow, {"follow_up_on": "2027-03-06"})
    proposed = await world.h.press(by, seen.button("plan.propose"))
    assert "sendt til godkendelse" in proposed.text


async def _value(world: World) -> str:
    anna = await world.person("U1")
    return f"{await _round_id(world)}:{anna.id}"


async def test_plan_drafted_by_leader_approved_by_employee_changed_and_reapproved(
    world: World,
) -> None:
    await start_round(world.h)
    early = await world.h.press("UL", Button("", "plan.open", await _value(world)))
    add = await world.h.press("UL", early.button("plan.item"))
    assert "efter samtalen" in add.text  # no plan before the conversation
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    notice = world.h.dms("U1")[-1]
    assert "til din godkendelse" in notice.text
    view = await world.h.press("U1", notice.buttons[0])
    agreed = await world.h.press("U1", view.button("plan.approve"))
    assert "aftalt" in agreed.text
    assert "Godkendt af Lene Leder" in agreed.text and "Godkendt af Anna Andersen" in agreed.text
    assert "aftalt" in world.h.dms("UL")[-1].text
    # Follow-up reminders for both, on the follow-up date's working morning (Sat 6 Mar -> Mon 8 Mar).
    due = await reminders(world)
    follow = [v for k, v in due.items() if k.startswith("followup:")]
    assert follow == [datetime(2027, 3, 8, 8, 0, tzinfo=CPH).astimezone(UTC)] * 2

    # The employee changes the agreed plan: a new version, both signatures again.
    plan = await world.h.command("U1", "plan")
    revised = await world.h.press("U1", plan.button("plan.revise"))
    edit = (await world.h.press("U1", revised.button("plan.item", label="Ret punkt 1"))).form
    seen = await world.h.submit(
        "U1",
        edit,
        {**{i.id: i.initial for i in edit.inputs}, "laeringsmaal": "Styrke sprog og leg"},
    )  # type: ignore[union-attr]
    await world.h.press("U1", seen.button("plan.propose"))
    leader_view = await world.h.press("UL", world.h.dms("UL")[-1].buttons[0])
    assert "version 2" in leader_view.text and "Styrke sprog og leg" in leader_view.text
    done = await world.h.press("UL", leader_view.button("plan.approve"))
    assert "version 2 (aftalt)" in done.text
    history = await world.h.press("U1", done.button("plan.history"))
    assert (
        "version 1 (tidligere version)" in history.text and "Styrke sprogarbejdet" in history.text
    )
    download = await world.h.press("U1", done.button("plan.download"))
    document = download.messages[0].attachments[0].content.decode()
    assert "Styrke sprog og leg" in document and "Styrke sprogarbejdet" in document
    assert document.count("Godkendt af") == 4


async def test_a_change_request_returns_the_plan_to_draft_with_the_comment(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="U1", goal="Lære at lede møder")
    view = await world.h.press("UL", world.h.dms("UL")[-1].buttons[0])
    form = (await world.h.press("UL", view.button("plan.change"))).form
    await world.h.submit("UL", form, {"comment": "Tilføj en tidsplan"})
    assert "Tilføj en tidsplan" in world.h.dms("U1")[-1].text
    draft = await world.h.command("U1", "plan")  # the new draft shows what was asked for
    assert "Tilføj en tidsplan" in draft.text
    again = await world.h.press("UL", view.button("plan.approve"))  # the old button is stale now
    assert "ændret siden" in again.text


async def test_only_the_employee_and_their_leader_see_a_plan(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Hemmeligt mål")
    forged = Button("", "plan.open", await _value(world))
    for intruder in ("U2", "UX", "U9"):
        seen = await world.h.press(intruder, forged)
        assert "Hemmeligt mål" not in seen.text and "adgang" in seen.text
        assert "Hemmeligt mål" not in world.h.seen_by(intruder)
    own = await world.h.command("U2", "plan")  # Bo sees his own (empty) plan, not Anna's
    assert "Bo Berg" in own.text and "Hemmeligt mål" not in own.text


async def test_conversation_held_locks_the_prep(world: World) -> None:
    await start_round(world.h)
    await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    await held(world)
    seen = await world.h.say("U1", "for sent")
    assert "Samtalen er holdt" in seen.text
    assert "for sent" not in message_text(world.h.port.sent[-1][1])
