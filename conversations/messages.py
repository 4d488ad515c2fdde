"""Neutral outbound messages: what the bot says, independent of how a platform draws it.

Every string here is plain text. Adapters escape all of it when they render (Slack mrkdwn,
Adaptive Card markdown, HTML), so text a user wrote can never become a mention or markup.
Structure (headings, fields, quotes) is expressed by block types, never by inline markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

# ---------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    """Text a person wrote, shown back (an answer, a note). Rendered as a quotation."""

    text: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs (dates, progress, plan item fields)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """Small, muted text: help text, hints, confidentiality lines."""

    text: str


@dataclass(frozen=True, slots=True)
class Divider:
    pass


Block = Heading | Paragraph | Quote | Fields | BulletList | Note | Divider

# ---------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Button:
    """A button. The adapter returns `action` and `value` untouched in a `ButtonEvent`.

    Flows make buttons from typed actions (`conversations.actions`, `action.button(label)`),
    never from hand-built strings.
    """

    label: str
    action: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"
    # Its answer is a private view (`Message(private=True)`): a platform that opens dialogs
    # from the button itself (a Teams task module) opens one instead of posting to the chat.
    private: bool = False


# ---------------------------------------------------------------- forms


@dataclass(frozen=True, slots=True, kw_only=True)
class TextInput:
    id: str
    label: str
    multiline: bool = False
    max_length: int | None = None
    initial: str | None = None
    placeholder: str | None = None
    hint: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DateInput:
    """A calendar date; submitted as ISO `YYYY-MM-DD` (adapters normalise their pickers)."""

    id: str
    label: str
    initial: date | None = None
    hint: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTimeInput:
    """A date and a time of day; submitted as ISO `YYYY-MM-DDTHH:MM` in the person's time zone."""

    id: str
    label: str
    initial: datetime | None = None
    hint: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectInput:
    id: str
    label: str
    options: tuple[Option, ...]
    initial: str | None = None
    hint: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleInput:
    """Pick people of the workspace; submitted as a tuple of platform user ids.

    `exclude` are people not to offer (the leader in their own round), where a picker can hide
    them; the flow ignores them when submitted either way.
    """

    id: str
    label: str
    initial: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hint: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelInput:
    """Pick a channel of the workspace; submitted as a platform channel id."""

    id: str
    label: str
    initial: str | None = None
    hint: str | None = None
    optional: bool = False


Input = TextInput | DateInput | DateTimeInput | SelectInput | PeopleInput | ChannelInput

# ---------------------------------------------------------------- destinations


@dataclass(frozen=True, slots=True)
class ToPerson:
    """A direct message to a person (platform user id)."""

    user_id: str


@dataclass(frozen=True, slots=True)
class ToChannel:
    """A post in a channel (platform channel id), visible to its members."""

    channel_id: str


@dataclass(frozen=True, slots=True)
class ToActor:
    """The answer to the event being handled, where it happened, seen only by the actor."""


Destination = ToPerson | ToChannel | ToActor

# ---------------------------------------------------------------- outbound


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file to hand over (a calendar invite, the development plan as a document)."""

    filename: str
    content: bytes
    mime_type: str
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message to post.

    `text` is the plain fallback (notifications, screen readers). `replaces` is a
    `Context.message_ref` from an inbound event: the adapter updates that message in place
    where the platform allows it, and posts a new one otherwise.

    `key` names a message the core may want to change later, when no event points at it (the
    current question card, a sent invitation): a stable neutral name such as
    `prep-question:<round>:<person>`. Whoever delivers it records key -> the platform's ref
    (the engine for proactive messages, the adapter for in-place answers; the latest message
    under a key wins). `replaces_key` asks for the message recorded under that key to be
    updated: the engine resolves it to `replaces` before delivery. When nothing is recorded
    under it the message is posted anew, or, with `update_only`, not at all.
    """

    to: Destination
    text: str
    blocks: tuple[Block, ...] = ()
    buttons: tuple[Button, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    replaces: str | None = None
    key: str | None = None
    replaces_key: str | None = None
    update_only: bool = False
    # What the actor is told once this proactive message went out, or instead of the generic
    # failure notice when it could not (so a confirmation never claims a post that failed).
    on_sent: Message | None = None
    on_failure: Message | None = None
    # Confidential content for the actor alone (`to=ToActor()`): shown where chat history does
    # not keep it (a Slack modal; the web chat as any answer). `text` then says only what it is.
    private: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A form to open for the actor of the current event (Slack modal, Teams card, HTML form).

    `state` is opaque to adapters and comes back in the `FormEvent`.
    """

    id: str
    title: str
    submit_label: str
    inputs: tuple[Input, ...]
    state: str = ""
    intro: tuple[Block, ...] = ()
    closes_at_once: bool = False
    """Whatever the core could refuse in it is checked by the rendered form itself (required
    inputs, lengths), as for a prep answer: the platform may close it the moment it is sent,
    before the core has run, and the core's reply follows as messages (Slack: no wait for the
    core inside the 3 s ack). Otherwise the core's errors are shown in the open form."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FormErrors:
    """The submitted form had errors: show them next to the inputs and keep the form open.

    Nothing the person typed is lost: the adapter keeps the form as it was.
    """

    errors: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeView:
    """A person's overview page (Slack App Home; a side panel elsewhere)."""

    user_id: str
    blocks: tuple[Block, ...]
    buttons: tuple[Button, ...] = ()
    # A refresh nobody asked for (something changed): a platform without a standing overview
    # page (Teams posts the overview as a chat card) updates its last overview in place, or
    # leaves it out, rather than add noise.
    unasked: bool = False


Outbound = Message | Form | FormErrors | HomeView


@dataclass(frozen=True, slots=True)
class Reply:
    """What handling one event produced, in order."""

    items: tuple[Outbound, ...] = field(default_factory=tuple)

    def __add__(self, other: Reply) -> Reply:
        return Reply(self.items + other.items)
