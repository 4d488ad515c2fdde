"""Local adaptation after the kickoff meeting: only this round, nobody's answers lost."""

from __future__ import annotations

from tests.conversations.flows.conftest import World, start_round


async def test_leader_adds_a_priority_question_and_drops_one(world: World) -> None:
    await start_round(world.h)
    opened = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    await world.h.say("U1", "Mit svar om sidste plan")
    overview = await world.h.command("UL", "tilpas")
    form = (await world.h.press("UL", overview.button("adapt.add"))).form
    bad = await world.h.submit("UL", form, {"theme": "nope", "text": ""})
    assert set(bad.errors) == {"theme", "text"}
    added = await world.h.submit(
        "UL",
        form,
        {"theme": "trivsel", "text": "Hvordan går det med vikardækningen?", "priority": "yes"},
    )
    assert "★ Hvordan går det med vikardækningen?" in added.text
    drop = (await world.h.press("UL", added.button("adapt.drop"))).form
    await world.h.submit("UL", drop, {"question": "trivsel-andet"})
    # Anna continues: the new priority question comes first in its theme; her answer is kept.
    seen = await world.h.command("U1", "forbered")
    assert "Hvordan går det med vikardækningen?" in seen.text and "/9" in seen.text
    review = await world.h.press("U1", seen.button("prep.review"))
    assert "Mit svar om sidste plan" in review.text
    assert "Er der andre forhold i forbindelse med trivsel" not in review.text
    assert opened is not None


async def test_only_this_rounds_leader_and_not_the_last_question(world: World) -> None:
    await start_round(world.h)
    overview = await world.h.command("UL", "tilpas")
    for intruder in ("U1", "UX"):
        assert "adgang" in (await world.h.press(intruder, overview.button("adapt.add"))).text
    assert "leder for en aktiv MUS-runde" in (await world.h.command("U1", "tilpas")).text


async def test_after_the_prep_phase_the_leader_is_told_it_is_too_late(world: World) -> None:
    await start_round(world.h)
    overview = await world.h.command("UL", "opsamling")
    await world.h.press("UL", overview.button("summary.announce"))
    seen = await world.h.command("UL", "tilpas")
    assert "kun tilpasses, mens forberedelsen står på" in seen.text
    assert "leder for en aktiv" not in seen.text
