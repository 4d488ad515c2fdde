"""The conversation-reference registry: what Teams needs to be written to later.

Teams can only be written to proactively with facts captured from an earlier activity: the
tenant's service URL and the bot's id, a person's Teams id (to create their 1:1 chat) and that
chat once it exists, each team channel's conversation id and team id. `remember` keeps them
from every inbound activity; the port reads them. Storage is `adapters.teams.refs` (a memo in
front of the database, see `MemoRefStore` for why).

Keys (all within one workspace = one tenant):

* ``tenant`` - service URL, bot id and name;
* ``user:<user id>`` - Teams id, name, where last seen, service URL, locale;
* ``dm:<user id>`` - the 1:1 chat with the bot;
* ``channel:<channel id>`` - conversation id, team id, service URL;
* ``channels`` - the channel picker's index (id -> "Team › channel");
* ``form:<message ref>`` - a form card as sent, to show it again with errors;
* ``home:<user id>`` - the person's last overview card, updated in place when it changes.
"""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity

from adapters.teams import translate
from adapters.teams.refs import MemoRefStore, RefStore
from conversations.ports import DeliveryError

TENANT_KEY = "tenant"
CHANNELS_KEY = "channels"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


def dm_key(user_id: str) -> str:
    return f"dm:{user_id}"


def channel_key(channel_id: str) -> str:
    return f"channel:{channel_id}"


def form_key(message_ref: str) -> str:
    return f"form:{message_ref}"


def home_key(user_id: str) -> str:
    return f"home:{user_id}"


def is_bot(account: Any) -> bool:
    role = getattr(account, "role", None) or (getattr(account, "model_extra", None) or {}).get(
        "userRole"
    )
    return str(getattr(account, "id", "") or "").startswith("28:") or role == "bot"


