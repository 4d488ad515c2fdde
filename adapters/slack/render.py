"""Neutral messages -> Slack Block Kit payloads.

Every string in a neutral message is plain text. We render it either as a `plain_text` object
(which Slack never parses for mentions or links) or, where Slack only offers `mrkdwn`, escaped
with `escape()` so `<!channel>`, `<@U123>` and `<https://x|y>` typed by a person stay text.

Slack's size limits are handled here and nowhere else: long text is split across sections, an
over-long message becomes several messages (`render_message` returns a list), and labels
Slack truncates anyway are shortened with an ellipsis. What cannot be split without changing
meaning (button values, form state, too many select options) raises `RenderError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
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
    FormErrors,
    Heading,
    HomeView,
    Input,
    Message,
    Note,
    Paragraph,
    PeopleInput,
    Quote,
    SelectInput,
    TextInput,
)

JSON = dict[str, Any]

# Slack's documented limits (https://api.slack.com/reference/block-kit).
SECTION_TEXT_MAX = 3000
HEADER_MAX = 150
FIELD_MAX = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS_MAX = 10
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
LABEL_MAX = 2000
HINT_MAX = 2000
PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 24
MODAL_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
TEXT_INPUT_MAX = 3000
FALLBACK_TEXT_MAX = 3000
QUOTE_PIECE_MAX = 1000  # raw chars per quoted section: <= 2000 quoted + an escaped label

ACTION_PREFIX = "mus:btn:"
"""Our buttons' action_id prefix; the index keeps action_ids unique within a message."""

INPUT_ACTION_ID = "value"
"""The action_id of every input element; the block_id carries the neutral input id."""


class RenderError(ValueError):
    """A neutral message cannot be expressed in Slack without losing meaning."""


