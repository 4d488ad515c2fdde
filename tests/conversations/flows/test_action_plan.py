"""Issue #12: the team's action plan (Skema 5) after the summary meeting."""

from __future__ import annotations

from adapters.inproc.harness import message_text
from conversations.messages import Button, Message
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_follow_up_lasts import at, sweep


def button(message: Message, action: str, label: str = "") -> Button:
    return next(b for b in message.buttons if b.action == action and label in b.label)


async def summary_held(world: World) -> None:
    await start_round(world.h)
    overview = await world.h.command("UL", "opsamling")
    called = await world.h.press("UL", overview.button("summary.announce"))
    await world.h.press("UL", called.button("summary.follow_up"))


async def add(world: World, *, what: str, owners: tuple[str, ...], day: str = "2027-02-15"):  # type: ignore[no-untyped-def]
    plan = await world.h.command("UL", "handleplan")
    form = (await world.h.press("UL", plan.button("action.add"))).form
    return await world.h.submit(
        "UL", form, {"what": what, "due_on": day, "owners": owners, "follow_up": "Personalemøde"}
    )


async def test_not_before_the_summary_meeting(world: World) -> None:
    await start_round(world.h)
    seen = await world.h.command("UL", "handleplan")
    assert "efter opsamlingsmødet" in seen.text


async def test_agreement_is_posted_reminded_moved_on_and_seen_by_the_team(world: World) -> None:
    await summary_held(world)
    world.clock.set(at("2027-01-13"))
    seen = await add(world, what="Fælles sprogdag <!channel>", owners=("U1", "U2"))
    assert not seen.errors, seen.errors
    post = world.h.channel("C1")[-1]
    assert "Ny aftale i handleplanen" in message_text(post)
    assert "Fælles sprogdag <!channel>" in message_text(post)  # escaped by each adapter
    assert "Anna Andersen, Bo Berg" in message_text(post)
    world.clock.set(at("2027-02-15"))
    await sweep(world)
    anna = world.h.dms("U1")[-1]
    assert "du er ansvarlig for" in message_text(anna) and "Fælles sprogdag" in message_text(anna)
    assert "du er ansvarlig for" in message_text(world.h.dms("U2")[-1])
    assert not [m for m in world.h.dms("U3") if "ansvarlig" in m.text]  # not an owner
    started = await world.h.press("U1", button(anna, "action.move", "I gang"))
    assert "i gang" in started.text
    # Carl is in the team but no owner: he sees the plan and cannot move it.
    carl = await world.h.command("U3", "handleplan")
    assert "Fælles sprogdag" in carl.text and "under way" in carl.text  # Carl reads English
    refused = await world.h.press("U3", button(anna, "action.move", "Gennemført"))
    assert "do not have access" in refused.text
    outsider = await world.h.press("U9", button(anna, "action.show"))
    assert "adgang" in outsider.text and "Fælles" not in outsider.text
    done = await world.h.press("U2", button(anna, "action.move", "Gennemført"))
    assert "gennemført" in done.text


async def test_owners_must_be_of_the_round_and_fields_are_checked(world: World) -> None:
    await summary_held(world)
    world.clock.set(at("2027-01-13"))
    seen = await add(world, what="", owners=("U9",), day="2026-01-01")
    assert set(seen.errors) == {"what", "owners", "due_on"}
    assert not [m for m in world.h.channel("C1") if "handleplan" in message_text(m)]


async def test_only_the_leader_writes(world: World) -> None:
    await summary_held(world)
    world.clock.set(at("2027-01-13"))
    plan = await world.h.command("UL", "handleplan")
    refused = await world.h.press("U1", plan.button("action.add"))
    assert "adgang" in refused.text
