"""For each read path, the wrong person gets nothing."""

from __future__ import annotations

from conversations.actions import StatusShow
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round

SECRET = "Min hemmelige bekymring om arbejdsmiljøet"


async def prepared(world: World, *, share: bool) -> Button:
    """U1 answers with SECRET; returns the leader's view button (prep.view) for U1."""
    await start_round(world.h)
    seen = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    seen = await world.h.say("U1", SECRET)
    if share:
        seen = await world.h.press("U1", seen.button("prep.review"))
        await world.h.press("U1", seen.button("prep.share"))
        return world.h.dms("UL")[0].buttons[0]
    status = await world.h.command("UL", "status")
    card = await world.h.press("UL", status.button("status.member", label="Anna"))
    return Button("Læs", "prep.view", card.button("notes.open").value)


async def test_unshared_answers_are_invisible_to_the_leader(world: World) -> None:
    view = await prepared(world, share=False)
    status = await world.h.command("UL", "status")
    assert SECRET not in status.text and "i gang" in status.text
    seen = await world.h.press("UL", view)
    assert "ikke delt" in seen.text and SECRET not in seen.text


async def test_shared_answers_reach_only_their_leader(world: World) -> None:
    view = await prepared(world, share=True)
    assert SECRET in (await world.h.press("UL", view)).text
    for intruder in ("U2", "U3", "UX", "U9"):
        seen = await world.h.press(intruder, view)
        assert SECRET not in seen.text
        assert "adgang" in seen.text or "access" in seen.text
        assert SECRET not in world.h.seen_by(intruder)


async def test_nobody_else_can_open_or_answer_someone_elses_prep(world: World) -> None:
    await prepared(world, share=False)
    opener = world.h.dms("U1")[0].buttons[0]
    outsider = await world.h.press("U9", opener)  # not a member of the round
    assert "adgang" in outsider.text
    member = await world.h.press("U2", opener)  # a member opens *their own* prep
    assert SECRET not in member.text
    assert SECRET not in world.h.seen_by("U2")


async def test_leader_notes_stay_with_the_leader(world: World) -> None:
    await prepared(world, share=True)
    status = await world.h.command("UL", "status")
    card = await world.h.press("UL", status.button("status.member", label="Anna"))
    notes_button = card.button("notes.open")
    form = (await world.h.press("UL", notes_button)).form
    await world.h.submit("UL", form, {"note": "Tal om ny rolle"})
    again = (await world.h.press("UL", notes_button)).form
    assert again.inputs[0].initial == "Tal om ny rolle"  # type: ignore[union-attr]
    for intruder in ("U1", "UX"):
        seen = await world.h.press(intruder, notes_button)
        assert not seen.forms and "adgang" in seen.text
        forged = await world.h.submit(intruder, form, {"note": "overskrevet"})
        assert "adgang" in forged.text
    assert "Tal om ny rolle" not in world.h.seen_by("U1")
    third = (await world.h.press("UL", notes_button)).form
    assert third.inputs[0].initial == "Tal om ny rolle"  # type: ignore[union-attr]


async def test_status_is_for_leaders_only(world: World) -> None:
    await prepared(world, share=True)
    seen = await world.h.command("U1", "status")
    assert SECRET not in seen.text and "leder for en aktiv MUS-runde" in seen.text
    other = await world.h.command("UX", "status")
    assert "Anna" not in other.text
    forged = await world.h.press("UX", StatusShow(round_id=1).button("x"))
    assert "Anna" not in forged.text


async def test_edits_after_sharing_show_the_latest_text_marked_changed(world: World) -> None:
    view = await prepared(world, share=True)
    world.clock.advance(hours=2)
    seen = await world.h.command("U1", "forbered")
    pick = (await world.h.press("U1", seen.button("prep.pick"))).form
    shown = await world.h.submit("U1", pick, {"step": "opfoelgning-udviklingsplan"})
    form = (await world.h.press("U1", shown.button("prep.answer"))).form
    await world.h.submit("U1", form, {"answer": "Opdateret tekst"})
    leader = await world.h.press("UL", view)
    assert "Opdateret tekst" in leader.text and SECRET not in leader.text
    assert "ændret efter deling" in leader.text


async def test_every_read_of_shared_prep_is_audited(world: World) -> None:
    view = await prepared(world, share=True)
    await world.h.press("UL", view)
    await world.h.press("UX", view)
    async with world.store.transaction() as tx:
        actions = [e.action for e in await tx.audit.entries()]
    assert "prep.view" in actions and "prep.view_denied" in actions and "prep.share" in actions
