"""`PlatformPort` for the web chat: the demo directory answers lookups, the hub delivers."""

from __future__ import annotations

from adapters.webchat.directory import PLATFORM, Directory
from adapters.webchat.hub import ChatHub
from conversations.events import Actor
from conversations.messages import HomeView, Message, ToChannel, ToPerson
from conversations.ports import ChannelInfo, DeliveryError


class WebChatPort:
    """Implements `conversations.ports.PlatformPort` for the one demo workspace."""

    def __init__(self, *, directory: Directory, hub: ChatHub) -> None:
        self.directory = directory
        self.hub = hub

    @property
    def platform(self) -> str:
        return PLATFORM

    def _check_workspace(self, workspace_id: str) -> None:
        if workspace_id != self.directory.workspace_id:
            raise DeliveryError("forbidden", detail=f"unknown workspace {workspace_id}")

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        self._check_workspace(workspace_id)
        to = message.to
        if isinstance(to, ToPerson):
            if self.directory.person(to.user_id) is None:
                raise DeliveryError("user_gone", detail=to.user_id)
        elif isinstance(to, ToChannel):
            if self.directory.channel(to.channel_id) is None:
                raise DeliveryError("channel_not_found", detail=to.channel_id)
        else:
            raise DeliveryError("invalid", detail="an answer in place is not sent proactively")
        return self.hub.deliver(message=message)

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        self._check_workspace(workspace_id)
        if self.directory.person(view.user_id) is None:
            raise DeliveryError("user_gone", detail=view.user_id)
        self.hub.publish_home(view=view)

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        self._check_workspace(workspace_id)
        channel = self.directory.channel(channel_id)
        if channel is None:
            raise DeliveryError("channel_not_found", detail=channel_id)
        actors = (self.directory.actor(m) for m in channel.members)
        return [a for a in actors if a is not None]

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> ChannelInfo | None:
        """The web chat's bot is in every channel of its directory."""
        self._check_workspace(workspace_id)
        channel = self.directory.channel(channel_id)
        if channel is None:
            return None
        return ChannelInfo(name=f"#{channel.name}", bot_is_member=True)

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        if workspace_id != self.directory.workspace_id:
            return None
        return self.directory.actor(user_id)