class Registry:
    """Reads and writes the refs above; `peek_*` never touch the database (see `MemoRefStore`)."""

    def __init__(self, *, refs: RefStore) -> None:
        self.refs = refs if isinstance(refs, MemoRefStore) else MemoRefStore(inner=refs)

    # ------------------------------------------------------------ learning

    async def remember(self, activity: Activity) -> None:
        """Store what later proactive messages need, from any inbound activity."""
        workspace_id = translate.tenant_id(activity)
        if workspace_id is None or not activity.service_url:
            return
        service_url = str(activity.service_url)
        bot = activity.recipient
        if bot is not None and bot.id:
            await self.refs.save(
                workspace_id=workspace_id,
                key=TENANT_KEY,
                ref={"service_url": service_url, "bot_id": bot.id, "bot_name": bot.name},
            )
        conversation_id = activity.conversation.id if activity.conversation else None
        sender = activity.from_property
        if sender is not None and sender.id and not is_bot(sender):
            uid = translate.user_id(sender)
            await self.remember_user(
                workspace_id=workspace_id,
                account=sender,
                seen_in=conversation_id,
                service_url=service_url,
                locale=translate.actor(activity, workspace_id=workspace_id).locale,
            )
            if translate.is_personal(activity) and conversation_id:
                await self.refs.save(
                    workspace_id=workspace_id,
                    key=dm_key(uid),
                    ref={"conversation_id": conversation_id, "service_url": service_url},
                )
        channel = translate.channel_id(activity)
        if channel is not None and not translate.is_personal(activity):
            team = translate.team(activity)
            conversation_type = (
                activity.conversation.conversation_type if activity.conversation else None
            )
            if team.get("id") or conversation_type == "channel":
                await self.refs.save(
                    workspace_id=workspace_id,
                    key=channel_key(channel),
                    ref={
                        "conversation_id": channel,
                        "team_id": team.get("id"),
                        "service_url": service_url,
                    },
                )
            if team.get("id"):
                await self._index_channel(
                    workspace_id=workspace_id, channel_id=channel, activity=activity
                )

    async def remember_user(
        self,
        *,
        workspace_id: str,
        account: Any,
        seen_in: str | None,
        service_url: str | None = None,
        locale: str | None = None,
        defer: bool = False,
    ) -> None:
        """Keep a user's Teams id (creating their 1:1 chat later needs it) and locale (the
        adapter's own words on a proactive card; a roster read, which has none, keeps it)."""
        uid = translate.user_id(account)
        ref: dict[str, Any] = {"teams_id": account.id, "name": account.name, "seen_in": seen_in}
        if service_url:
            ref["service_url"] = service_url
        known = locale or self.locale_of(workspace_id=workspace_id, user_id=uid)
        if known:
            ref["locale"] = known
        await self.refs.save(workspace_id=workspace_id, key=user_key(uid), ref=ref, defer=defer)

    async def remember_dm(
        self, *, workspace_id: str, user_id: str, conversation_id: str, service_url: str
    ) -> None:
        await self.refs.save(
            workspace_id=workspace_id,
            key=dm_key(user_id),
            ref={"conversation_id": conversation_id, "service_url": service_url},
        )

    async def _index_channel(
        self, *, workspace_id: str, channel_id: str, activity: Activity
    ) -> None:
        """List the channel among those `mus start` offers (and `warm` loads)."""
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel = data.get("channel")
        team_name = translate.team(activity).get("name")
        channel_name = channel.get("name") if isinstance(channel, dict) else None
        label = " › ".join(str(n) for n in (team_name, channel_name) if n)
        channels = await self.channel_index(workspace_id=workspace_id)
        if channel_id in channels and not label:
            return  # a message without names: keep the label we have
        label = label or channel_id
        if channels.get(channel_id) != label:
            channels[channel_id] = label
            await self.refs.save(
                workspace_id=workspace_id, key=CHANNELS_KEY, ref={"channels": channels}
            )

    # ------------------------------------------------------------ reading

    async def warm(self, *, workspace_id: str) -> None:
        """Load what a turn may need into the memo, before the core opens its transaction."""
        await self.refs.get(workspace_id=workspace_id, key=TENANT_KEY)
        for channel_id in await self.channel_index(workspace_id=workspace_id):
            await self.refs.get(workspace_id=workspace_id, key=channel_key(channel_id))

    async def flush(self) -> None:
        await self.refs.flush()

    async def tenant(self, *, workspace_id: str) -> dict[str, Any]:
        tenant = await self.refs.get(workspace_id=workspace_id, key=TENANT_KEY)
        if tenant is None:
            raise DeliveryError("forbidden", detail=f"the app is not installed in {workspace_id}")
        return tenant

    def peek_tenant(self, *, workspace_id: str) -> dict[str, Any] | None:
        return self.refs.peek(workspace_id=workspace_id, key=TENANT_KEY)

    async def channel(self, *, workspace_id: str, channel_id: str) -> dict[str, Any]:
        ref = await self.refs.get(workspace_id=workspace_id, key=channel_key(channel_id))
        if ref is None:
            raise DeliveryError("channel_not_found", detail=channel_id)
        return ref

    async def dm(self, *, workspace_id: str, user_id: str) -> dict[str, Any] | None:
        return await self.refs.get(workspace_id=workspace_id, key=dm_key(user_id))

    async def user(self, *, workspace_id: str, user_id: str) -> dict[str, Any]:
        return await self.refs.get(workspace_id=workspace_id, key=user_key(user_id)) or {}

    def peek_user(self, *, workspace_id: str, user_id: str) -> dict[str, Any]:
        return self.refs.peek(workspace_id=workspace_id, key=user_key(user_id)) or {}

    def locale_of(self, *, workspace_id: str, user_id: str) -> str | None:
        """The locale a user's last activity carried, if this process has seen it (memo only)."""
        locale = self.peek_user(workspace_id=workspace_id, user_id=user_id).get("locale")
        return locale if isinstance(locale, str) else None

    async def channel_index(self, *, workspace_id: str) -> dict[str, Any]:
        index = await self.refs.get(workspace_id=workspace_id, key=CHANNELS_KEY) or {}
        channels = index.get("channels")
        return dict(channels) if isinstance(channels, dict) else {}

    def known_channels(self, *, workspace_id: str) -> list[str]:
        index = self.refs.peek(workspace_id=workspace_id, key=CHANNELS_KEY) or {}
        return sorted(index.get("channels") or {})

    async def save_form(self, *, workspace_id: str, ref: str, card: dict[str, Any]) -> None:
        await self.refs.save(workspace_id=workspace_id, key=form_key(ref), ref={"card": card})

    async def form(self, *, workspace_id: str, ref: str) -> dict[str, Any] | None:
        stored = await self.refs.get(workspace_id=workspace_id, key=form_key(ref))
        card = (stored or {}).get("card")
        return card if isinstance(card, dict) else None

    async def save_home(self, *, workspace_id: str, user_id: str, ref: str) -> None:
        await self.refs.save(workspace_id=workspace_id, key=home_key(user_id), ref={"ref": ref})

    async def home(self, *, workspace_id: str, user_id: str) -> str | None:
        """The message ref of the person's last overview card, if one was posted."""
        stored = await self.refs.get(workspace_id=workspace_id, key=home_key(user_id))
        ref = (stored or {}).get("ref")
        return ref if isinstance(ref, str) else None
