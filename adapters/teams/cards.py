"""Neutral messages and forms -> Adaptive Card 1.5 JSON (plain dicts, no SDK types).

Cards are dicts so they can be stored (a form card is kept to re-show it with errors) and
asserted on in tests. All neutral text goes through `escape_markdown` where Teams would read
markdown; see `adapters.teams.escape` for the exact rules.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, assert_never

from adapters.teams.escape import escape_markdown
from adapters.teams.files import Download, words
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
    Input,
    Message,
    Note,
    Paragraph,
    PeopleInput,
    Quote,
    SelectInput,
    TextInput,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
# Teams rejects an activity above ~28 KB (text + attachments + envelope); keep every card
# comfortably below that and split a long message into several cards.
MAX_CARD_BYTES = 20_000
# A single text element longer than this is cut into several elements before packing.
MAX_TEXT_CHARS = 4_000

# Keys the adapter puts into submit data; translate.py reads them back. They are prefixed
# because Action.Submit merges the card's input values into the same object: an input called
# "action" or "value" must never be able to pose as the button that was pressed.
ACTION_KEY = "mus_action"
VALUE_KEY = "mus_value"
FORM_KEY = "mus_form"
STATE_KEY = "mus_state"
OWNER_KEY = "mus_owner"  # user id of the only person whose submits count (security check)
MULTI_KEY = "mus_multi"  # ids of multi-select inputs (comma-joined by Teams)
DATETIME_KEY = "mus_datetime"  # ids of date+time pairs
DATE_SUFFIX = "__date"
TIME_SUFFIX = "__time"
FIELD_PREFIX = "field:"
FORM_ERROR_ID = "mus-form-errors"
# The overview card's Universal Actions `refresh`: Teams sends an `adaptiveCard/action` invoke
# with this verb whenever one of `userIds` looks at the card, and shows the card answered.
REFRESH_VERB = "mus_home_refresh"

ActionStyle = Literal["submit", "execute"]
Card = dict[str, Any]
Element = dict[str, Any]

_BUTTON_STYLE = {"default": "default", "primary": "positive", "danger": "destructive"}


def card_attachment(card: Card) -> dict[str, Any]:
    """The Bot Framework attachment wrapping a card."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def card_size(card: Card) -> int:
    """UTF-8 size of the card JSON, which is what counts against the Teams limit."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


# ---------------------------------------------------------------- messages


def message_cards(
    *,
    message: Message,
    action_style: ActionStyle = "submit",
    owner: str | None = None,
    downloads: Sequence[Download] = (),
    locale: str | None = None,
) -> list[Card]:
    """Render a message as one or more cards, each below `MAX_CARD_BYTES`.

    Buttons go on the last card, so they sit under the whole text. `owner` is the user id
    allowed to press them (None in a channel, where every member may). `downloads` are the
    message's attachments as links (an `Action.OpenUrl` each, before the buttons) or, without
    a link, a note under the text; `locale` picks the language of those.
    """
    elements = [el for block in message.blocks for el in _block_elements(block)]
    if not elements:
        elements = [_text(escape_markdown(part), wrap=True) for part in _chunks(message.text)]
    elements += [
        _text(
            escape_markdown(words(locale, "unavailable", filename=d.filename)),
            size="Small",
            isSubtle=True,
            wrap=True,
        )
        for d in downloads
        if d.url is None
    ]
    actions = [_open_url(d, locale=locale) for d in downloads if d.url is not None]
    actions += [_button_action(b, action_style=action_style, owner=owner) for b in message.buttons]
    return _pack(elements, actions=actions)


def _open_url(download: Download, *, locale: str | None) -> Element:
    """A button that opens the file's link in the browser (which then downloads it)."""
    return {
        "type": "Action.OpenUrl",
        "title": words(locale, "download", filename=download.filename),
        "url": download.url,
    }


def _pack(elements: Sequence[Element], *, actions: list[Element]) -> list[Card]:
    cards: list[Card] = []
    current: list[Element] = []
    for element in elements:
        trial = _card([*current, element])
        if current and card_size(trial) > MAX_CARD_BYTES:
            cards.append(_card(current))
            current = [element]
        else:
            current.append(element)
    last = _card(current, actions=actions)
    if cards and card_size(last) > MAX_CARD_BYTES:
        cards.append(_card(current))
        last = _card([], actions=actions)
    cards.append(last)
    return cards


