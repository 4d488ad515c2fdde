"""Who is who on the platform, read before the transaction opens.

Platform calls (channel members, profiles) are network I/O; made inside a database
transaction they would hold SQLite's write lock (and a PostgreSQL connection) while waiting on
Slack or Teams. So the engine asks `prefetch` what an event will need, reads it first, and the
flows read the answers from this cache. A flow that asks for something not prefetched still
gets it (from the platform), only slower.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from conversations.actions import LeadersForm, RoundStartForm
from conversations.events import Actor, FormEvent, InboundEvent
from conversations.ports import ChannelInfo, DeliveryError, PlatformPort


class Directory:
    def __init__(self, *, platform: PlatformPort, workspace_id: str) -> None:
        self.platform = platform
        self.workspace_id = workspace_id
        self._members: dict[str, list[Actor] | DeliveryError] = {}
        self._people: dict[str, Actor | None] = {}
        self._channels: dict[str, ChannelInfo | None] = {}

    async def channel_info(self, *, channel_id: str) -> ChannelInfo | None:
        """The channel's name and whether the bot is in it; None when the platform cannot say."""
        if channel_id not in self._channels:
            try:
                self._channels[channel_id] = await self.platform.channel_info(
                    workspace_id=self.workspace_id, channel_id=channel_id
                )
            except DeliveryError:
                self._channels[channel_id] = None
        return self._channels[channel_id]

    async def channel_members(self, *, channel_id: str) -> list[Actor]:
        """Human members of a channel; raises `DeliveryError` when unreadable."""
        if channel_id not in self._members:
            try:
                self._members[channel_id] = await self.platform.channel_members(
                    workspace_id=self.workspace_id, channel_id=channel_id
                )
            except DeliveryError as error:
                self._members[channel_id] = error
        found = self._members[channel_id]
        if isinstance(found, DeliveryError):
            raise found
        return found

    async def lookup(self, *, user_id: str) -> Actor | None:
        """A person's profile, or None when the platform cannot say."""
        if user_id not in self._people:
            try:
                self._people[user_id] = await self.platform.lookup(
                    workspace_id=self.workspace_id, user_id=user_id
                )
            except DeliveryError:
                self._people[user_id] = None
        return self._people[user_id]

    async def prefetch(self, event: InboundEvent, *, admins: Collection[str] = ()) -> None:
        """Read what handling `event` will ask for (forms that name channels or people).

        `admins`: the admins named in configuration; a round start stores those it has not
        met (for the round's 13-month flag), so their profiles are read here too.
        """
        if not isinstance(event, FormEvent):
            return
        if event.form == RoundStartForm.prefix:
            for user_id in sorted(admins):
                await self.lookup(user_id=user_id)
            if isinstance(channel := event.values.get("channel"), str) and channel.strip():
                await self.channel_info(channel_id=channel.strip())
            chosen = _ids(event.values.get("members"))
            if chosen:
                for user_id in chosen:
                    await self.lookup(user_id=user_id)
            elif isinstance(channel := event.values.get("channel"), str) and channel.strip():
                try:
                    await self.channel_members(channel_id=channel.strip())
                except DeliveryError:
                    pass  # remembered; the flow turns it into a form error
        elif event.form == LeadersForm.prefix:
            for user_id in _ids(event.values.get("leaders")):
                await self.lookup(user_id=user_id)


def _ids(value: str | Sequence[str] | None) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [part for part in value or () if part]
