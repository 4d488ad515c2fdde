"""Every neutral block and input type renders to something on every adapter.

The renderers end in `typing.assert_never`, so a new block or input type added to
`conversations.messages` fails type checking until each of them draws it; this test fails
until it has a sample of the new type, and then checks that no adapter draws it as nothing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from adapters.inproc.render import block_lines, input_line
from adapters.slack import render as slack
from adapters.teams import cards as teams
from adapters.webchat import render as webchat
from conversations import messages as m

UTC = ZoneInfo("UTC")

BLOCKS: dict[type, m.Block] = {
    m.Heading: m.Heading("Overskrift-7"),
    m.Paragraph: m.Paragraph("Afsnit-7"),
    m.Quote: m.Quote("Citat-7", label="Spørgsmål-7"),
    m.Fields: m.Fields((("Frist-7", "4.12.2026"),)),
    m.BulletList: m.BulletList(("Punkt-7",)),
    m.Note: m.Note("Note-7"),
    m.Divider: m.Divider(),
}

INPUTS: dict[type, m.Input] = {
    m.TextInput: m.TextInput(id="in-text", label="Tekst-7", initial="x"),
    m.DateInput: m.DateInput(id="in-date", label="Dato-7", initial=date(2026, 12, 4)),
    m.DateTimeInput: m.DateTimeInput(
        id="in-datetime", label="Tid-7", initial=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    ),
    m.SelectInput: m.SelectInput(
        id="in-select", label="Valg-7", options=(m.Option(value="a", label="A-7"),)
    ),
    m.PeopleInput: m.PeopleInput(id="in-people", label="Folk-7", initial=("U1",)),
    m.ChannelInput: m.ChannelInput(id="in-channel", label="Kanal-7", initial="C1"),
}


def test_there_is_a_sample_of_every_block_and_input_type() -> None:
    assert set(BLOCKS) == set(get_args(m.Block)), "add a sample of the new block type"
    assert set(INPUTS) == set(get_args(m.Input)), "add a sample of the new input type"


def _text(block: m.Block) -> str | None:
    """What a reader should find of the block, if it holds text."""
    match block:
        case m.Heading(text=t) | m.Paragraph(text=t) | m.Note(text=t) | m.Quote(text=t):
            return t
        case m.Fields(items=items):
            return items[0][0]
        case m.BulletList(items=items):
            return items[0]
    return None


def _block_on(adapter: str, block: m.Block) -> Any:
    if adapter == "slack":
        return slack.render_blocks([block])
    if adapter == "slack-home":
        return slack.render_home(m.HomeView(user_id="U1", blocks=(block,)))["blocks"]
    if adapter == "teams":
        card = teams.message_cards(message=m.Message(to=m.ToActor(), text="", blocks=(block,)))
        return [el for c in card for el in c["body"]]
    if adapter == "webchat":
        return webchat.block(block)
    if adapter == "inproc":
        return block_lines(block)
    raise AssertionError(adapter)


ADAPTERS = ["slack", "slack-home", "teams", "webchat", "inproc"]


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("kind", list(BLOCKS), ids=lambda k: k.__name__)
def test_every_block_renders_to_something(adapter: str, kind: type) -> None:
    block = BLOCKS[kind]
    rendered = _block_on(adapter, block)
    assert rendered, f"{kind.__name__} renders as nothing on {adapter}"
    text = _text(block)
    if text is not None:
        assert text in json.dumps(rendered, ensure_ascii=False), f"{kind.__name__} lost its text"


def _input_on(adapter: str, item: m.Input) -> Any:
    form = m.Form(id="f", title="Formular", submit_label="Gem", inputs=(item,))
    if adapter == "slack":
        return slack.render_input(item, tz="Europe/Copenhagen", locale="da")
    if adapter == "slack-modal":
        return slack.render_form(form)["blocks"]
    if adapter == "teams":
        body = teams.form_card(form=form, channels=[("C1", "team")])["body"]
        return [el for el in body if item.id in json.dumps(el)]
    if adapter == "webchat":
        return webchat.field(item, tz=UTC, people=[], channels=[])
    if adapter == "inproc":
        return input_line(item)
    raise AssertionError(adapter)


@pytest.mark.parametrize("adapter", ["slack", "slack-modal", "teams", "webchat", "inproc"])
@pytest.mark.parametrize("kind", list(INPUTS), ids=lambda k: k.__name__)
def test_every_input_renders_to_something_with_its_label(adapter: str, kind: type) -> None:
    item = INPUTS[kind]
    rendered = _input_on(adapter, item)
    assert rendered, f"{kind.__name__} renders as nothing on {adapter}"
    assert item.label in json.dumps(rendered, ensure_ascii=False), f"{kind.__name__} lost its label"
