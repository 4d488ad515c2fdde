"""The page's JSON events as neutral events (and nothing else: no rule of the process here).

The page sends who acts, in which pane, and what they did. The actor's profile comes from the
directory, never from the request, and buttons carry only what the flow put on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from adapters.webchat.directory import Directory
from adapters.webchat.hub import DM
from conversations.events import (
    ButtonEvent,
    CommandEvent,
    Context,
    FormEvent,
    HomeEvent,
    InboundEvent,
    TextEvent,
)

# `mus start`, `/mus start`, `MUS`, `/mus`: a command. `musik` is not.
_COMMAND = re.compile(r"^\s*/?mus(?:\s+(?P<rest>.*?))?\s*$", re.IGNORECASE | re.DOTALL)
_EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,100}$")

Kind = Literal["message", "command", "home", "button", "form", "dismiss"]


class BadEvent(ValueError):
    """The request is not a well-formed web chat event (answered with 400 and this text)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """One parsed request: maybe an event for the engine, maybe text to show as said."""

    event_id: str
    user_id: str
    pane: str
    event: InboundEvent | None = None
    said: str | None = None
    said_privately: bool = False
    dismiss: str | None = None


def command_text(text: str) -> str | None:
    """The command's words if `text` is one (`mus start` → `start`), else None."""
    found = _COMMAND.match(text)
    if found is None:
        return None
    return found.group("rest") or ""


def _str(body: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = body.get(key, None)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadEvent(f"{key} must be a non-empty string")
    return value


def _values(raw: object) -> dict[str, str | tuple[str, ...] | None]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadEvent("values must be an object")
    out: dict[str, str | tuple[str, ...] | None] = {}
    for key, value in raw.items():
        if value is None or isinstance(value, str):
            out[str(key)] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[str(key)] = tuple(value)
        else:
            raise BadEvent(f"values.{key} must be a string, a list of strings or null")
    return out


def parse_event(body: object, *, directory: Directory) -> Inbound:
    """Check and translate one request body; raises `BadEvent`."""
    if not isinstance(body, dict):
        raise BadEvent("expected a JSON object")
    event_id = _str(body, "event_id")
    if not _EVENT_ID.match(event_id):
        raise BadEvent("event_id must be 8 to 100 letters, digits, - or _ (a UUID)")
    user_id = _str(body, "user")
    actor = directory.actor(user_id)
    if actor is None:
        raise BadEvent(f"unknown person {user_id!r}")
    pane = body.get("pane") or DM
    if not isinstance(pane, str):
        raise BadEvent("pane must be a string")
    if pane == DM:
        context = Context(is_direct=True)
    else:
        channel_id = pane.removeprefix("channel:")
        if not pane.startswith("channel:") or channel_id not in {
            c.id for c in directory.channels_of(user_id)
        }:
            raise BadEvent(f"{user_id} cannot write in {pane!r}")
        context = Context(channel_id=channel_id, is_direct=False)
    kind = body.get("kind")

    if kind == "message":
        text = _str(body, "text")
        words = command_text(text)
        if words is not None:
            event: InboundEvent = CommandEvent(
                event_id=event_id, actor=actor, context=context, text=words
            )
            return Inbound(
                event_id=event_id,
                user_id=user_id,
                pane=pane,
                event=event,
                said=text,
                said_privately=True,
            )
        if pane != DM:
            # Talk among people in the channel: shown to its members, not the bot's business.
            return Inbound(event_id=event_id, user_id=user_id, pane=pane, said=text)
        event = TextEvent(event_id=event_id, actor=actor, context=context, text=text)
        return Inbound(event_id=event_id, user_id=user_id, pane=pane, event=event, said=text)
    if kind == "command":
        event = CommandEvent(
            event_id=event_id, actor=actor, context=context, text=_str(body, "text", required=False)
        )
        return Inbound(event_id=event_id, user_id=user_id, pane=pane, event=event)
    if kind == "home":
        # The overview pane opened or was refreshed: the person's overview, a neutral event.
        event = HomeEvent(event_id=event_id, actor=actor, context=Context(is_direct=True))
        return Inbound(event_id=event_id, user_id=user_id, pane=DM, event=event)
    if kind == "button":
        ref = body.get("message_ref")
        if ref is not None and not isinstance(ref, str):
            raise BadEvent("message_ref must be a string")
        event = ButtonEvent(
            event_id=event_id,
            actor=actor,
            context=Context(
                channel_id=context.channel_id, is_direct=context.is_direct, message_ref=ref
            ),
            action=_str(body, "action"),
            value=_str(body, "value", required=False),
        )
        return Inbound(event_id=event_id, user_id=user_id, pane=pane, event=event)
    if kind == "form":
        event = FormEvent(
            event_id=event_id,
            actor=actor,
            context=context,
            form=_str(body, "form"),
            state=_str(body, "state", required=False),
            values=_values(body.get("values")),
        )
        return Inbound(event_id=event_id, user_id=user_id, pane=pane, event=event)
    if kind == "dismiss":
        return Inbound(event_id=event_id, user_id=user_id, pane=pane, dismiss=_str(body, "form"))
    raise BadEvent("kind must be message, command, home, button, form or dismiss")