def _card(body: Sequence[Element], *, actions: Sequence[Element] = ()) -> Card:
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": list(body),
    }
    if actions:
        card["actions"] = list(actions)
    return card


def _chunks(text: str, size: int = MAX_TEXT_CHARS) -> list[str]:
    """Cut text at line or word boundaries into pieces of at most `size` characters."""
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        if cut <= 0:
            cut = rest.rfind(" ", 0, size)
        if cut <= 0:
            cut = size
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return pieces


def _text(text: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": text, **props}


def _block_elements(block: Block) -> list[Element]:
    match block:
        case Heading(text=text):
            return [_text(escape_markdown(text), size="Large", weight="Bolder", wrap=True)]
        case Paragraph(text=text):
            return [_text(escape_markdown(p), wrap=True) for p in _chunks(text)]
        case Quote(text=text, label=label):
            return [
                _quote(part, label=label if i == 0 else None)
                for i, part in enumerate(_chunks(text))
            ]
        case Fields(items=items):
            facts = [{"title": escape_markdown(k), "value": escape_markdown(v)} for k, v in items]
            return [{"type": "FactSet", "facts": facts}]
        case BulletList(items=items):
            # One TextBlock per item with a literal bullet: markdown lists would need the
            # item text unescaped at line start, and per-item blocks wrap cleanly.
            return [
                _text("• " + escape_markdown(item), wrap=True, spacing="Small") for item in items
            ]
        case Note(text=text):
            return [_text(escape_markdown(text), size="Small", isSubtle=True, wrap=True)]
        case Divider():
            return [{"type": "Container", "separator": True, "spacing": "Medium", "items": []}]
        case _:
            assert_never(block)


def _quote(text: str, *, label: str | None) -> Element:
    items: list[Element] = []
    if label:
        items.append(_text(escape_markdown(label), weight="Bolder", size="Small", wrap=True))
    items.append(_text(escape_markdown(text), wrap=True, isSubtle=False))
    return {"type": "Container", "style": "emphasis", "items": items}


def _button_action(button: Button, *, action_style: ActionStyle, owner: str | None) -> Element:
    data: dict[str, Any] = {ACTION_KEY: button.action, VALUE_KEY: button.value}
    if owner is not None:
        data[OWNER_KEY] = owner
    action: Element = {"title": button.label, "data": data}
    if button.private:
        # Opens a dialog (task module) that shows the private view; Teams keeps no copy of
        # a dialog in the chat. Only Action.Submit can open one.
        action["type"] = "Action.Submit"
        data["msteams"] = {"type": "task/fetch"}
    elif action_style == "execute":
        action.update(type="Action.Execute", verb=button.action)
    else:
        action["type"] = "Action.Submit"
    if button.style != "default":
        action["style"] = _BUTTON_STYLE[button.style]
    return action


def with_refresh(card: Card, *, owner: str, user_ids: Sequence[str]) -> Card:
    """`card` that Teams refreshes when one of `user_ids` (Teams user MRIs, ``29:…``) views it.

    The refresh is an Action.Execute with `REFRESH_VERB`; its data names the card's `owner`
    (our user id), so an invoke by anyone else is ignored like a button press would be. An
    empty `user_ids` makes Teams offer "Refresh card" in the card's menu instead.
    """
    refreshed = copy.deepcopy(card)
    refreshed["refresh"] = {
        "action": {
            "type": "Action.Execute",
            "title": "Refresh",
            "verb": REFRESH_VERB,
            "data": {OWNER_KEY: owner},
        },
        "userIds": list(user_ids),
    }
    return refreshed


def merged_card(cards: Sequence[Card]) -> Card:
    """Several cards of one message as one (an invoke answers with a single card)."""
    if len(cards) == 1:
        return cards[0]
    merged = {**cards[-1], "body": [element for card in cards for element in card.get("body", [])]}
    return merged


def dialog_response(*, title: str | None, card: Card | None, fallback: str) -> dict[str, Any]:
    """The answer to a task/fetch invoke: the private view as a dialog, or a short text."""
    if card is None or title is None:
        return {"task": {"type": "message", "value": fallback}}
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title[:100],
                "width": "large",
                "height": "large",
                "card": {"contentType": CARD_CONTENT_TYPE, "content": card},
            },
        }
    }


# ---------------------------------------------------------------- forms


