"""Issue #12: closing the round (command, button, confirmation) and the next year's round."""

from __future__ import annotations

from adapters.inproc.harness import message_text
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import draft_and_propose, held

NEXT_YEAR = {
    "prep_deadline": "2027-10-29",
    "conversations_from": "2027-11-01",
    "conversations_to": "2027-11-26",
    "kickoff_at": "",
    "summary_at": "",
}


async def test_close_asks_first_says_what_it_does_and_frees_the_channel(world: World) -> None:
    await start_round(world.h)
    asked = await world.h.command("UL", "afslut")
    assert "Afslut MUS-runden" in asked.text and "låses forberedelsen" in asked.text
    assert "opfølgning fortsætter" in asked.text
    assert (await world.rounds())[0].phase.value != "closed"  # asking closes nothing
    closed = await world.h.press("UL", asked.button("summary.close"))
    assert "er afsluttet" in closed.text
    assert (await world.rounds())[0].phase.value == "closed"
    again = await world.h.press("UL", asked.button("summary.close"))
    assert "allerede afsluttet" in again.text
    world.clock.advance(days=330)
    await start_round(world.h, **NEXT_YEAR)  # no "Teamet har allerede en aktiv MUS-runde"
    assert len(await world.rounds()) == 2


async def test_only_the_leader_or_an_admin_closes(world: World) -> None:
    await start_round(world.h)
    asked = await world.h.command("UL", "afslut")
    refused = await world.h.press("U1", asked.button("summary.close"))
    assert "adgang" in refused.text
    assert "leder for en aktiv MUS-runde" in (await world.h.command("U1", "afslut")).text
    assert (await world.rounds())[0].phase.value != "closed"
    # UX leads another team but is a workspace admin: an admin may close any round.
    listed = await world.h.command("UX", "afslut")
    assert "Afslut MUS-runden" in listed.text
    done = await world.h.press("UX", listed.button("summary.close"))
    assert "er afsluttet" in done.text


async def test_english_command_and_the_overview_button(world: World) -> None:
    await start_round(world.h)
    status = await world.h.command("UL", "status")
    asked = await world.h.press("UL", status.button("summary.close_ask"))
    assert "Afslut MUS-runden" in asked.text
    overview = await world.h.command("UL", "opsamling")
    assert overview.button("summary.close_ask") is not None
    english = await world.h.command("U3", "close")  # Carl reads English, but is no leader
    assert "leader" in english.text.lower()


async def test_closed_round_keeps_follow_up_and_locks_prep(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    asked = await world.h.command("UL", "afslut")
    await world.h.press("UL", asked.button("summary.close"))
    [round_] = await world.rounds()
    async with world.store.transaction() as tx:
        kinds = {(r.kind, r.state.value) for r in await tx.outbox.for_round(round_id=round_.id)}
    assert ("plan.follow_up", "pending") in kinds
    assert not {k for k in kinds if k[0] != "plan.follow_up" and k[1] == "pending"}
    prep = await world.h.command("U2", "forbered")
    assert "ingen MUS-forberedelse i gang" in prep.text  # a closed round offers no prep


async def test_a_round_nobody_closed_is_flagged_after_13_months(world: World) -> None:
    from tests.conversations.reminders.test_follow_up_lasts import at, sweep

    await world.h.command("UX", "hjælp")  # an admin the bot knows (has met)
    await start_round(world.h)  # started in November 2026 (the harness clock)
    world.clock.set(at("2027-12-01"))  # a year on: not yet
    await sweep(world)
    assert not [m for m in world.h.dms("UL") if "ikke afsluttet" in m.text]
    world.clock.set(at("2028-01-04"))  # 13 months on
    before = {u: len(world.h.dms(u)) for u in ("UL", "UX", "U1")}
    await sweep(world)
    flagged = world.h.dms("UL")[-1]
    assert "stadig ikke afsluttet" in flagged.text
    assert "stadig ikke afsluttet" in world.h.dms("UX")[-1].text  # an admin too
    assert len(world.h.dms("U1")) == before["U1"]  # not the employees
    done = await world.h.press("UL", flagged.buttons[0])
    assert "Afslut MUS-runden" in done.text


async def test_a_closed_round_is_not_flagged(world: World) -> None:
    from tests.conversations.reminders.test_follow_up_lasts import sweep

    await start_round(world.h)
    asked = await world.h.command("UL", "afslut")
    await world.h.press("UL", asked.button("summary.close"))
    world.clock.advance(days=400)
    before = len(world.h.dms("UL"))
    await sweep(world)
    assert not [m for m in world.h.dms("UL")[before:] if "ikke afsluttet" in m.text]


async def test_items_waiting_for_the_summary_meeting_are_brought_back(world: World) -> None:
    from tests.conversations.reminders.test_follow_up_lasts import at, sweep
    from tests.conversations.reminders.test_plan_and_booking import _value

    await start_round(world.h)
    await held(world)
    plan = await world.h.press("UL", Button("", "plan.open", await _value(world)))
    add = (await world.h.press("UL", plan.button("plan.item"))).form
    fields = {"laeringsmaal": "Fælles pædagogik", "tiltag": "-", "stoette": "-", "tidsplan": "-"}
    seen = await world.h.submit("UL", add, {**fields, "waits": "yes"})
    form = (await world.h.press("UL", seen.button("plan.followup"))).form
    seen = await world.h.submit("UL", form, {"follow_up_on": "2027-03-02"})
    await world.h.press("UL", seen.button("plan.propose"))
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    overview = await world.h.command("UL", "opsamling")
    await world.h.press("UL", overview.button("summary.announce"))
    world.clock.set(at("2027-01-13"))  # the morning after the meeting (12.1.2027 13.00)
    await sweep(world)
    reminder = world.h.dms("UL")[-1]
    text = message_text(reminder)
    assert "afventede opsamlingsmødet" in text and "Anna Andersen: 1" in text
    opened = await world.h.press("UL", reminder.buttons[0])
    assert "Fælles pædagogik" in opened.text
    assert not [m for m in world.h.dms("U2") if "afventede" in m.text]


async def test_next_round_both_sides_see_last_years_plan(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    asked = await world.h.command("UL", "afslut")
    await world.h.press("UL", asked.button("summary.close"))
    world.clock.advance(days=330)
    await start_round(world.h, **NEXT_YEAR)
    opened = await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    assert "Din udviklingsplan fra sidste MUS" in opened.text
    status = await world.h.command("UL", "status")
    assert "fra sidste MUS: 1 ikke startet" in status.text
    assert status.text.count("fra sidste MUS") == 1  # Bo and Carl had no plan
    card = await world.h.press("UL", status.button("status.member", label="Anna"))
    assert "Udviklingsplan fra sidste MUS" in card.text and "Styrke sprogarbejdet" in card.text
    bo = await world.h.press("UL", status.button("status.member", label="Bo"))
    assert "fra sidste MUS" not in bo.text
    # Another leader's view of Anna's old plan: refused and audited.
    refused = await world.h.press("UX", status.button("status.member", label="Anna"))
    assert "adgang" in refused.text
