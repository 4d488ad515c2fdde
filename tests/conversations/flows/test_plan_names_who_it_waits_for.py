"""Issue #15: a plan state message names the person it waits for ("Planen venter på, at Anna
Andersen godkender den"), never "den anden part"; asked of the one it waits for, it says so."""

from __future__ import annotations

from adapters.inproc.harness import message_text
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import _value, draft_and_propose, held


async def test_editing_a_proposed_plan_names_whose_approval_it_waits_for(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    add_item = Button("", "plan.item", await _value(world))  # the draft's old "Tilføj punkt"

    lene = await world.h.press("UL", add_item)
    assert "Planen venter på, at Anna Andersen godkender den" in lene.text
    assert "den anden part" not in lene.text

    anna = await world.h.press("U1", add_item)
    assert "Planen venter på din godkendelse" in anna.text
    assert "Anna Andersen" not in anna.text


async def test_the_proposers_plan_view_names_who_approves_next(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="U1", goal="Mere faglig sparring")
    view = await world.h.press("U1", Button("", "plan.open", await _value(world)))
    assert "Planen venter på, at Lene Leder godkender den" in message_text(view.messages[-1])


async def test_no_plan_text_says_the_other_party(world: World) -> None:
    from conversations import i18n

    for lang, phrase in (("da", "anden part"), ("en", "other party")):
        texts = i18n.catalog(lang).values()
        assert not [t for t in texts if phrase in t], lang
