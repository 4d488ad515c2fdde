"""Drive the engine as named people; collect what each of them would see."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from adapters.inproc.port import InProcPort
from adapters.inproc.render import block_lines
from conversations.events import (
    Actor,
    ButtonEvent,
    CommandEvent,
    Context,
    FormEvent,
    InboundEvent,
    InstallEvent,
    TextEvent,
)
from conversations.messages import (
    Button,
    Form,
    FormErrors,
    HomeView,
    Message,
    Outbound,
    Reply,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.ports import EventHandler


class ManualClock:
    """A clock tests move by hand (implements `conversations.ports.Clock`)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, value: datetime) -> None:
        self._now = value


@dataclass
class Seen:
    """What one event produced, split the way a person sees it."""

    reply: Reply
    messages: list[Message] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything readable in the in-place messages, joined (for assertions)."""
        return "\n".join(message_text(m) for m in self.messages)

    @property
    def form(self) -> Form:
        assert self.forms, f"no form in reply: {self.text}"
        return self.forms[-1]

    def button(self, action: str, *, label: str | None = None) -> Button:
        for message in reversed(self.messages):
            for b in message.buttons:
                if b.action == action and (label is None or label in b.label):
                    return b
        raise AssertionError(f"no button {action!r} in: {self.text}")


def message_text(message: Message | HomeView) -> str:
    """A message's text, blocks and button labels as plain lines."""
    lines = [message.text] if isinstance(message, Message) else []
    for block in message.blocks:
        lines += block_lines(block)
    lines += [f"[{b.label}]" for b in message.buttons]
    return "\n".join(lines)


class Harness:
    """One workspace on the in-process platform."""

    def __init__(
        self, *, handler: EventHandler, workspace: str = "T1", port: InProcPort | None = None
    ) -> None:
        self.handler = handler
        self.workspace = workspace
        self.port = port or InProcPort()
        self._ids = itertools.count(1)
        self.last_event: InboundEvent | None = None
        self.replies: list[tuple[str, Outbound]] = []  # (user id, in-place item)

    # ------------------------------------------------------------ directory
    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        admin: bool = False,
        locale: str = "da-DK",
        timezone: str = "Europe/Copenhagen",
    ) -> None:
        self.port.users[user_id] = Actor(
            platform=self.port.platform,
            workspace_id=self.workspace,
            user_id=user_id,
            display_name=name,
            locale=locale,
            timezone=timezone,
            is_admin=admin,
        )

    def add_channel(self, channel_id: str, *, members: list[str]) -> None:
        self.port.channels[channel_id] = list(members)

    # ------------------------------------------------------------ acting
    def _actor(self, user_id: str) -> Actor:
        known = self.port.users.get(user_id)
        # Like a real payload: who, not their whole profile (the engine looks that up).
        return Actor(
            platform=self.port.platform,
            workspace_id=self.workspace,
            user_id=user_id,
            display_name=known.display_name if known else None,
        )

    def _next_id(self) -> str:
        return f"ev{next(self._ids)}-{uuid.uuid4().hex[:12]}"

    async def push(self, event: InboundEvent) -> Seen:
        self.last_event = event
        reply = await self.handler.handle(event, platform=self.port)
        seen = Seen(reply=reply)
        for item in reply.items:
            self.replies.append((event.actor.user_id, item))
            if isinstance(item, Message):
                seen.messages.append(item)
            elif isinstance(item, Form):
                seen.forms.append(item)
            elif isinstance(item, FormErrors):
                seen.errors.update(item.errors)
        return seen

    async def replay(self) -> Seen:
        """Deliver the last event again, as a platform retry would."""
        assert self.last_event is not None
        return await self.push(self.last_event)

    async def command(self, user_id: str, text: str, *, channel: str | None = None) -> Seen:
        context = Context(channel_id=channel, is_direct=channel is None)
        return await self.push(
            CommandEvent(
                event_id=self._next_id(), actor=self._actor(user_id), context=context, text=text
            )
        )

    async def press(self, user_id: str, button: Button, *, message_ref: str | None = None) -> Seen:
        return await self.push(
            ButtonEvent(
                event_id=self._next_id(),
                actor=self._actor(user_id),
                context=Context(message_ref=message_ref),
                action=button.action,
                value=button.value,
            )
        )

    async def submit(
        self, user_id: str, form: Form, values: dict[str, str | tuple[str, ...] | None]
    ) -> Seen:
        return await self.push(
            FormEvent(
                event_id=self._next_id(),
                actor=self._actor(user_id),
                form=form.id,
                state=form.state,
                values=values,
            )
        )

    async def say(self, user_id: str, text: str) -> Seen:
        return await self.push(
            TextEvent(event_id=self._next_id(), actor=self._actor(user_id), text=text)
        )

    async def install(
        self, user_id: str, *, channel: str | None = None, team_name: str | None = None
    ) -> Seen:
        members = tuple(
            self.port.users[u]
            for u in self.port.channels.get(channel or "", [])
            if u in self.port.users
        )
        return await self.push(
            InstallEvent(
                event_id=self._next_id(),
                actor=self._actor(user_id),
                context=Context(channel_id=channel, is_direct=channel is None),
                team_name=team_name,
                members=members,
            )
        )

    # ------------------------------------------------------------ reading
    def dms(self, user_id: str) -> list[Message]:
        """Proactive direct messages the bot sent this person, oldest first."""
        return [
            m for _, m in self.port.sent if isinstance(m.to, ToPerson) and m.to.user_id == user_id
        ]

    def channel(self, channel_id: str) -> list[Message]:
        return [
            m
            for _, m in self.port.sent
            if isinstance(m.to, ToChannel) and m.to.channel_id == channel_id
        ]

    def seen_by(self, user_id: str) -> str:
        """Everything this person could read: their DMs, in-place replies and home view."""
        parts = [message_text(m) for m in self.dms(user_id)]
        parts += [
            message_text(i) for u, i in self.replies if u == user_id and isinstance(i, Message)
        ]
        parts += [
            message_text(f_) for u, f_ in self.replies if u == user_id and isinstance(f_, HomeView)
        ]
        if user_id in self.port.homes:
            parts.append(message_text(self.port.homes[user_id]))
        return "\n".join(parts)


__all__ = ["Harness", "ManualClock", "Seen", "ToActor"]
