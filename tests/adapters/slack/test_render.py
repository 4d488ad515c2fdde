"""Neutral messages -> Block Kit: escaping, Slack's limits, buttons, forms, home."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from adapters.slack.render import (
    FormOrigin,
    RenderError,
    decode_metadata,
    escape,
    render_blocks,
    render_errors,
    render_form,
    render_home,
    render_message,
    strip_action_index,
)
from conversations.messages import (
    BulletList,
    Button,
    ChannelInput,
    DateInput,
    DateTimeInput,
    Divider,
    Fields,
    Form,
    FormErrors,
    Heading,
    HomeView,
    Message,
    Note,
    Option,
    Paragraph,
    PeopleInput,
    Quote,
    SelectInput,
    TextInput,
    ToActor,
)
from tests.support.stub_slack import _check_blocks, _check_view

INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<@U0BOSS>",
    "<#C0SECRET|hemmelig>",
    "<https://evil.example|klik>",
]


def all_mrkdwn(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        if block.get("text", {}).get("type") == "mrkdwn":
            found.append(block["text"])
        found += [f for f in block.get("fields", []) if f.get("type") == "mrkdwn"]
        found += [e for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def test_escape_makes_slack_control_sequences_inert() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("&amp;") == "&amp;amp;"  # a typed entity stays what was typed


@pytest.mark.parametrize("attack", INJECTIONS)
def test_user_text_never_becomes_a_mention_or_link(attack: str) -> None:
    message = Message(
        to=ToActor(),
        text=f"Svar: {attack}",
        blocks=(
            Heading(f"Tema {attack}"),
            Paragraph(f"Jeg skrev {attack}"),
            Quote(f"line one\n{attack}", label=f"Dit svar {attack}"),
            Fields(((f"Felt {attack}", f"Værdi {attack}"),)),
            BulletList((attack, "b")),
            Note(f"note {attack}"),
        ),
        buttons=(Button(f"Knap {attack}", "prep.answer", "1:2"),),
    )
    (payload,) = render_message(message)
    raw = json.dumps(payload, ensure_ascii=False)
    for text in all_mrkdwn(payload["blocks"]):
        assert "<" not in text["text"] and text["verbatim"] is True
    assert "<" not in payload["text"]
    assert attack not in payload["text"]
    # plain_text objects (header, button) show the text verbatim and Slack never parses them
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"Tema {attack}", "emoji": True},
    }
    assert raw.count(escape(attack)) >= 6


def test_quote_marker_is_ours_and_typed_gt_is_escaped() -> None:
    (block,) = render_blocks([Quote("a > b\nc", label="Svar")])
    assert block["text"]["text"] == "*Svar*\n>a &gt; b\n>c"


def test_long_paragraph_is_split_into_sections_within_limits() -> None:
    text = ("ord " * 2000).strip()  # 7999 chars
    blocks = render_blocks([Paragraph(text)])
    assert len(blocks) == 3
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert " ".join(b["text"]["text"] for b in blocks) == text


def test_escaping_growth_never_breaks_the_limit_or_an_entity() -> None:
    text = "<" * 2999 + "&" * 10
    blocks = render_blocks([Paragraph(text)])
    pieces = [b["text"]["text"] for b in blocks]
    assert all(len(p) <= 3000 for p in pieces)
    assert all(not p.endswith(("&l", "&lt", "&am", "&amp")) for p in pieces)
    assert "".join(pieces) == escape(text)


def test_empty_text_blocks_are_left_out() -> None:
    assert render_blocks([Paragraph(""), Note("  "), Heading(""), BulletList(())]) == []


def test_long_heading_becomes_plain_sections() -> None:
    (block,) = render_blocks([Heading("x" * 200)])
    assert block["type"] == "section" and block["text"]["type"] == "plain_text"


def test_fields_over_ten_are_split_and_long_values_get_own_sections() -> None:
    items = (*tuple((f"k{i}", f"v{i}") for i in range(12)), ("lang", "y" * 2500))
    blocks = render_blocks([Fields(items)])
    assert [len(b.get("fields", [])) for b in blocks[:2]] == [10, 2]
    assert blocks[2]["text"]["text"] == "*lang*"
    assert _check_blocks(blocks, limit=50) is None


def test_message_over_50_blocks_becomes_several_messages_buttons_last() -> None:
    blocks = tuple(Paragraph(f"p{i}") for i in range(120))
    message = Message(to=ToActor(), text="t", blocks=blocks, buttons=(Button("OK", "prep.next"),))
    payloads = render_message(message)
    assert [len(p["blocks"]) for p in payloads] == [50, 50, 21]
    assert payloads[-1]["blocks"][-1]["type"] == "actions"
    assert all(_check_blocks(p["blocks"], limit=50) is None for p in payloads)


def test_message_without_blocks_has_text_only() -> None:
    assert render_message(Message(to=ToActor(), text="hej <@U1>")) == [{"text": "hej &lt;@U1&gt;"}]


def test_buttons_keep_action_and_value_with_unique_action_ids() -> None:
    buttons = (
        Button("Åbn 1", "prep.open", "1"),
        Button("Åbn 2", "prep.open", "2"),
        Button("Status", "status.show", "1", style="primary"),
        Button("Tom", "prep.review"),
    )
    (actions,) = render_message(Message(to=ToActor(), text="x", buttons=buttons))[0]["blocks"]
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == ["prep.open", "prep.open~~1", "status.show", "prep.review"]
    assert [strip_action_index(i) for i in ids] == [
        "prep.open",
        "prep.open",
        "status.show",
        "prep.review",
    ]
    assert [e.get("value") for e in actions["elements"]] == ["1", "2", "1", None]
    assert actions["elements"][2]["style"] == "primary"


def test_an_action_containing_the_mark_round_trips() -> None:
    (actions,) = render_message(Message(to=ToActor(), text="x", buttons=(Button("a", "odd~~7"),)))[
        0
    ]["blocks"]
    action_id = actions["elements"][0]["action_id"]
    assert action_id == "odd~~7~~0" and strip_action_index(action_id) == "odd~~7"


def test_more_than_25_buttons_use_several_actions_blocks() -> None:
    buttons = tuple(Button(str(i), "prep.open", str(i)) for i in range(30))
    blocks = render_message(Message(to=ToActor(), text="x", buttons=buttons))[0]["blocks"]
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    assert _check_blocks(blocks, limit=50) is None


def test_button_value_too_long_is_a_programming_error() -> None:
    with pytest.raises(RenderError):
        render_message(Message(to=ToActor(), text="x", buttons=(Button("a", "b", "v" * 2001),)))


def answer_form(**text: Any) -> Form:
    return Form(
        id="prep.answer",
        title="Spørgsmål 3 af 12 — en alt for lang titel",
        submit_label="Gem",
        state="7:2:q3:q",
        intro=(Heading("Trivsel"), Paragraph("Hvordan har du det? <!here>")),
        inputs=(TextInput(id="answer", label="Dit svar", multiline=True, **text),),
    )


def test_form_is_a_modal_whose_metadata_carries_id_state_and_origin() -> None:
    origin = FormOrigin(
        channel_id="D1", is_direct=True, message_ref="D1:1.2", tz="Europe/Copenhagen"
    )
    view = render_form(answer_form(max_length=5000, initial="gammelt svar"), origin=origin)
    assert view["type"] == "modal" and view["callback_id"] == "prep.answer"
    assert len(view["title"]["text"]) <= 24
    element = view["blocks"][-1]["element"]
    assert element == {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": 3000,
        "initial_value": "gammelt svar",
        "action_id": "value",
    }
    assert view["blocks"][-1]["block_id"] == "answer"
    assert decode_metadata(view["private_metadata"]) == ("prep.answer", "7:2:q3:q", origin)
    assert _check_view(view, limit=100) is None


def test_initial_text_longer_than_slack_allows_is_cut_with_a_note() -> None:
    view = render_form(answer_form(initial="a" * 3500), locale="en-GB")
    block = view["blocks"][-1]
    assert len(block["element"]["initial_value"]) == 3000
    assert "3000" in block["hint"]["text"] and "replaces" in block["hint"]["text"]
    danish = render_form(answer_form(initial="a" * 3500))
    assert "erstatter" in danish["blocks"][-1]["hint"]["text"]


def test_form_over_100_blocks_is_cut_with_a_note_not_an_error() -> None:
    form = Form(
        id="x",
        title="T",
        submit_label="OK",
        intro=tuple(Paragraph(f"p{i}") for i in range(30)),
        inputs=tuple(TextInput(id=f"i{i}", label=f"L{i}") for i in range(80)),
    )
    view = render_form(form)
    assert len(view["blocks"]) == 100
    assert view["blocks"][0]["type"] == "context"
    assert sum(b["type"] == "input" for b in view["blocks"]) == 80
    assert _check_view(view, limit=100) is None


def test_every_input_kind_renders() -> None:
    form = Form(
        id="round.start",
        title="Ny MUS-runde",
        submit_label="Start",
        inputs=(
            ChannelInput(id="channel", label="Kanal", initial="C1"),
            PeopleInput(id="members", label="Medarbejdere", initial=("U1", "U2"), optional=True),
            SelectInput(
                id="template",
                label="Skabelon",
                options=(
                    Option(value="kk-buf", label="KK BUF"),
                    Option(value="generic", label="Generic"),
                ),
                initial="generic",
            ),
            DateInput(id="prep_deadline", label="Frist", initial=date(2026, 3, 1)),
            DateTimeInput(id="kickoff_at", label="Opstart", initial=datetime(2026, 2, 2, 9, 30)),
        ),
    )
    view = render_form(form, origin=FormOrigin(tz="Europe/Copenhagen"))
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert elements["channel"]["type"] == "conversations_select"
    assert elements["channel"]["initial_conversation"] == "C1"
    assert elements["members"] == {
        "type": "multi_users_select",
        "initial_users": ["U1", "U2"],
        "action_id": "value",
    }
    assert elements["template"]["initial_option"]["value"] == "generic"
    assert elements["prep_deadline"]["initial_date"] == "2026-03-01"
    assert elements["kickoff_at"]["initial_date_time"] == 1770021000  # 09:30 CET = 08:30 UTC
    assert all(e["action_id"] == "value" for e in elements.values())


def test_select_with_over_100_options_shows_100_and_says_so() -> None:
    options = tuple(Option(value=str(i), label=str(i)) for i in range(120))
    view = render_form(
        Form(
            id="x",
            title="T",
            submit_label="OK",
            inputs=(SelectInput(id="s", label="S", options=options),),
        )
    )
    (block,) = view["blocks"]
    assert len(block["element"]["options"]) == 100
    assert "100" in block["hint"]["text"]


def test_state_too_large_for_private_metadata_is_a_programming_error() -> None:
    with pytest.raises(RenderError):
        render_form(Form(id="x", title="T", submit_label="OK", inputs=(), state="s" * 3000))


def test_home_view_over_100_blocks_is_cut_with_a_note_and_keeps_buttons() -> None:
    view = HomeView(
        user_id="U1",
        blocks=(*tuple(Paragraph(f"p{i}") for i in range(150)), Divider()),
        buttons=(Button("Fortsæt", "prep.open", "1"),),
    )
    home = render_home(view)
    assert home["type"] == "home" and len(home["blocks"]) == 100
    assert home["blocks"][-1]["type"] == "actions"
    assert home["blocks"][-2]["type"] == "context"
    assert "100" in home["blocks"][-2]["elements"][0]["text"]


def test_form_errors_answer() -> None:
    assert render_errors(FormErrors(errors={"prep_deadline": "Datoen er passeret"})) == {
        "response_action": "errors",
        "errors": {"prep_deadline": "Datoen er passeret"},
    }
