"""Neutral messages -> Slack Block Kit payloads.

Every string in a neutral message is plain text. We render it either as a `plain_text` object
(which Slack never parses for mentions or links) or, where Slack only offers `mrkdwn`, escaped
with `escape()` so `<!channel>`, `<@U123>` and `<https://x|y>` typed by a person stay text.

Slack's size limits are handled here and nowhere else, and never by failing on what a person
wrote: long text is split across sections, an over-long message becomes several messages
(`render_message` returns a list), a view over 100 blocks is cut with a visible note, and
labels Slack would reject are shortened with an ellipsis. Only identifiers the core chose
(button actions and values, form state, option values) can raise `RenderError`: those are
programming errors, and cutting them would change what a click means.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from conversations import i18n
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
ACTION_ID_MAX = 255
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

ACTION_INDEX_MARK = "~~"
"""Separates a button's neutral action from the index that makes its action_id unique."""

INPUT_ACTION_ID = "value"
"""The action_id of every input element; the block_id carries the neutral input id."""


class RenderError(ValueError):
    """A neutral message cannot be expressed in Slack without changing what it means."""


# ---------------------------------------------------------------- notes about Slack's limits
# The core does not know Slack's limits, so these notes are the adapter's to add; their words
# live with every other text, in the core's locale files (`surface.*`).

_LIMITS = {"view_cut": VIEW_BLOCKS_MAX, "form_cut": VIEW_BLOCKS_MAX, "options_cut": OPTIONS_MAX}


def note_text(locale: str | None, key: str, /, **values: Any) -> str:
    """A note about Slack's limits (or a form's timing), in the person's language."""
    values.setdefault("platform", "Slack")
    if key in _LIMITS:
        values.setdefault("limit", _LIMITS[key])
    return i18n.t(locale, f"surface.{key}", **values)


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
    """A mrkdwn object for text that is already escaped (and formatted by us).

    `verbatim` stops Slack's automatic parsing, which would otherwise turn a typed `@here`,
    `#channel` or bare URL into a live mention or link.
    """
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _context_note(text: str) -> JSON:
    return {"type": "context", "elements": [mrkdwn(escape(text))]}


# ---------------------------------------------------------------- blocks


def render_blocks(blocks: Sequence[Block]) -> list[JSON]:
    """Render neutral blocks to Block Kit blocks, splitting anything over Slack's limits."""
    out: list[JSON] = []
    for block in blocks:
        out.extend(_render_block(block))
    return out


def _sections(text: str, *, prefix: str = "") -> Iterator[JSON]:
    if not text.strip():  # Slack rejects a section with empty text
        return
    for piece in escaped_chunks(text, SECTION_TEXT_MAX - len(prefix)):
        yield {"type": "section", "text": mrkdwn(prefix + piece)}


def _render_block(block: Block) -> Iterator[JSON]:
    match block:
        case Heading(text=text):
            if not text.strip():
                return
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
            yield from _sections("\n".join(f"• {item}" for item in items))
        case Note(text=text):
            if not text.strip():
                return
            pieces = escaped_chunks(text, SECTION_TEXT_MAX)
            for start in range(0, len(pieces), CONTEXT_ELEMENTS_MAX):
                elements = [mrkdwn(p) for p in pieces[start : start + CONTEXT_ELEMENTS_MAX]]
                yield {"type": "context", "elements": elements}
        case Divider():
            yield {"type": "divider"}
        case _:
            assert_never(block)


