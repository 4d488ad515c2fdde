"""Neutral blocks and inputs as plain lines: how the in-process platform "shows" a message.

Tests read a message the way a person would read it, so this is a renderer like the others,
and like them it ends in `assert_never`: a new block or input type fails type checking here
instead of silently vanishing from what tests can see.
"""

from __future__ import annotations

from typing import assert_never

from conversations.messages import (
    Block,
    BulletList,
    ChannelInput,
    DateInput,
    DateTimeInput,
    Divider,
    Fields,
    Heading,
    Input,
    Note,
    Paragraph,
    PeopleInput,
    Quote,
    SelectInput,
    TextInput,
)

DIVIDER = "———"


def block_lines(block: Block) -> list[str]:
    """One block as the lines a reader sees."""
    match block:
        case Heading(text=text) | Paragraph(text=text) | Note(text=text):
            return [text]
        case Quote(text=text, label=label):
            return [f"{label or ''}: {text}"]
        case Fields(items=items):
            return [f"{k}: {v}" for k, v in items]
        case BulletList(items=items):
            return list(items)
        case Divider():
            return [DIVIDER]
        case _:
            assert_never(block)


def input_line(item: Input) -> str:
    """One form input as a line: its label and what kind of answer it takes."""
    match item:
        case TextInput():
            kind = "text (multiline)" if item.multiline else "text"
            initial = item.initial
        case DateInput():
            kind, initial = "date", item.initial.isoformat() if item.initial else None
        case DateTimeInput():
            kind, initial = "date and time", item.initial.isoformat() if item.initial else None
        case SelectInput():
            kind = "one of: " + ", ".join(o.label for o in item.options)
            initial = item.initial
        case PeopleInput():
            kind, initial = "people", ", ".join(item.initial) or None
        case ChannelInput():
            kind, initial = "a channel", item.initial
        case _:
            assert_never(item)
    line = f"{item.label} [{kind}]"
    return f"{line} = {initial}" if initial else line
