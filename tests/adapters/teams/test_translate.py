"""Activity -> neutral event, without HTTP."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity

from adapters.teams.cards import (
    ACTION_KEY,
    DATETIME_KEY,
    FORM_KEY,
    MULTI_KEY,
    OWNER_KEY,
    REFRESH_VERB,
    STATE_KEY,
    VALUE_KEY,
)
from adapters.teams.translate import split_ref, translate
from conversations.events import (
    ButtonEvent,
    CommandEvent,
    FormEvent,
    HomeEvent,
    InstallEvent,
    TextEvent,
)

BOT = {"id": "28:bot", "name": "MUS"}


def activity(**fields: Any) -> Activity:
    body: dict[str, Any] = {
        "type": "message",
        "id": "act-1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.example/",
        "from": {"id": "29:anna", "aadObjectId": "aad-anna", "name": "Anna"},
        "recipient": BOT,
        "conversation": {"id": "a:dm", "conversationType": "personal", "tenantId": "t1"},
        "locale": "da-DK",
    }
    body.update(fields)
    return Activity.model_validate(body)


def channel(**fields: Any) -> Activity:
    return activity(
        conversation={
            "id": "19:chan@thread.tacv2;messageid=42",
            "conversationType": "channel",
            "tenantId": "t1",
        },
        channelData={
            "team": {"id": "19:team@thread.tacv2", "name": "Dagplejen"},
            "channel": {"id": "19:chan@thread.tacv2", "name": "MUS"},
            "tenant": {"id": "t1"},
        },
        **fields,
    )


def test_a_personal_chat_gives_the_core_the_whole_text() -> None:
    """Whether "mus …" is a command or an answer is the core's decision, not the adapter's."""
    inbound = translate(activity(text="  MUS   start  "))
    assert inbound is not None and isinstance(inbound.event, TextEvent)
    assert inbound.event.text == "MUS start" and inbound.event.event_id == "act-1"
    assert inbound.event.actor.user_id == "aad-anna" and inbound.event.actor.workspace_id == "t1"
    assert inbound.event.actor.locale == "da-DK" and inbound.event.context.is_direct
    text = translate(activity(text="musik er godt"))
    assert text is not None and isinstance(text.event, TextEvent)
    assert text.event.text == "musik er godt"


def test_channel_command_loses_the_mention_and_plain_channel_text_is_ignored() -> None:
    mention = {
        "type": "mention",
        "text": "<at>MUS</at>",
        "mentioned": {"id": "28:bot", "name": "MUS"},
    }
    inbound = translate(channel(text="<at>MUS</at> mus start", entities=[mention]))
    assert inbound is not None and isinstance(inbound.event, CommandEvent)
    assert inbound.event.text == "start"
    assert not inbound.event.context.is_direct
    assert inbound.event.context.channel_id == "19:chan@thread.tacv2"
    assert translate(channel(text="<at>MUS</at> hej", entities=[mention])) is None


def test_a_mention_in_a_typed_answer_becomes_the_persons_name() -> None:
    """Issue #15: `<at>Lene</at>` with its `mention` entity -> `@Lene Leder` (Slack's neutral
    form); `<at>…</at>` typed without an entity, or a label that is no tag, stays as typed."""
    lene = {
        "type": "mention",
        "text": "<at>Lene</at>",
        "mentioned": {"id": "29:lene", "name": "Lene Leder"},
    }
    typed = "Tal med <at>Lene</at> og <at>Bo</at> om det"
    inbound = translate(activity(text=typed, entities=[lene]))
    assert inbound is not None and isinstance(inbound.event, TextEvent)
    assert inbound.event.text == "Tal med @Lene Leder og <at>Bo</at> om det"

    nameless = {**lene, "text": "<at>Lene &amp; Co</at>", "mentioned": {"id": "29:lene"}}
    inbound = translate(activity(text="Hej <at>Lene &amp; Co</at>", entities=[nameless]))
    assert inbound is not None and inbound.event.text == "Hej @Lene & Co"  # type: ignore[union-attr]

    not_a_tag = {**lene, "text": "Lene"}
    inbound = translate(activity(text="Lene er god", entities=[not_a_tag]))
    assert inbound is not None and inbound.event.text == "Lene er god"  # type: ignore[union-attr]


def test_submit_with_button_data_is_a_button_event() -> None:
    data = {ACTION_KEY: "prep.skip", VALUE_KEY: "q3", OWNER_KEY: "aad-anna"}
    inbound = translate(activity(value=data, replyToId="card-1"))
    assert inbound is not None and isinstance(inbound.event, ButtonEvent)
    assert (inbound.event.action, inbound.event.value) == ("prep.skip", "q3")
    assert inbound.owner == "aad-anna" and not inbound.execute
    assert inbound.event.context.message_ref == "a:dm|card-1"
    assert split_ref("a:dm|card-1") == ("a:dm", "card-1")


def test_submit_with_form_data_is_a_form_event_with_normalised_values() -> None:
    data = {
        FORM_KEY: "round.start",
        STATE_KEY: "s",
        MULTI_KEY: ["leaders"],
        DATETIME_KEY: ["kickoff", "summary"],
        "name": "Team A",
        "note": "   ",
        "leaders": "aad-1,aad-2",
        "kickoff__date": "2025-03-01",
        "kickoff__time": "09:30",
        "summary__date": "2025-06-01",
        "summary__time": "",
        "action": "smuggled",  # an input may not pose as our keys
        "msteams": {"type": "messageBack"},
    }
    inbound = translate(activity(value=data, replyToId="card-2"))
    assert inbound is not None and isinstance(inbound.event, FormEvent)
    assert inbound.event.form == "round.start" and inbound.event.state == "s"
    assert inbound.event.values == {
        "name": "Team A",
        "note": None,
        "leaders": ("aad-1", "aad-2"),
        "action": "smuggled",
        "kickoff": "2025-03-01T09:30",
        "summary": "2025-06-01",
    }
    assert inbound.submitted["kickoff__time"] == "09:30"


def test_action_execute_invoke_translates_like_a_submit() -> None:
    value = {"action": {"type": "Action.Execute", "verb": "v", "data": {ACTION_KEY: "a"}}}
    inbound = translate(activity(type="invoke", name="adaptiveCard/action", value=value))
    assert inbound is not None and isinstance(inbound.event, ButtonEvent) and inbound.execute
    assert translate(activity(type="invoke", name="task/fetch", value={})) is None


def test_install_only_when_the_bot_itself_was_added() -> None:
    team = channel(type="conversationUpdate", membersAdded=[BOT])
    inbound = translate(team)
    assert inbound is not None and isinstance(inbound.event, InstallEvent)
    assert inbound.event.team_name == "Dagplejen" and inbound.event.channel_name == "MUS"
    someone = channel(type="conversationUpdate", membersAdded=[{"id": "29:new"}])
    assert translate(someone) is None
    personal = activity(
        type="conversationUpdate", membersAdded=[BOT, {"id": "29:anna", "aadObjectId": "aad-anna"}]
    )
    event = translate(personal)
    assert event is not None and isinstance(event.event, InstallEvent)
    assert event.event.context.is_direct
    assert [m.user_id for m in event.event.members] == ["aad-anna"]


def test_no_tenant_or_unknown_activity_is_ignored() -> None:
    assert translate(activity(conversation={"id": "a:dm"}, text="mus start")) is None
    assert translate(activity(type="typing")) is None
    assert translate(activity(text="")) is None


def test_event_id_is_stable_without_an_activity_id() -> None:
    one = translate(activity(id=None, text="hej", timestamp="2025-01-01T10:00:00Z"))
    two = translate(activity(id=None, text="hej", timestamp="2025-01-01T10:00:00Z"))
    assert one is not None and two is not None
    assert one.event.event_id == two.event.event_id


def test_the_overview_cards_refresh_is_the_overview_opened() -> None:
    """Issue #15: Teams' automatic `refresh` of the overview card -> a HomeEvent for the viewer,
    carrying the card's owner so the app can ignore anyone else's."""
    action = {"type": "Action.Execute", "verb": REFRESH_VERB, "data": {OWNER_KEY: "aad-lene"}}
    inbound = translate(
        activity(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": action, "trigger": "automatic"},
            replyToId="card-7",
        )
    )
    assert inbound is not None and isinstance(inbound.event, HomeEvent)
    assert inbound.refresh and inbound.execute
    assert inbound.owner == "aad-lene" and inbound.event.actor.user_id == "aad-anna"