def form_card(
    *,
    form: Form,
    action_style: ActionStyle = "submit",
    channels: Sequence[tuple[str, str]] = (),
    owner: str | None = None,
    locale: str | None = None,
) -> Card:
    """Render a form as a card with one submit action carrying the form id and state.

    `channels` are (id, name) pairs offered by a `ChannelInput`; Teams has no channel picker,
    so without them the input falls back to a text field for a channel id. `owner` is the user
    id whose submit counts: a form card in a shared chat must not be answerable by others.
    """
    body: list[Element] = [
        _text(escape_markdown(form.title), size="Large", weight="Bolder", wrap=True)
    ]
    body += [el for block in form.intro for el in _block_elements(block)]
    for field in form.inputs:
        body.append(_field(field, channels=channels, locale=locale))
    multi = [f.id for f in form.inputs if isinstance(f, PeopleInput)]
    pairs = [f.id for f in form.inputs if isinstance(f, DateTimeInput)]
    data: dict[str, Any] = {FORM_KEY: form.id, STATE_KEY: form.state}
    if owner is not None:
        data[OWNER_KEY] = owner
    if multi:
        data[MULTI_KEY] = multi
    if pairs:
        data[DATETIME_KEY] = pairs
    submit: Element = {"title": form.submit_label, "data": data, "style": "positive"}
    if action_style == "execute":
        submit.update(type="Action.Execute", verb=FORM_KEY)
    else:
        submit["type"] = "Action.Submit"
    return _card(body, actions=[submit])


def _field(
    field: Input, *, channels: Sequence[tuple[str, str]], locale: str | None = None
) -> Element:
    """One neutral input as a Container (id `field:<input id>`) so errors can be placed under it."""
    items = _input_elements(field, channels=channels, locale=locale)
    if field.hint:
        items.append(
            _text(
                escape_markdown(field.hint), size="Small", isSubtle=True, wrap=True, spacing="None"
            )
        )
    return {"type": "Container", "id": FIELD_PREFIX + field.id, "items": items}


def _common(field: Input) -> Element:
    return {"id": field.id, "label": field.label, "isRequired": not field.optional}


def _input_elements(
    field: Input, *, channels: Sequence[tuple[str, str]], locale: str | None = None
) -> list[Element]:
    match field:
        case TextInput():
            el = {"type": "Input.Text", **_common(field), "isMultiline": field.multiline}
            if field.max_length is not None:
                el["maxLength"] = field.max_length
            if field.initial is not None:
                el["value"] = field.initial
            if field.placeholder is not None:
                el["placeholder"] = field.placeholder
            return [el]
        case DateInput():
            el = {"type": "Input.Date", **_common(field)}
            if field.initial is not None:
                el["value"] = field.initial.isoformat()
            return [el]
        case DateTimeInput():
            date_el: Element = {
                "type": "Input.Date",
                "id": field.id + DATE_SUFFIX,
                "label": field.label,
                "isRequired": not field.optional,
            }
            time_el: Element = {
                "type": "Input.Time",
                "id": field.id + TIME_SUFFIX,
                "label": words(locale, "time"),  # every input has a label (screen readers)
                "isRequired": not field.optional,
            }
            if field.initial is not None:
                date_el["value"] = field.initial.date().isoformat()
                time_el["value"] = field.initial.strftime("%H:%M")
            return [
                {
                    "type": "ColumnSet",
                    "columns": [
                        {"type": "Column", "width": "stretch", "items": [date_el]},
                        {
                            "type": "Column",
                            "width": "stretch",
                            "verticalContentAlignment": "Bottom",
                            "items": [time_el],
                        },
                    ],
                }
            ]
        case SelectInput():
            el = {
                "type": "Input.ChoiceSet",
                **_common(field),
                "style": "compact",
                "choices": [{"title": o.label, "value": o.value} for o in field.options],
            }
            if field.initial is not None:
                el["value"] = field.initial
            return [el]
        case PeopleInput():
            # Teams' people picker: a ChoiceSet whose choices come from Microsoft Graph users
            # of the tenant; values are AAD object ids (the adapter's user ids), comma-joined.
            el = {
                "type": "Input.ChoiceSet",
                **_common(field),
                "isMultiSelect": True,
                "choices": [],
                "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
            }
            if field.initial:
                el["value"] = ",".join(field.initial)
            return [el]
        case ChannelInput():
            if channels:
                el = {
                    "type": "Input.ChoiceSet",
                    **_common(field),
                    "style": "compact",
                    "choices": [{"title": name, "value": cid} for cid, name in channels],
                }
            else:
                el = {"type": "Input.Text", **_common(field)}
            if field.initial is not None:
                el["value"] = field.initial
            return [el]
        case _:
            assert_never(field)


