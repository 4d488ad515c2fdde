"""Confidential content is read in private views, reached from messages that only say there is
something to read; each read path refuses the wrong person (and says so in the audit log)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.inproc.harness import message_text
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.messages import Button, Message, ToPerson
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.conversations.flows.conftest import World, make_world, start_round
from tests.conversations.reminders.test_plan_and_booking import book, member_card

CPH = ZoneInfo("Europe/Copenhagen")
ANSWER = "Kun til min leder: SVAR-7"
NOTE = "Lederens egen note: NOTE-7"


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary()


@pytest.fixture
def world(library: TemplateLibrary, sqlite_store: SqlStore) -> World:
    return make_world(library, store=sqlite_store)


async def _shared_noted_booked(world: World) -> None:
    await start_round(world.h)
    seen = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    seen = await world.h.say("U1", ANSWER)
    seen = await world.h.press("U1", seen.button("prep.review"))
    await world.h.press("U1", seen.button("prep.share"))
    card = await member_card(world)
    notes = (await world.h.press("UL", card.button("notes.open"))).form
    await world.h.submit("UL", notes, {"note": NOTE})
    await book(world)
    world.clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=CPH))
    await Sweeper(store=world.store, ports={"test": world.h.port}, clock=world.clock).sweep()


def _sent(world: World, user: str) -> list[Message]:
    return [m for _, m in world.h.port.sent if m.to == ToPerson(user)]


async def _audit(world: World) -> list[tuple[str, int | None]]:
    async with world.store.transaction() as tx:
        return [(e.action, e.actor_id) for e in await tx.audit.entries(limit=1000)]


async def test_no_chat_message_to_anyone_carries_an_answer_or_a_note(world: World) -> None:
    await _shared_noted_booked(world)
    for _, message in world.h.port.sent:
        text = message_text(message)
        if message.to == ToPerson("U1"):
            continue  # Anna's own conversation with the bot (her own words)
        assert ANSWER not in text and NOTE not in text, text
    for message in _sent(world, "U1"):
        assert NOTE not in message_text(message)


async def test_the_material_opens_for_its_people_only(world: World) -> None:
    await _shared_noted_booked(world)
    [reminder] = [m for m in _sent(world, "UL") if m.buttons and "MUS-samtale" in m.text]
    read = reminder.buttons[0]
    assert read.action == "material.booking"

    leader = await world.h.press("UL", read)
    assert leader.messages[0].private
    assert ANSWER in leader.text and NOTE in leader.text

    anna = await world.h.press("U1", read)  # the same material, for the employee: no notes
    assert anna.messages[0].private and ANSWER in anna.text and NOTE not in anna.text

    bo = await world.h.press("U2", read)
    outsider = await world.h.press("UX", read)
    for refused in (bo, outsider):
        assert ANSWER not in refused.text and NOTE not in refused.text
        assert not refused.messages[0].private
    actions = [action for action, _ in await _audit(world)]
    assert actions.count("material.view_denied") == 2


async def test_the_leaders_prep_view_is_private(world: World) -> None:
    await _shared_noted_booked(world)
    card = await member_card(world)
    view = await world.h.press("UL", Button("", "prep.view", card.button("notes.open").value))
    assert view.messages[0].private and ANSWER in view.text


async def test_with_content_in_messages_the_views_are_ordinary_messages(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    world = make_world(library, store=sqlite_store)
    engine = world.h.handler
    assert isinstance(engine, Engine)
    engine.settings = CoreSettings(content_in_messages=True)
    await _shared_noted_booked(world)
    card = await member_card(world)
    view = await world.h.press("UL", Button("", "prep.view", card.button("notes.open").value))
    assert not view.messages[0].private and ANSWER in view.text
