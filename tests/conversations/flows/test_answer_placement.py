"""Rules the engine applies for every platform: where an answer goes, the overview, the prefix."""

from __future__ import annotations

from adapters.inproc.harness import Seen
from conversations.engine import place_answers
from conversations.events import ButtonEvent, Context, HomeEvent
from conversations.messages import Button, Message, Paragraph, Reply, ToActor, ToChannel
from tests.conversations.flows.conftest import World, start_round


async def _review_pressed(world: World, context: Context) -> Seen:
    """U1 presses "overview" on a prep message, with the given context."""
    await start_round(world.h)
    [dm] = world.h.dms("U1")
    seen = await world.h.press("U1", dm.buttons[0])
    button = seen.button("prep.review")
    return await world.h.push(
        ButtonEvent(
            event_id="placement-1",
            actor=world.h._actor("U1"),
            context=context,
            action=button.action,
            value=button.value,
        )
    )


async def test_in_the_direct_chat_the_answer_replaces_the_pressed_message(world: World) -> None:
    seen = await _review_pressed(world, Context(is_direct=True, message_ref="m-dm"))
    assert seen.messages[-1].replaces == "m-dm"


async def test_an_answer_in_a_channel_never_rewrites_the_channel_message(world: World) -> None:
    seen = await _review_pressed(
        world, Context(channel_id="C1", is_direct=False, message_ref="m-channel")
    )
    assert seen.messages and all(m.replaces is None for m in seen.messages)


async def test_a_message_only_the_actor_sees_may_be_replaced_in_a_channel(world: World) -> None:
    context = Context(channel_id="C1", is_direct=False, message_ref="m-eph", message_private=True)
    seen = await _review_pressed(world, context)
    assert seen.messages[-1].replaces == "m-eph"


def test_place_answers_leaves_posts_to_others_alone() -> None:
    shared = Context(channel_id="C1", is_direct=False, message_ref="m1")
    channel_edit = Message(to=ToChannel("C1"), text="x", replaces="m0")
    answer = Message(to=ToActor(), text="y", blocks=(Paragraph("y"),), replaces="m1")
    placed = place_answers(Reply((channel_edit, answer)), context=shared)
    assert placed.items == (channel_edit, Message(to=ToActor(), text="y", blocks=(Paragraph("y"),)))


async def test_opening_the_overview_is_a_neutral_event(world: World) -> None:
    await start_round(world.h)
    await world.h.push(HomeEvent(event_id="home-1", actor=world.h._actor("U1")))
    home = world.h.port.homes["U1"]
    assert any("MUS" in getattr(b, "text", "") for b in home.blocks)


async def test_the_port_supplies_the_command_prefix(world: World) -> None:
    world.h.port.command_prefix = "/mus"
    seen = await world.h.say("U9", "hej")
    assert "/mus hjælp" in seen.text
    world.h.port.command_prefix = "mus"
    seen = await world.h.say("U9", "hej igen")
    assert "Skriv mus hjælp" in seen.text


async def test_a_stale_button_is_answered_in_the_persons_language(world: World) -> None:
    forged = await world.h.press("U3", Button("x", "prep.review", "1:2"))  # a field too many
    assert "older message and no longer works" in forged.text
    unknown = await world.h.press("U3", Button("x", "prep.gone", "1"))
    assert "Type mus help" in unknown.text