def with_errors(
    *,
    card: Card,
    errors: Mapping[str, str],
    values: Mapping[str, Any],
    locale: str | None = None,
) -> Card:
    """The stored form card again, filled with what was submitted and showing `errors`.

    Errors for an input id appear under that input; errors for ids not on the card appear
    at the top. Nothing the person typed is lost: every submitted value is put back, and a
    text longer than its input's `maxLength` (Teams would not show or send more) is put back
    cut to that length, the rest shown under the input to be moved.
    """
    out = copy.deepcopy(card)
    body: list[Element] = [el for el in out.get("body", []) if el.get("id") != FORM_ERROR_ID]
    placed: set[str] = set()
    cut: dict[str, str] = {}  # input id -> the text that did not fit
    for element in _walk(body):
        eid = element.get("id")
        if isinstance(eid, str) and element.get("type", "").startswith("Input.") and eid in values:
            value = values[eid]
            value = ",".join(value) if isinstance(value, list | tuple) else value
            limit = element.get("maxLength")
            if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
                value, cut[eid] = value[:limit], value[limit:]
            element["value"] = value
        if isinstance(eid, str) and eid.startswith(FIELD_PREFIX):
            field_id = eid[len(FIELD_PREFIX) :]
            items = [
                i
                for i in element.get("items", [])
                if not i.get("id", "").startswith(("error:", "cut:"))
            ]
            if field_id in errors:
                items.append(_error(errors[field_id], id="error:" + field_id))
                placed.add(field_id)
            element["items"] = items
    for element in _walk(body):
        eid = element.get("id")
        if isinstance(eid, str) and eid.startswith(FIELD_PREFIX):
            left_over = cut.get(eid[len(FIELD_PREFIX) :])
            if left_over:
                text = escape_markdown(words(locale, "cut", rest=left_over))
                element["items"].append(_text(text, id="cut:" + eid, wrap=True, isSubtle=True))
    rest = [msg for key, msg in errors.items() if key not in placed]
    if rest:
        banner = {"type": "Container", "id": FORM_ERROR_ID, "items": [_error(m) for m in rest]}
        body.insert(1 if body else 0, banner)
    out["body"] = body
    return out


def _error(text: str, **props: Any) -> Element:
    return _text(escape_markdown(text), color="Attention", wrap=True, spacing="Small", **props)


def _walk(elements: Iterable[Element]) -> Iterable[Element]:
    for element in elements:
        yield element
        for key in ("items", "columns"):
            children = element.get(key)
            if isinstance(children, list):
                yield from _walk(children)


def read_only_card(*, card: Card, values: Mapping[str, Any]) -> Card:
    """The stored form card after a successful submit: what was sent, with no inputs left.

    Teams keeps a card's inputs live after a submit (unlike a Slack modal, which closes), so
    the form is replaced by this copy; a second submit of the same form is then impossible.
    """
    body = list(card.get("body", []))
    out: list[Element] = body[:1]  # the title
    for element in _walk(body):
        if not str(element.get("type", "")).startswith("Input.") or "label" not in element:
            continue
        if str(element.get("id", "")).endswith(TIME_SUFFIX):
            continue  # shown with its date
        eid = str(element.get("id", ""))
        shown = _shown_value(element, values.get(eid))
        if eid.endswith(DATE_SUFFIX):
            time = values.get(eid[: -len(DATE_SUFFIX)] + TIME_SUFFIX)
            shown = f"{shown} {time}" if shown and time else shown
        items: list[Element] = [
            _text(escape_markdown(str(element["label"])), weight="Bolder", size="Small", wrap=True)
        ]
        items.append(_text(escape_markdown(shown) if shown else "–", wrap=True, spacing="None"))
        out.append({"type": "Container", "items": items})
    return _card(out)


def _shown_value(element: Element, value: Any) -> str:
    if value is None:
        return ""
    raw = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if element.get("type") == "Input.ChoiceSet" and element.get("choices"):
        titles = {str(c.get("value")): str(c.get("title")) for c in element["choices"]}
        parts = [p for r in raw for p in r.split(",")] if element.get("isMultiSelect") else raw
        return ", ".join(titles.get(p, p) for p in parts if p)
    return ", ".join(r for r in raw if r)
