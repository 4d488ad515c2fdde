"""Slack payloads -> neutral events."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.render import FormOrigin, encode_metadata
from adapters.slack.translate import (
    button_event,
    command_event,
    form_event,
    home_event,
    parse_message_ref,
    plain_text,
    text_event,
)
from conversations.events import (
    ButtonEvent,
    CommandEvent,
    Context,
    FormEvent,
    HomeEvent,
    TextEvent,
)
from tests.adapters.slack.harness import (
    app_home_opened,
    block_actions,
    event_callback,
    message_im,
    slash_command,
    view_submission,
)
from tests.support.stub_slack import StubSlack

stub = StubSlack(base_url="http://stub")


def test_slash_command_in_a_channel() -> None:
    body = slash_command(stub=stub, user="U1", text="  start  ", channel="C9")
    event = command_event(body)
    assert isinstance(event, CommandEvent)
    assert event.text == "start"
    assert event.actor.platform == "slack"
    assert event.actor.workspace_id == stub.team_id and event.actor.user_id == "U1"
    assert event.actor.display_name is None  # a handle is not a name; the core looks it up
    assert event.context == Context(channel_id="C9", is_direct=False)
    assert event.event_id == f"cmd:{body['trigger_id']}"
    assert command_event(dict(body)) == event  # the same payload, the same id


def test_slash_command_in_a_dm() -> None:
    event = command_event(slash_command(stub=stub, user="U1", channel="D1"))
    assert event is not None and event.context.is_direct and event.text == ""


def test_payload_without_trigger_gets_a_stable_hash_id() -> None:
    body = slash_command(stub=stub, user="U1", text="status")
    del body["trigger_id"]
    first, again = command_event(body), command_event(dict(body))
    assert first is not None and again is not None
    assert first.event_id == again.event_id and first.event_id.startswith("cmd:")
    other = command_event({**body, "text": "hjælp"})
    assert other is not None and other.event_id != first.event_id


def test_button_on_a_dm_message() -> None:
    body = block_actions(
        stub=stub, user="U1", action_id="prep.open~~1", value="7", channel="D1", message_ts="1.5"
    )
    event = button_event(body)
    assert isinstance(event, ButtonEvent)
    assert (event.action, event.value) == ("prep.open", "7")
    assert event.context == Context(channel_id="D1", is_direct=True, message_ref="D1:1.5")
    assert parse_message_ref("D1:1.5") == ("D1", "1.5")
    assert event.event_id == f"act:{body['trigger_id']}"


def test_button_without_value_and_on_the_home_tab() -> None:
    event = button_event(block_actions(stub=stub, user="U1", action_id="status.show", home=True))
    assert event is not None
    assert event.value == "" and event.context == Context(channel_id=None, is_direct=True)


def test_button_in_a_channel() -> None:
    event = button_event(
        block_actions(stub=stub, user="U2", action_id="round.start", channel="C1", message_ts="9.9")
    )
    assert event is not None and not event.context.is_direct


def test_form_submission_maps_every_element_kind() -> None:
    origin = FormOrigin(channel_id="D1", message_ref="D1:1.5", tz="Europe/Copenhagen")
    view = {
        "callback_id": "round.start",
        "private_metadata": encode_metadata(form_id="round.start", state="s:1", origin=origin),
    }
    values: dict[str, dict[str, Any]] = {
        "channel": {"type": "conversations_select", "selected_conversation": "C1"},
        "members": {"type": "multi_users_select", "selected_users": ["U1", "U2"]},
        "nobody": {"type": "multi_users_select", "selected_users": []},
        "template": {"type": "static_select", "selected_option": {"value": "kk-buf", "text": {}}},
        "unpicked": {"type": "static_select", "selected_option": None},
        "kerneopgave": {"type": "plain_text_input", "value": "Vi <3 borgerne & <!channel>"},
        "empty": {"type": "plain_text_input", "value": None},
        "deadline": {"type": "datepicker", "selected_date": "2026-03-01"},
        "kickoff_at": {"type": "datetimepicker", "selected_date_time": 1770021000},
        "summary_at": {"type": "datetimepicker", "selected_date_time": None},
    }
    body = view_submission(stub=stub, user="U1", view=view, values=values)
    event = form_event(body)
    assert isinstance(event, FormEvent)
    assert (event.form, event.state) == ("round.start", "s:1")
    assert event.context == Context(channel_id="D1", is_direct=True, message_ref="D1:1.5")
    assert event.values == {
        "channel": "C1",
        "members": ("U1", "U2"),
        "nobody": (),
        "template": "kk-buf",
        "unpicked": None,
        "kerneopgave": "Vi <3 borgerne & <!channel>",  # stored as typed; escaped when shown
        "empty": None,
        "deadline": "2026-03-01",
        "kickoff_at": "2026-02-02T09:30",  # in the person's zone
        "summary_at": None,
    }
    assert event.event_id == f"view:{body['trigger_id']}"


def test_form_we_did_not_render_falls_back_to_callback_id() -> None:
    body = view_submission(
        stub=stub,
        user="U1",
        view={"callback_id": "notes.edit", "private_metadata": "raw"},
        values={},
    )
    event = form_event(body)
    assert event is not None and (event.form, event.state) == ("notes.edit", "raw")


def test_dm_text_becomes_a_text_event() -> None:
    body = event_callback(
        stub=stub,
        event=message_im(user="U1", text="Jeg &lt;3 mit job &amp; <@U2|mette>"),
        event_id="Ev1",
    )
    event = text_event(body)
    assert isinstance(event, TextEvent)
    assert event.text == "Jeg <3 mit job & @mette"
    assert event.context == Context(channel_id="D1", is_direct=True)
    assert event.event_id == "evt:Ev1"


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "B1"},
        {"subtype": "message_changed"},
        {"subtype": "bot_message"},
        {"channel_type": "channel"},
        {"text": "   "},
    ],
)
def test_other_messages_are_not_for_the_core(extra: dict[str, str]) -> None:
    body = event_callback(stub=stub, event={**message_im(user="U1", text="hej"), **extra})
    assert text_event(body) is None


def test_home_tab_opened_is_the_home_event_messages_tab_is_nothing() -> None:
    event = home_event(event_callback(stub=stub, event=app_home_opened(user="U1"), event_id="Ev2"))
    assert isinstance(event, HomeEvent) and event.event_id == "evt:Ev2"
    assert (
        home_event(event_callback(stub=stub, event=app_home_opened(user="U1", tab="messages")))
        is None
    )


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("<!channel> kom", "@channel kom"),
        ("<!subteam^S1|@ledere>", "@ledere"),
        ("<#C1|team>", "#team"),
        ("<@U1>", "@U1"),
        ("<https://kk.dk|KK>", "KK (https://kk.dk)"),
        ("<https://kk.dk>", "https://kk.dk"),
        ("<mailto:a@b.dk|a@b.dk>", "a@b.dk"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
    ],
)
def test_slack_markup_to_plain_text(slack: str, plain: str) -> None:
    assert plain_text(slack) == plain
