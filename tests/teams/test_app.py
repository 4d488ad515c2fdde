"""The Teams endpoint end to end: activities in through /api/messages, cards out to the stub."""

from __future__ import annotations

from conftest import ANNA, TENANT, Bot

from adapters.teams.cards import FORM_KEY, OWNER_KEY, STATE_KEY
from conversations.events import CommandEvent, InboundEvent
from conversations.messages import (
    Form,
    Reply,
    TextInput,
)
from conversations.ports import PlatformPort

ANSWER_FORM = Form(
    id="prep.answer",
    title="Spørgsmål 1",
    submit_label="Gem",
    inputs=(TextInput(id="answer", label="Dit svar", multiline=True, max_length=3000),),
    state="round=1;q=1",
)


async def test_command_in_personal_chat_opens_form_card(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((ANSWER_FORM,))

    bot.handler.respond = respond
    response = await bot.post(bot.message("mus forbered"))
    assert response.status in (200, 201)

    (event,) = bot.handler.events
    assert isinstance(event, CommandEvent) and event.text == "forbered"
    assert event.actor.user_id == ANNA.aad and event.actor.workspace_id == TENANT
    assert event.actor.timezone == "Europe/Copenhagen"
    (call,) = bot.stub.posted(f"a:dm-{ANNA.id}")
    card = call.card
    assert card is not None
    (text_input,) = [
        el
        for c in card["body"]
        if c.get("type") == "Container"
        for el in c["items"]
        if el["type"] == "Input.Text"
    ]
    assert text_input["isMultiline"] is True and text_input["maxLength"] == 3000
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {
        FORM_KEY: "prep.answer",
        STATE_KEY: "round=1;q=1",
        OWNER_KEY: ANNA.aad,
    }
