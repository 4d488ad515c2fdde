"""Neutral messages and forms as Adaptive Cards; markdown escaping."""

from __future__ import annotations

import json
from datetime import date, datetime

from adapters.teams.cards import (
    DATETIME_KEY,
    MAX_CARD_BYTES,
    MULTI_KEY,
    card_size,
    form_card,
    message_cards,
    read_only_card,
    with_errors,
)
from adapters.teams.escape import escape_markdown
from adapters.teams.files import Download
from conversations.messages import (
    BulletList,
    Button,
    DateInput,
    DateTimeInput,
    Divider,
    Fields,
    Form,
    Heading,
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


def texts(card: dict) -> list[str]:
    found: list[str] = []

    def walk(elements: list[dict]) -> None:
        for el in elements:
            if "text" in el:
                found.append(el["text"])
            for fact in el.get("facts", []):
                found.extend([fact["title"], fact["value"]])
            for key in ("items", "columns"):
                walk(el.get(key, []))

    walk(card["body"])
    return found


def test_markdown_a_person_typed_is_shown_literally() -> None:
    assert escape_markdown("**fed** _kursiv_ [klik](https://x.dk) <at>Bo</at>") == (
        "\\*\\*fed\\*\\* \\_kursiv\\_ \\[klik\\](https://x.dk) \\<at\\>Bo\\</at\\>"
    )
    assert escape_markdown("- punkt\n1. første\n# titel") == (
        "\\- punkt\n\n1\\. første\n\n\\# titel"
    )
    assert escape_markdown("{{DATE(2025-01-01T00:00:00Z, SHORT)}}").startswith("\\{\\{DATE")
    assert escape_markdown("Hvad gik godt? (kort): 100%!") == "Hvad gik godt? (kort): 100%!"


def test_message_blocks_render_as_escaped_elements_with_buttons() -> None:
    message = Message(
        to=ToActor(),
        text="fallback",
        blocks=(
            Heading("Din *plan*"),
            Paragraph("Tekst"),
            Quote("svar_1", label="Dit svar"),
            Fields((("Frist", "1. marts"),)),
            BulletList(("a", "b")),
            Note("fortroligt"),
            Divider(),
        ),
        buttons=(Button("Del", "prep.share", "7", style="primary"),),
    )
    (card,) = message_cards(message=message, owner="aad-anna")
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    shown = texts(card)
    assert "Din \\*plan\\*" in shown and "svar\\_1" in shown and "• a" in shown
    assert "Frist" in shown and "1\\. marts" in shown  # "1. marts" would be a list
    (action,) = card["actions"]
    assert action["type"] == "Action.Submit" and action["style"] == "positive"
    assert action["data"]["mus_owner"] == "aad-anna"
    (execute,) = message_cards(message=message, action_style="execute")[0]["actions"]
    assert execute["type"] == "Action.Execute" and execute["verb"] == "prep.share"
    assert "mus_owner" not in execute["data"]


def test_text_only_message_uses_the_text() -> None:
    (card,) = message_cards(message=Message(to=ToActor(), text="Hej _du_"))
    assert texts(card) == ["Hej \\_du\\_"]


def test_long_message_is_split_below_the_size_limit_with_buttons_last() -> None:
    paragraphs = tuple(Paragraph("ord " * 900) for _ in range(12))
    message = Message(to=ToActor(), text="lang", blocks=paragraphs, buttons=(Button("OK", "ok"),))
    cards = message_cards(message=message)
    assert len(cards) > 1
    assert all(card_size(c) <= MAX_CARD_BYTES for c in cards)
    assert all("actions" not in c for c in cards[:-1]) and cards[-1]["actions"]


def test_form_card_inputs_and_submit_data() -> None:
    form = Form(
        id="round.start",
        title="Start MUS",
        submit_label="Start",
        state="st",
        intro=(Paragraph("Udfyld"),),
        inputs=(
            TextInput(
                id="goal", label="Udviklingsmål", multiline=True, max_length=2000, initial="x"
            ),
            DateInput(id="deadline", label="Frist", initial=date(2025, 3, 1)),
            DateTimeInput(id="kickoff", label="Opstart", initial=datetime(2025, 2, 1, 9, 30)),
            SelectInput(id="tpl", label="Skabelon", options=(Option(value="k", label="KK"),)),
            PeopleInput(id="leaders", label="Ledere", optional=True),
        ),
    )
    card = form_card(form=form, owner="aad-anna")
    body = json.dumps(card)
    assert '"isMultiline": true' in body and '"maxLength": 2000' in body
    assert '"kickoff__date"' in body and '"09:30"' in body
    assert "graph.microsoft.com/users" in body
    (submit,) = card["actions"]
    assert submit["data"]["mus_form"] == "round.start" and submit["data"]["mus_state"] == "st"
    assert submit["data"][MULTI_KEY] == ["leaders"] and submit["data"][DATETIME_KEY] == ["kickoff"]


def test_errors_are_shown_under_their_input_and_values_kept() -> None:
    form = Form(
        id="f",
        title="T",
        submit_label="OK",
        inputs=(TextInput(id="a", label="A"), TextInput(id="b", label="B")),
    )
    card = form_card(form=form)
    shown = with_errors(card=card, errors={"a": "Mangler", "zz": "Generelt"}, values={"b": "typed"})
    a_field = next(el for el in shown["body"] if el.get("id") == "field:a")
    assert (
        a_field["items"][-1]["text"] == "Mangler" and a_field["items"][-1]["color"] == "Attention"
    )
    assert shown["body"][1]["id"] == "mus-form-errors"
    b_input = next(el for el in shown["body"] if el.get("id") == "field:b")["items"][0]
    assert b_input["value"] == "typed"
    again = with_errors(card=shown, errors={}, values={})
    assert "Mangler" not in json.dumps(again)  # old errors are cleared


def test_read_only_card_shows_what_was_submitted() -> None:
    form = Form(
        id="f",
        title="Spørgsmål",
        submit_label="Gem",
        inputs=(
            TextInput(id="a", label="Svar"),
            SelectInput(id="s", label="Valg", options=(Option(value="v1", label="Første"),)),
            DateTimeInput(id="d", label="Tid"),
        ),
    )
    card = read_only_card(
        card=form_card(form=form),
        values={"a": "*ja*", "s": "v1", "d__date": "2025-01-02", "d__time": "10:00"},
    )
    assert "actions" not in card
    assert texts(card) == [
        "Spørgsmål",
        "Svar",
        "\\*ja\\*",
        "Valg",
        "Første",
        "Tid",
        "2025-01-02 10:00",
    ]


# ---------------------------------------------------------------- files


def test_a_download_is_an_open_url_button_before_the_message_buttons() -> None:
    message = Message(
        to=ToActor(),
        text="Booket",
        blocks=(Paragraph("Booket"),),
        buttons=(Button("Markér som holdt", "booking.held", "1.2"),),
    )
    [card] = message_cards(
        message=message,
        owner="aad-lene",
        downloads=[Download(filename="mus-samtale.ics", url="https://mus.example.org/files/t/x")],
    )
    first, second = card["actions"]
    assert first == {
        "type": "Action.OpenUrl",
        "title": "Hent mus-samtale.ics",
        "url": "https://mus.example.org/files/t/x",
    }
    assert second["type"] == "Action.Submit" and second["data"]["mus_action"] == "booking.held"


def test_a_file_without_a_link_is_a_note_in_the_person_s_language() -> None:
    message = Message(to=ToActor(), text="Here", blocks=(Paragraph("Here"),))
    missing = [Download(filename="development-plan.txt", url=None)]
    [card] = message_cards(message=message, downloads=missing, locale="en-GB")
    assert "actions" not in card
    assert card["body"][-1]["text"] == escape_markdown(
        "The file cannot be downloaded here: development-plan.txt"
    )
    [danish] = message_cards(message=message, downloads=missing, locale=None)
    assert danish["body"][-1]["text"].startswith("Filen kan ikke hentes her: ")


# ---------------------------------------------------------------- accessibility and limits


def _inputs(card: dict[str, object]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []

    def walk(elements: object) -> None:
        for el in elements if isinstance(elements, list) else ():
            if str(el.get("type", "")).startswith("Input."):
                found.append(el)
            for key in ("items", "columns"):
                walk(el.get(key))

    walk(card.get("body"))
    return found


def test_every_input_has_a_label_the_time_input_too() -> None:
    form = Form(
        id="round.start",
        title="Start",
        submit_label="Start",
        inputs=(
            TextInput(id="a", label="Svar", multiline=True, max_length=10),
            DateInput(id="deadline", label="Frist"),
            DateTimeInput(id="kickoff", label="Opstart"),
            SelectInput(id="tpl", label="Skabelon", options=(Option(value="k", label="KK"),)),
            PeopleInput(id="leaders", label="Ledere", optional=True),
        ),
    )
    for locale, time_label in ((None, "Klokkeslæt"), ("en-GB", "Time")):
        inputs = _inputs(form_card(form=form, locale=locale))
        assert len(inputs) == 6
        assert all(isinstance(el.get("label"), str) and el["label"] for el in inputs)
        (time_input,) = [el for el in inputs if el["type"] == "Input.Time"]
        assert time_input["label"] == time_label


def test_an_overlong_answer_is_put_back_within_its_limit_and_the_rest_shown() -> None:
    form = Form(
        id="prep.answer",
        title="Spørgsmål",
        submit_label="Gem",
        inputs=(TextInput(id="answer", label="Svar", multiline=True, max_length=10),),
    )
    typed = "0123456789*resten*"
    shown = with_errors(
        card=form_card(form=form),
        errors={"answer": "For langt: 18 tegn, højst 10."},
        values={"answer": typed},
    )
    (answer,) = _inputs(shown)
    assert answer["value"] == "0123456789" and len(answer["value"]) <= answer["maxLength"]
    field = next(el for el in shown["body"] if el.get("id") == "field:answer")
    rest = [i["text"] for i in field["items"] if str(i.get("id", "")).startswith("cut:")]
    assert len(rest) == 1 and rest[0].endswith(escape_markdown("*resten*"))
    # Shown again with a text that fits: the note goes.
    fits = with_errors(card=shown, errors={}, values={"answer": "kort"})
    assert "cut:" not in json.dumps(fits)