def _render_quote(text: str, label: str | None) -> Iterator[JSON]:
    # Slack's quote marker must be a literal '>' (our markup); the person's text is escaped,
    # so a '>' they typed stays '&gt;'. Prefixing lines at most doubles a piece's length.
    head = f"*{escape(shorten(label, HEADER_MAX))}*\n" if label else ""
    if not text.strip():
        if head:
            yield {"type": "section", "text": mrkdwn(head.rstrip("\n"))}
        return
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
        for start in range(0, len(fields), FIELDS_PER_SECTION):
            yield {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}
        fields = []
        yield {"type": "section", "text": mrkdwn(f"*{escape(shorten(label, 200))}*")}
        yield from _sections(value)
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        yield {"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]}


# ---------------------------------------------------------------- buttons


def button_action_id(action: str, *, index: int, taken: set[str]) -> str:
    """The action_id for a button: its neutral action, made unique within one message.

    Slack rejects a message whose action_ids repeat, so a repeated action (or one that
    already contains the mark) gets `~~<index>` appended; `strip_action_index` undoes it.
    """
    if len(action) > ACTION_ID_MAX - len(ACTION_INDEX_MARK) - 4:
        raise RenderError(f"button action {action[:30]!r}… is too long for an action_id")
    action_id = action
    if action in taken or ACTION_INDEX_MARK in action or not action:
        action_id = f"{action}{ACTION_INDEX_MARK}{index}"
    taken.add(action_id)
    return action_id


def strip_action_index(action_id: str) -> str:
    """The neutral action of a button from its action_id (the inverse of `button_action_id`)."""
    head, mark, tail = action_id.rpartition(ACTION_INDEX_MARK)
    if mark and tail.isdigit():
        return head
    return action_id


def render_buttons(buttons: Sequence[Button]) -> list[JSON]:
    """Actions blocks (25 buttons each); action_id and value are the button's own."""
    taken: set[str] = set()
    elements: list[JSON] = []
    for index, button in enumerate(buttons):
        if len(button.value) > BUTTON_VALUE_MAX:
            raise RenderError(
                f"button value of {len(button.value)} chars exceeds {BUTTON_VALUE_MAX}"
            )
        element: JSON = {
            "type": "button",
            "action_id": button_action_id(button.action, index=index, taken=taken),
            "text": plain(button.label or "…", BUTTON_TEXT_MAX),
        }
        if button.value:  # Slack rejects an empty value; a missing one comes back as ""
            element["value"] = button.value
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
    text = escape(shorten(message.text, FALLBACK_TEXT_MAX)) if message.text.strip() else ""
    if not blocks:
        return [{"text": text or "…"}]
    return [
        {"text": text, "blocks": blocks[start : start + MESSAGE_BLOCKS_MAX]}
        for start in range(0, len(blocks), MESSAGE_BLOCKS_MAX)
    ]


def render_home(view: HomeView, *, locale: str | None = None) -> JSON:
    """A Home tab view. Over 100 blocks the overview is cut with a note, keeping its buttons."""
    actions = render_buttons(view.buttons)
    content = render_blocks(view.blocks)
    room = VIEW_BLOCKS_MAX - len(actions)
    if len(content) > room:
        content = [*content[: room - 1], _context_note(note_text(locale, "view_cut"))]
    return {"type": "home", "blocks": content + actions}


def render_private(message: Message, *, locale: str | None = None) -> JSON:
    """A read-only modal for a private message: Slack keeps no copy of it in the history."""
    content = render_blocks(message.blocks) or [mrkdwn(escape(message.text or "…"))]
    if len(content) > VIEW_BLOCKS_MAX:
        content = [*content[: VIEW_BLOCKS_MAX - 1], _context_note(note_text(locale, "view_cut"))]
    return {
        "type": "modal",
        "title": plain(shorten(message.text.strip() or "MUS", 24)),
        "close": plain(note_text(locale, "close")),
        "blocks": content,
    }


# ---------------------------------------------------------------- forms


@dataclass(frozen=True, slots=True, kw_only=True)
class FormOrigin:
    """Where a form was opened from, carried through the modal so the submission knows.

    A view_submission payload says nothing about the message or channel the form came from;
    the reply to it (the next question, updating the old one in place) needs exactly that.
    `tz` is the time zone datetime pickers were rendered in, to read them back the same way.
    """

    channel_id: str | None = None
    is_direct: bool = True
    message_ref: str | None = None
    tz: str | None = None


def encode_metadata(
    *, form_id: str, state: str, origin: FormOrigin, closes_at_once: bool = False
) -> str:
    """The modal's private_metadata: the form id, its opaque state, its origin, and whether
    the submission is acknowledged before the core runs (`Form.closes_at_once`)."""
    data: JSON = {"f": form_id, "s": state}
    if closes_at_once:
        data["q"] = 1
    if origin.channel_id:
        data["c"] = origin.channel_id
    if not origin.is_direct:
        data["d"] = 0
    if origin.message_ref:
        data["m"] = origin.message_ref
    if origin.tz:
        data["z"] = origin.tz
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(encoded) > PRIVATE_METADATA_MAX:
        raise RenderError(f"form state of {len(state)} chars does not fit private_metadata")
    return encoded


def decode_metadata(text: str, *, callback_id: str = "") -> tuple[str, str, FormOrigin]:
    """(form id, state, origin) from private_metadata; tolerant of views we did not render."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return callback_id, text, FormOrigin()
    origin = FormOrigin(
        channel_id=_str_or_none(data.get("c")),
        is_direct=data.get("d", 1) != 0,
        message_ref=_str_or_none(data.get("m")),
        tz=_str_or_none(data.get("z")),
    )
    return str(data.get("f") or callback_id), str(data.get("s") or ""), origin


def closes_at_once(text: str) -> bool:
    """`Form.closes_at_once`, as `encode_metadata` put it in the private_metadata."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("q") == 1


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def render_form(form: Form, *, origin: FormOrigin | None = None, locale: str | None = None) -> JSON:
    """A modal view; over 100 blocks the intro is cut first, with a note saying so."""
    origin = origin or FormOrigin()
    intro = render_blocks(form.intro)
    inputs = [render_input(i, tz=origin.tz, locale=locale) for i in form.inputs]
    if len(intro) + len(inputs) > VIEW_BLOCKS_MAX:
        room = VIEW_BLOCKS_MAX - 1
        inputs = inputs[:room]
        intro = [_context_note(note_text(locale, "form_cut")), *intro[: room - len(inputs)]]
    return {
        "type": "modal",
        "callback_id": form.id,
        "private_metadata": encode_metadata(
            form_id=form.id, state=form.state, origin=origin, closes_at_once=form.closes_at_once
        ),
        "title": plain(form.title or "MUS", MODAL_TITLE_MAX),
        "submit": plain(form.submit_label or "OK", MODAL_BUTTON_MAX),
        "blocks": intro + inputs,
    }


def render_input(item: Input, *, tz: str | None = None, locale: str | None = None) -> JSON:
    """An input block; block_id is the neutral input id, the element's action_id is fixed."""
    hints = [item.hint] if item.hint else []
    block: JSON = {
        "type": "input",
        "block_id": item.id,
        "label": plain(item.label, LABEL_MAX),
        "optional": item.optional,
        "element": _element(item, tz=tz, locale=locale, hints=hints),
    }
    if hints:
        block["hint"] = plain("\n".join(hints), HINT_MAX)
    return block


def _element(item: Input, *, tz: str | None, locale: str | None, hints: list[str]) -> JSON:
    element: JSON
    match item:
        case TextInput():
            limit = min(item.max_length or TEXT_INPUT_MAX, TEXT_INPUT_MAX)
            element = {"type": "plain_text_input", "multiline": item.multiline, "max_length": limit}
            if item.initial:
                element["initial_value"] = item.initial[:limit]
                if len(item.initial) > limit:
                    hints.insert(0, note_text(locale, "initial_cut", limit=str(limit)))
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
            element = _static_select(item, locale=locale, hints=hints)
        case PeopleInput():
            element = {"type": "multi_users_select"}
            if item.initial:
                element["initial_users"] = list(item.initial)
        case ChannelInput():
            # conversations_select so private channels the person is in can be picked too.
            element = {
                "type": "conversations_select",
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            }
            if item.initial:
                element["initial_conversation"] = item.initial
        case _:
            assert_never(item)
    element["action_id"] = INPUT_ACTION_ID
    return element


def _static_select(item: SelectInput, *, locale: str | None, hints: list[str]) -> JSON:
    if not item.options:
        raise RenderError(f"select {item.id!r} has no options")
    shown = item.options[:OPTIONS_MAX]
    if len(item.options) > OPTIONS_MAX:
        hints.append(note_text(locale, "options_cut"))
    options = []
    for option in shown:
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
        moment = moment.replace(tzinfo=zone(tz))
    return int(moment.timestamp())


DEFAULT_TZ = "Europe/Copenhagen"
"""The core's default zone too: both sides read a datetime picker the same way."""


def zone(name: str | None) -> ZoneInfo:
    """The person's time zone, or the default when Slack did not say or named an unknown one."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def render_errors(errors: FormErrors) -> JSON:
    """The `view_submission` ack body that shows errors next to the inputs, keeping the form."""
    return {
        "response_action": "errors",
        "errors": {key: shorten(text, LABEL_MAX) for key, text in errors.errors.items()},
    }


__all__ = [
    "FormOrigin",
    "RenderError",
    "decode_metadata",
    "encode_metadata",
    "escape",
    "render_blocks",
    "render_buttons",
    "render_errors",
    "render_form",
    "render_home",
    "render_input",
    "render_message",
    "strip_action_index",
]