# ---------------------------------------------------------------- text helpers


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis: for labels Slack would reject as too long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, preferring line and word breaks."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            pieces.append(rest[:limit])
            rest = rest[limit:]
        else:  # the break character itself is dropped: the section boundary replaces it
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def escaped_chunks(text: str, limit: int) -> list[str]:
    """Escape, then split so that each escaped piece fits and no entity is cut in half."""
    out: list[str] = []
    for piece in chunks(text, limit):
        escaped = escape(piece)
        growth = len(escaped) - len(piece)
        if growth == 0 or len(escaped) <= limit:
            out.append(escaped)
            continue
        # Escaping grows a character at most fivefold, so this raw length always fits.
        smaller = max(limit - growth, limit // 5)
        out.extend(escape(p) for p in chunks(piece, smaller))
    return out


def plain(text: str, limit: int | None = None) -> JSON:
    """A plain_text object: Slack shows it verbatim, so no escaping is needed."""
    return {"type": "plain_text", "text": shorten(text, limit) if limit else text, "emoji": True}


def mrkdwn(text: str) -> JSON:
    """A mrkdwn object for text that is already escaped (and formatted by us)."""
    return {"type": "mrkdwn", "text": text}


# ---------------------------------------------------------------- blocks


def render_blocks(blocks: Sequence[Block]) -> list[JSON]:
    """Render neutral blocks to Block Kit blocks, splitting anything over Slack's limits."""
    out: list[JSON] = []
    for block in blocks:
        out.extend(_render_block(block))
    return out


def _sections(text: str, *, prefix: str = "") -> Iterator[JSON]:
    for piece in escaped_chunks(text, SECTION_TEXT_MAX - len(prefix)):
        yield {"type": "section", "text": mrkdwn(prefix + piece)}


def _render_block(block: Block) -> Iterator[JSON]:
    match block:
        case Heading(text=text):
            if len(text) <= HEADER_MAX:
                yield {"type": "header", "text": plain(text)}
            else:  # too long for a header: keep every word, lose the large type
                for piece in chunks(text, SECTION_TEXT_MAX):
                    yield {"type": "section", "text": plain(piece)}
        case Paragraph(text=text):
            yield from _sections(text)
        case Quote(text=text, label=label):
            yield from _render_quote(text, label)
        case Fields(items=items):
            yield from _render_fields(items)
        case BulletList(items=items):
            lines = "\n".join(f"• {item}" for item in items)
            yield from _sections(lines)
        case Note(text=text):
            pieces = escaped_chunks(text, SECTION_TEXT_MAX)
            for start in range(0, len(pieces), CONTEXT_ELEMENTS_MAX):
                elements = [mrkdwn(p) for p in pieces[start : start + CONTEXT_ELEMENTS_MAX]]
                yield {"type": "context", "elements": elements}
        case Divider():
            yield {"type": "divider"}


def _render_quote(text: str, label: str | None) -> Iterator[JSON]:
    # Slack's quote marker must be a literal '>' (our markup); the person's text is escaped,
    # so a '>' they typed stays '&gt;'. Prefixing lines at most doubles a piece's length.
    head = f"*{escape(shorten(label, HEADER_MAX))}*\n" if label else ""
    for piece in escaped_chunks(text, QUOTE_PIECE_MAX):
        quoted = "\n".join(f">{line}" for line in piece.split("\n"))
        yield {"type": "section", "text": mrkdwn(head + quoted)}
        head = ""


def _render_fields(items: Sequence[tuple[str, str]]) -> Iterator[JSON]:
    fields: list[JSON] = []
    for label, value in items:
        text = f"*{escape(label)}*\n{escape(value)}"
        if len(text) <= FIELD_MAX:
            fields.append(mrkdwn(text))
            continue
        # A value too long for a field gets its own sections, keeping the order.
        if fields:
            yield {"type": "section", "fields": fields}
            fields = []
        yield {"type": "section", "text": mrkdwn(f"*{escape(shorten(label, 200))}*")}
        yield from _sections(value)
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        yield {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}


# ---------------------------------------------------------------- buttons


def encode_button_value(*, action: str, value: str) -> str:
    """The Slack `value` of a button: the neutral (action, value) pair, as compact JSON."""
    encoded = json.dumps([action, value], ensure_ascii=False, separators=(",", ":"))
    if len(encoded) > BUTTON_VALUE_MAX:
        raise RenderError(f"button value of {len(encoded)} chars exceeds {BUTTON_VALUE_MAX}")
    return encoded


def render_buttons(buttons: Sequence[Button]) -> list[JSON]:
    """Actions blocks (25 buttons each) whose action_ids are unique within the message."""
    elements: list[JSON] = []
    for index, button in enumerate(buttons):
        element: JSON = {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{index}",
            "text": plain(button.label, BUTTON_TEXT_MAX),
            "value": encode_button_value(action=button.action, value=button.value),
        }
        if button.style != "default":
            element["style"] = button.style
        elements.append(element)
    return [
        {"type": "actions", "elements": elements[start : start + ACTIONS_ELEMENTS_MAX]}
        for start in range(0, len(elements), ACTIONS_ELEMENTS_MAX)
    ]


# ---------------------------------------------------------------- messages


def render_message(message: Message) -> list[JSON]:
    """`chat.postMessage` kwargs (text, blocks) for a message; several if it is too long.

    Buttons always land in the last payload, so the message a button sits on is the last one.
    """
    blocks = render_blocks(message.blocks) + render_buttons(message.buttons)
    text = escape(shorten(message.text, FALLBACK_TEXT_MAX)) if message.text else ""
    if not blocks:
        return [{"text": text or " "}]
    payloads: list[JSON] = []
    for start in range(0, len(blocks), MESSAGE_BLOCKS_MAX):
        payloads.append({"text": text, "blocks": blocks[start : start + MESSAGE_BLOCKS_MAX]})
    return payloads


def render_home(view: HomeView) -> JSON:
    """A Home tab view. Over 100 blocks the overview is cut, keeping its buttons."""
    actions = render_buttons(view.buttons)
    content = render_blocks(view.blocks)[: VIEW_BLOCKS_MAX - len(actions)]
    return {"type": "home", "blocks": content + actions}


# ---------------------------------------------------------------- forms


def render_form(form: Form, *, tz: str | None = None) -> JSON:
    """A modal view. `tz` is the person's time zone, used for naive initial datetimes."""
    if len(form.state) > PRIVATE_METADATA_MAX:
        raise RenderError(f"form state of {len(form.state)} chars exceeds {PRIVATE_METADATA_MAX}")
    blocks = render_blocks(form.intro) + [render_input(i, tz=tz) for i in form.inputs]
    if len(blocks) > VIEW_BLOCKS_MAX:
        raise RenderError(f"form {form.id!r} has {len(blocks)} blocks, Slack allows 100")
    return {
        "type": "modal",
        "callback_id": form.id,
        "private_metadata": form.state,
        "title": plain(form.title, MODAL_TITLE_MAX),
        "submit": plain(form.submit_label, MODAL_BUTTON_MAX),
        "blocks": blocks,
    }


def render_input(item: Input, *, tz: str | None = None) -> JSON:
    """An input block; block_id is the neutral input id, the element's action_id is fixed."""
    block: JSON = {
        "type": "input",
        "block_id": item.id,
        "label": plain(item.label, LABEL_MAX),
        "optional": item.optional,
        "element": _element(item, tz=tz),
    }
    if item.hint:
        block["hint"] = plain(item.hint, HINT_MAX)
    return block


def _element(item: Input, *, tz: str | None) -> JSON:
    element: JSON
    match item:
        case TextInput():
            limit = min(item.max_length or TEXT_INPUT_MAX, TEXT_INPUT_MAX)
            element = {"type": "plain_text_input", "multiline": item.multiline, "max_length": limit}
            if item.initial:
                element["initial_value"] = item.initial[:limit]
            if item.placeholder:
                element["placeholder"] = plain(item.placeholder, PLACEHOLDER_MAX)
        case DateInput():
            element = {"type": "datepicker"}
            if item.initial:
                element["initial_date"] = item.initial.isoformat()
        case DateTimeInput():
            element = {"type": "datetimepicker"}
            if item.initial:
                element["initial_date_time"] = _epoch(item.initial, tz=tz)
        case SelectInput():
            element = _static_select(item)
        case PeopleInput():
            element = {"type": "multi_users_select"}
            if item.initial:
                element["initial_users"] = list(item.initial)
        case ChannelInput():
            # conversations_select so private channels the bot is in can be picked too.
            element = {
                "type": "conversations_select",
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            }
            if item.initial:
                element["initial_conversation"] = item.initial
    element["action_id"] = INPUT_ACTION_ID
    return element


def _static_select(item: SelectInput) -> JSON:
    if not item.options:
        raise RenderError(f"select {item.id!r} has no options")
    if len(item.options) > OPTIONS_MAX:
        raise RenderError(f"select {item.id!r} has {len(item.options)} options, Slack allows 100")
    options = []
    for option in item.options:
        if len(option.value) > OPTION_VALUE_MAX:
            raise RenderError(f"option value {option.value[:20]!r}… exceeds {OPTION_VALUE_MAX}")
        options.append({"text": plain(option.label, OPTION_TEXT_MAX), "value": option.value})
    element: JSON = {"type": "static_select", "options": options}
    for option_json in options:
        if option_json["value"] == item.initial:
            element["initial_option"] = option_json
    return element


def _epoch(moment: datetime, *, tz: str | None) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz) if tz else UTC)
    return int(moment.timestamp())


def render_errors(errors: FormErrors) -> JSON:
    """The `view_submission` ack body that shows errors next to the inputs, keeping the form."""
    return {
        "response_action": "errors",
        "errors": {key: shorten(text, LABEL_MAX) for key, text in errors.errors.items()},
    }
