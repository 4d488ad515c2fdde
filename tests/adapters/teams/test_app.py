"""The Teams endpoint end to end: activities in through /api/messages, cards out to the stub."""

from __future__ import annotations

import logging

import pytest

from adapters.teams.cards import ACTION_KEY, FORM_KEY, OWNER_KEY, STATE_KEY, VALUE_KEY
from conversations.events import (
    ButtonEvent,
    CommandEvent,
    FormEvent,
    InboundEvent,
    InstallEvent,
    TextEvent,
)
from conversations.messages import (
    Button,
    Form,
    FormErrors,
    Message,
    Paragraph,
    Reply,
    TextInput,
    ToActor,
    ToChannel,
)
from conversations.ports import PlatformPort
from tests.adapters.teams.harness import ANNA, BO, TEAM_ID, TENANT, Bot

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
    assert response.status == 202

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


async def test_typed_text_is_a_text_event_and_reply_goes_to_the_chat(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((Message(to=ToActor(), text="Tak *Anna*", blocks=(Paragraph("Tak *Anna*"),)),))

    bot.handler.respond = respond
    await bot.post(bot.message("Jeg  vil gerne\nlære mere"))
    (event,) = bot.handler.events
    assert isinstance(event, TextEvent)
    assert event.text == "Jeg  vil gerne\nlære mere"
    (call,) = bot.stub.posted(f"a:dm-{ANNA.id}")
    assert call.body["summary"] == "Tak *Anna*"
    assert call.card["body"][0]["text"] == "Tak \\*Anna\\*"  # user text never becomes markup


async def test_button_press_updates_the_card_in_place(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        if isinstance(event, CommandEvent):
            return Reply(
                (
                    Message(
                        to=ToActor(), text="Q1", buttons=(Button("Spring over", "prep.skip", "q1"),)
                    ),
                )
            )
        assert isinstance(event, ButtonEvent)
        return Reply((Message(to=ToActor(), text="Q2", replaces=event.context.message_ref),))

    bot.handler.respond = respond
    await bot.post(bot.message("mus forbered"))
    (posted,) = bot.stub.posted()
    action = posted.card["actions"][0]
    assert action["data"] == {ACTION_KEY: "prep.skip", VALUE_KEY: "q1", OWNER_KEY: ANNA.aad}
    activity_id = "act-1"

    await bot.post(bot.submit(action["data"], reply_to=activity_id))
    button = bot.handler.events[-1]
    assert isinstance(button, ButtonEvent) and (button.action, button.value) == ("prep.skip", "q1")
    assert button.context.message_ref == f"a:dm-{ANNA.id}|{activity_id}"
    (update,) = bot.stub.updated()
    assert update.activity_id == activity_id and update.conversation_id == f"a:dm-{ANNA.id}"
    assert update.card["body"][0]["text"] == "Q2"
    assert len(bot.stub.posted()) == 1  # nothing new posted


async def test_form_errors_redraw_the_card_and_success_makes_it_read_only(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        if isinstance(event, CommandEvent):
            return Reply((ANSWER_FORM,))
        assert isinstance(event, FormEvent)
        if not event.values.get("answer"):
            return Reply((FormErrors(errors={"answer": "Skriv et svar"}),))
        return Reply((Message(to=ToActor(), text="Gemt"),))

    bot.handler.respond = respond
    await bot.post(bot.message("mus forbered"))
    data = bot.stub.posted()[0].card["actions"][0]["data"]

    await bot.post(bot.submit({**data, "answer": ""}, reply_to="act-1"))
    form = bot.handler.events[-1]
    assert isinstance(form, FormEvent)
    assert (
        form.form == "prep.answer"
        and form.state == "round=1;q=1"
        and form.values == {"answer": None}
    )
    (redrawn,) = bot.stub.updated()
    texts = [el.get("text") for c in redrawn.card["body"] for el in c.get("items", [])]
    assert "Skriv et svar" in texts

    await bot.post(bot.submit({**data, "answer": "Mere *ansvar*"}, reply_to="act-1"))
    assert bot.handler.events[-1].values == {"answer": "Mere *ansvar*"}
    read_only = bot.stub.updated()[-1].card
    assert "actions" not in read_only
    assert not [
        el
        for el in read_only["body"]
        for i in el.get("items", [])
        if i["type"].startswith("Input.")
    ]
    shown = [i["text"] for el in read_only["body"] for i in el.get("items", [])]
    assert "Mere \\*ansvar\\*" in shown
    assert bot.stub.posted()[-1].card["body"][0]["text"] == "Gemt"


async def test_action_execute_round_trip_answers_200_with_the_card(bot: Bot) -> None:
    """An Action.Execute invoke is answered in its HTTP response, with the updated card."""

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        assert isinstance(event, ButtonEvent)
        return Reply((Message(to=ToActor(), text="Næste", replaces=event.context.message_ref),))

    bot.handler.respond = respond
    data = {ACTION_KEY: "prep.next", VALUE_KEY: "", OWNER_KEY: ANNA.aad}
    response = await bot.post(bot.execute(data, reply_to="act-9"))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == "Næste"
    assert bot.stub.updated() == [] and bot.stub.posted() == []  # answered in the response


async def test_action_execute_without_a_card_still_answers_200(bot: Bot) -> None:
    data = {ACTION_KEY: "noop", OWNER_KEY: ANNA.aad}
    response = await bot.post(bot.execute(data, reply_to="act-9"))
    assert response.status == 200
    assert (await response.json())["statusCode"] == 200


async def test_redelivered_activity_changes_nothing(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((Message(to=ToActor(), text="Hej"),))

    bot.handler.respond = respond
    activity = bot.message("mus hjælp")
    await bot.post(activity)
    await bot.post(activity)
    assert len(bot.handler.events) == 1
    assert len(bot.stub.posted()) == 1


async def test_card_submitted_by_someone_else_does_nothing(bot: Bot) -> None:
    data = {ACTION_KEY: "plan.approve", VALUE_KEY: "7", OWNER_KEY: ANNA.aad}
    response = await bot.post(bot.submit(data, reply_to="act-1", user=BO))
    assert response.status == 202
    assert bot.handler.events == []
    response = await bot.post(bot.execute(data, reply_to="act-1", user=BO))
    assert response.status == 200
    assert bot.handler.events == []
    assert bot.stub.calls == []


async def test_team_install_is_an_install_event_and_stores_the_channel(bot: Bot) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        assert isinstance(event, InstallEvent)
        await platform.send(
            workspace_id=event.actor.workspace_id,
            message=Message(to=ToChannel(event.context.channel_id or ""), text="Hej team"),
        )
        return Reply()

    bot.handler.respond = respond
    await bot.post(bot.team_install())
    (event,) = bot.handler.events
    assert isinstance(event, InstallEvent)
    assert event.team_name == "Dagplejen" and not event.context.is_direct
    assert event.context.channel_id == TEAM_ID
    (hello,) = bot.stub.posted(TEAM_ID)
    assert hello.card["body"][0]["text"] == "Hej team"
    assert hello.activity_id is None  # a new post in the channel, not a reply to something
    choices = await bot.port.channel_choices(workspace_id=TENANT)
    assert choices == [(TEAM_ID, "Dagplejen")]


async def test_answers_to_a_command_in_a_channel_go_to_the_private_chat(bot: Bot) -> None:
    """Teams has no "only you can see this" in a channel: the actor's 1:1 chat is used."""

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((ANSWER_FORM, Message(to=ToActor(), text="Kun til dig")))

    bot.handler.respond = respond
    await bot.post(bot.team_install())
    bot.stub.calls.clear()
    mention = {"type": "mention", "text": "<at>MUS</at>", "mentioned": {"id": "28:bot-app-id"}}
    activity = bot.base(
        user=ANNA,
        conversation={"id": f"{TEAM_ID};messageid=77", "conversationType": "channel"},
        type="message",
        text="<at>MUS</at> mus start",
        entities=[mention],
    )
    activity["channelData"] = {
        "tenant": {"id": TENANT},
        "team": {"id": TEAM_ID, "name": "Dagplejen"},
        "channel": {"id": TEAM_ID},
    }
    await bot.post(activity)
    event = bot.handler.events[-1]
    assert isinstance(event, CommandEvent) and not event.context.is_direct
    assert bot.stub.posted(TEAM_ID) == [] and bot.stub.posted(f"{TEAM_ID};messageid=77") == []
    (create,) = bot.stub.creates()
    assert create.body["members"] == [{"id": ANNA.id}]
    private = bot.stub.posted(f"a:dm-{ANNA.id}")
    assert [c.card["body"][0]["text"] for c in private] == ["Spørgsmål 1", "Kun til dig"]


async def test_messages_are_acknowledged_at_once_and_handled_in_order(bot: Bot) -> None:
    """The channel's 15 s timeout never waits on a long kickoff; order per chat is kept, and
    one busy chat does not hold up another."""
    import asyncio

    from adapters.teams.server import TEAMS_INBOX

    release = asyncio.Event()
    other_chat_done = asyncio.Event()
    handled: list[str] = []

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        assert isinstance(event, TextEvent | CommandEvent)
        if isinstance(event, CommandEvent):
            await release.wait()  # a slow first event
        handled.append(event.text)
        if event.text == "hej":
            other_chat_done.set()
        return Reply()

    bot.handler.respond = respond
    first = await bot.client.post("/api/messages", json=bot.message("mus start"))
    second = await bot.client.post("/api/messages", json=bot.message("svar"))
    # Accepted after "svar", in Bo's own chat: once it is handled, "svar" had every chance.
    other = await bot.client.post("/api/messages", json=bot.message("hej", user=BO))
    assert (first.status, second.status, other.status) == (202, 202, 202)
    try:
        await asyncio.wait_for(other_chat_done.wait(), 10)
        assert handled == ["hej"]  # "svar" waits for "mus start" in the same chat
    finally:
        release.set()
    await bot.client.app[TEAMS_INBOX].drain()
    assert handled == ["hej", "start", "svar"]


async def test_no_user_text_reaches_the_logs_at_debug(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """The SDK logs activities and connector calls at INFO/DEBUG: held at WARNING."""
    marker = "HEMMELIGT-SVAR-9031"

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((Message(to=ToActor(), text=f"Du skrev {marker}"),))

    bot.handler.respond = respond
    with caplog.at_level(logging.DEBUG):
        await bot.post(bot.message(f"mus {marker}"))
        await bot.post({"type": "message", "text": marker, "conversation": {"id": 5}})
    assert bot.stub.posted()  # the answer went out
    assert marker not in caplog.text
