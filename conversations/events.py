"""Neutral inbound events: what a person did, independent of the platform they did it on.

Adapters translate platform payloads into these; flows never see a platform payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Platform = Literal["slack", "teams", "web", "test"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The person who caused an event, as the platform identifies them.

    `locale`, `timezone` and `is_admin` are what the platform told the adapter, if anything;
    the engine stores them on the person so flows can answer in the right language.
    """

    platform: Platform
    workspace_id: str
    user_id: str
    display_name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    is_admin: bool | None = None
    email: str | None = None  # where the platform gives it (calendar invites)


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """Where the event happened: a direct message with the bot, or a channel."""

    channel_id: str | None = None
    is_direct: bool = True
    # An opaque handle for "the message this button sat on", so a reply can update it in place.
    message_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every inbound event.

    `event_id` identifies the platform delivery; a redelivery carries the same id, and the
    engine processes each id once. Adapters that have no delivery id must derive a stable one.
    """

    event_id: str
    actor: Actor
    context: Context = field(default_factory=Context)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandEvent(Event):
    """`/mus <text>` (Slack) or `mus <text>` typed to the bot (Teams, web chat)."""

    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonEvent(Event):
    """A button press. `action` and `value` are exactly what the flow put on the `Button`."""

    action: str
    value: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FormEvent(Event):
    """A submitted form. `values` maps input ids to the submitted strings.

    Multi-valued inputs (user pickers) arrive as a tuple of strings. `state` is the form's
    opaque state, round-tripped untouched by the adapter.
    """

    form: str
    state: str = ""
    values: dict[str, str | tuple[str, ...] | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextEvent(Event):
    """Free text the person typed in a direct message with the bot."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallEvent(Event):
    """The bot was added somewhere (Teams: conversationUpdate; a team channel or a personal chat)."""

    channel_name: str | None = None
    team_name: str | None = None
    members: tuple[Actor, ...] = ()


InboundEvent = CommandEvent | ButtonEvent | FormEvent | TextEvent | InstallEvent
