"""`PlatformPort` over a fake directory; records what the core delivers."""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.events import Actor, Platform
from conversations.messages import HomeView, Message, ToChannel, ToPerson
from conversations.ports import ChannelInfo, DeliveryError, DeliveryFailure


@dataclass
class _Failure:
    kind: DeliveryFailure
    target: str | None
    retry_after: float | None


@dataclass
class InProcPort:
    """Implements `conversations.ports.PlatformPort`."""

    platform: Platform = "test"
    users: dict[str, Actor] = field(default_factory=dict)
    channels: dict[str, list[str]] = field(default_factory=dict)
    sent: list[tuple[str, Message]] = field(default_factory=list)  # (message ref, message)
    homes: dict[str, HomeView] = field(default_factory=dict)
    failures: list[_Failure] = field(default_factory=list)
    bots: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)  # channels the bot is not a member of
    _counter: int = 0

    def fail_next(
        self, kind: DeliveryFailure, *, target: str | None = None, retry_after: float | None = None
    ) -> None:
        """The next delivery (to `target`, a user or channel id, if given) fails with `kind`."""
        self.failures.append(_Failure(kind, target, retry_after))

    def _maybe_fail(self, target: str) -> None:
        for failure in self.failures:
            if failure.target in (None, target):
                self.failures.remove(failure)
                raise DeliveryError(
                    failure.kind, detail=f"injected for {target}", retry_after=failure.retry_after
                )

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        to = message.to
        target = (
            to.user_id
            if isinstance(to, ToPerson)
            else to.channel_id
            if isinstance(to, ToChannel)
            else ""
        )
        self._maybe_fail(target)
        if isinstance(to, ToChannel) and to.channel_id not in self.channels:
            raise DeliveryError("channel_not_found", detail=to.channel_id)
        if isinstance(to, ToChannel) and to.channel_id in self.outside:
            raise DeliveryError("not_in_channel", detail=to.channel_id)
        if isinstance(to, ToPerson) and to.user_id not in self.users:
            raise DeliveryError("user_gone", detail=to.user_id)
        self._counter += 1
        ref = message.replaces or f"m{self._counter}"
        self.sent.append((ref, message))
        return ref

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        self._maybe_fail(view.user_id)
        self.homes[view.user_id] = view

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        self._maybe_fail(channel_id)
        if channel_id not in self.channels:
            raise DeliveryError("channel_not_found", detail=channel_id)
        return [
            self.users[u]
            for u in self.channels[channel_id]
            if u in self.users and u not in self.bots
        ]

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> ChannelInfo | None:
        if channel_id not in self.channels:
            return None
        return ChannelInfo(
            name=f"#{channel_id.lower()}", bot_is_member=channel_id not in self.outside
        )

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        return self.users.get(user_id)
