"""Neutral messages and forms as plain JSON for the page.

Everything stays text: the page inserts it with `textContent`, so nothing a person wrote can
become markup. The page knows only these shapes, which is why a flow added later shows up in
the web chat without touching the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conversations.messages import (
    Block,
    BulletList,
    Button,
    ChannelInput,
    DateInput,
    DateTimeInput,
    Divider,
    Fields,
    Form,
    Heading,
    HomeView,
    Input,
    Note,
    Paragraph,
    PeopleInput,
    Quote,
    SelectInput,
    TextInput,
)

JSON = dict[str, Any]


def block(item: Block) -> JSON:
    """One block; the `type` names are the page's vocabulary."""
    if isinstance(item, Heading):
        return {"type": "heading", "text": item.text}
    if isinstance(item, Paragraph):
        return {"type": "paragraph", "text": item.text}
    if isinstance(item, Quote):
        return {"type": "quote", "text": item.text, "label": item.label}
    if isinstance(item, Fields):
        return {"type": "fields", "items": [[label, value] for label, value in item.items]}
    if isinstance(item, BulletList):
        return {"type": "bullets", "items": list(item.items)}
    if isinstance(item, Note):
        return {"type": "note", "text": item.text}
    if isinstance(item, Divider):
        return {"type": "divider"}
    raise TypeError(f"unknown block {type(item).__name__}")


def button(item: Button) -> JSON:
    return {"label": item.label, "action": item.action, "value": item.value, "style": item.style}


def blocks(items: tuple[Block, ...]) -> list[JSON]:
    return [block(b) for b in items]


def home(view: HomeView) -> JSON:
    return {"blocks": blocks(view.blocks), "buttons": [button(b) for b in view.buttons]}


def _local(value: datetime, tz: ZoneInfo) -> str:
    """`YYYY-MM-DDTHH:MM` as a `datetime-local` input wants it, in the person's time zone."""
    if value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%dT%H:%M")


def field(item: Input, *, tz: ZoneInfo, people: list[JSON], channels: list[JSON]) -> JSON:
    """One input. Pickers carry their options, so the page needs no directory of its own."""
    common: JSON = {
        "id": item.id,
        "label": item.label,
        "hint": item.hint,
        "optional": item.optional,
    }
    if isinstance(item, TextInput):
        return {
            **common,
            "kind": "text",
            "multiline": item.multiline,
            "max_length": item.max_length,
            "initial": item.initial,
            "placeholder": item.placeholder,
        }
    if isinstance(item, DateInput):
        return {
            **common,
            "kind": "date",
            "initial": item.initial.isoformat() if item.initial else None,
        }
    if isinstance(item, DateTimeInput):
        return {
            **common,
            "kind": "datetime",
            "initial": _local(item.initial, tz) if item.initial else None,
        }
    if isinstance(item, SelectInput):
        return {
            **common,
            "kind": "select",
            "options": [{"value": o.value, "label": o.label} for o in item.options],
            "initial": item.initial,
        }
    if isinstance(item, PeopleInput):
        offered = [p for p in people if p.get("value") not in item.exclude]
        return {**common, "kind": "people", "options": offered, "initial": list(item.initial)}
    if isinstance(item, ChannelInput):
        return {**common, "kind": "channel", "options": channels, "initial": item.initial}
    raise TypeError(f"unknown input {type(item).__name__}")


def form(
    item: Form,
    *,
    tz: ZoneInfo,
    people: list[JSON],
    channels: list[JSON],
) -> JSON:
    return {
        "id": item.id,
        "title": item.title,
        "submit_label": item.submit_label,
        "state": item.state,
        "intro": blocks(item.intro),
        "inputs": [field(i, tz=tz, people=people, channels=channels) for i in item.inputs],
    }
