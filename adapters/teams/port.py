"""`PlatformPort` for Teams: proactive posts, card updates, rosters and profiles.

The port proper: it decides where a neutral message goes and how it looks. What it needs to
know about conversations is in `adapters.teams.registry`; every HTTP request to Teams goes
through `adapters.teams.connector` (rate limits, 429 retries, neutral errors).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import ChannelAccount
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from adapters.teams import translate
from adapters.teams.cards import ActionStyle, Card, merged_card, message_cards, with_refresh
from adapters.teams.connector import Connector, ConnectorFactory, Target
from adapters.teams.files import Download, FileLink
from adapters.teams.limiter import TeamsLimiter
from adapters.teams.refs import RefStore
from adapters.teams.registry import TENANT_KEY, Registry, form_key, is_bot
from conversations.events import Actor
from conversations.messages import Attachment as FileAttachment
from conversations.messages import (
    Heading,
    HomeView,
    Message,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.ports import ChannelInfo, DeliveryError

log = logging.getLogger(__name__)

__all__ = ["TENANT_KEY", "TeamsPort", "form_key"]


@dataclass
class HomeCapture:
    """The overview card asked for by a refresh invoke (answered in its HTTP response)."""

    user_id: str
    card: Card | None = None


# Set while a refresh invoke is handled: that person's overview is answered, not posted.
_CAPTURE: ContextVar[HomeCapture | None] = ContextVar("teams_home_capture", default=None)


class TeamsPort:
    """Implements `conversations.ports.PlatformPort` for one bot registration."""

    platform: str = translate.PLATFORM
    command_prefix: str = translate.COMMAND_WORD

    def __init__(
        self,
        *,
        refs: RefStore,
        factory: ConnectorFactory,
        limiter: TeamsLimiter | None = None,
        action_style: ActionStyle = "submit",
        files: FileLink | None = None,
    ) -> None:
        self.registry = Registry(refs=refs)
        self.refs = self.registry.refs
        self.connector = Connector(factory=factory, limiter=limiter)
        self.action_style: ActionStyle = action_style
        self.files = files  # stores attachments behind download links; None: no public URL

    def for_background(self) -> TeamsPort:
        """This port for the outbox: a 429 surfaces at once as `DeliveryError("rate_limited",
        retry_after=...)` instead of being slept out inside the send (which would hold the
        message's slot while the others run into the same limit); the outbox pauses the
        tenant's sends for it. Limiter, refs and file links are this port's."""
        port = TeamsPort(
            refs=self.registry.refs,
            factory=self.connector.factory,
            limiter=self.connector.limiter,
            action_style=self.action_style,
            files=self.files,
        )
        port.registry = self.registry
        port.refs = self.registry.refs
        port.connector.max_retries = 0
        port.connector.jitter = self.connector.jitter
        return port

    @property
    def limiter(self) -> TeamsLimiter:
        return self.connector.limiter

    @property
    def jitter(self) -> Any:
        return self.connector.jitter

    @jitter.setter
    def jitter(self, value: Any) -> None:
        self.connector.jitter = value

    # ------------------------------------------------------------ PlatformPort

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        """Post to a person (creating the 1:1 chat if needed) or a channel; update in place."""
        await self.flush()  # the core sends after its transaction: refs learnt in it can go now
        to = message.to
        if isinstance(to, ToActor):
            raise DeliveryError("invalid", detail="ToActor is answered in the turn, not sent")
        owner = to.user_id if isinstance(to, ToPerson) else None
        cards = message_cards(
            message=message,
            action_style=self.action_style,
            owner=owner,
            downloads=await self.downloads(attachments=message.attachments, owner_user_id=owner),
            locale=await self._stored_locale(workspace_id=workspace_id, user_id=owner),
        )
        return await self._deliver(workspace_id=workspace_id, message=message, cards=cards)

    async def _deliver(self, *, workspace_id: str, message: Message, cards: list[Card]) -> str:
        """Post `cards` (rendered from `message`) where `message.to` says, or update in place."""
        to = message.to
        target: Target = "person" if isinstance(to, ToPerson) else "channel"
        if message.replaces:
            ref = await self._update_ref(
                workspace_id=workspace_id, ref=message.replaces, cards=cards, message=message
            )
            if ref is not None:
                return ref
        if isinstance(to, ToPerson):
            conversation_id, service_url = await self.dm_conversation(
                workspace_id=workspace_id, user_id=to.user_id
            )
        else:
            assert isinstance(to, ToChannel)
            channel = await self.registry.channel(
                workspace_id=workspace_id, channel_id=to.channel_id
            )
            conversation_id, service_url = (
                str(channel["conversation_id"]),
                str(channel["service_url"]),
            )
        return await self.connector.with_client(
            service_url=service_url,
            fn=lambda client: self.post_cards(
                client=client,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                cards=cards,
                summary=message.text,
                target=target,
            ),
        )

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        """Teams has no bot home page (a personal tab needs a web app): the overview is a card
        in the person's 1:1 chat, which is where they asked for it.

        The card keeps itself current: it carries a Universal Actions `refresh` for its person,
        so Teams asks for it again whenever they look at it (answered in that invoke, see
        `capture_home`). A refresh nobody asked for (something changed) updates the person's
        last overview card in place; without one it is left out rather than add a new card to
        the chat each time something changes.
        """
        await self.flush()  # as in `send`: refs learnt in the core's transaction go first
        capture = _CAPTURE.get()
        if capture is not None and capture.user_id == view.user_id and not view.unasked:
            capture.card = merged_card(await self.home_cards(workspace_id=workspace_id, view=view))
            return
        if view.unasked:
            ref = await self.registry.home(workspace_id=workspace_id, user_id=view.user_id)
            if ref is None:
                return
            card = merged_card(await self.home_cards(workspace_id=workspace_id, view=view))
            try:
                await self._update_ref(
                    workspace_id=workspace_id, ref=ref, cards=[card], message=_home_message(view)
                )
            except DeliveryError as error:
                log.info("teams: overview card %s not refreshed (%s)", ref, error)
            return
        ref = await self._deliver(
            workspace_id=workspace_id,
            message=_home_message(view),
            cards=await self.home_cards(workspace_id=workspace_id, view=view),
        )
        await self.registry.save_home(workspace_id=workspace_id, user_id=view.user_id, ref=ref)

    async def home_cards(self, *, workspace_id: str, view: HomeView) -> list[Card]:
        """The overview as cards, the last refreshing itself for the person it shows
        (Teams wants their user MRI, the ``29:…`` id; unknown, Teams offers a manual refresh)."""
        cards = message_cards(
            message=_home_message(view),
            action_style=self.action_style,
            owner=view.user_id,
            locale=await self._stored_locale(workspace_id=workspace_id, user_id=view.user_id),
        )
        mri = self.registry.peek_user(workspace_id=workspace_id, user_id=view.user_id).get(
            "teams_id"
        )
        cards[-1] = with_refresh(cards[-1], owner=view.user_id, user_ids=[str(mri)] if mri else [])
        return cards

    @contextmanager
    def capture_home(self, *, user_id: str) -> Iterator[HomeCapture]:
        """While a refresh invoke is handled: the person's overview is kept for its answer."""
        capture = HomeCapture(user_id=user_id)
        token = _CAPTURE.set(capture)
        try:
            yield capture
        finally:
            _CAPTURE.reset(token)

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        """The team's members (a standard channel's members are the team's), bots left out."""
        ref = await self.registry.channel(workspace_id=workspace_id, channel_id=channel_id)
        accounts = await self.connector.paged_members(
            service_url=str(ref["service_url"]),
            workspace_id=workspace_id,
            team_id=str(ref.get("team_id") or ref["conversation_id"]),
        )
        members: list[Actor] = []
        for account in accounts:
            if is_bot(account):
                continue
            await self.registry.remember_user(
                workspace_id=workspace_id,
                account=account,
                seen_in=str(ref["conversation_id"]),
                defer=True,  # inside the core's transaction: write after it
            )
            members.append(self._actor(workspace_id=workspace_id, account=account))
        return members

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> ChannelInfo | None:
        """A channel the app was added to (its team's install) is one the bot may post in."""
        label = (await self.registry.channel_index(workspace_id=workspace_id)).get(channel_id)
        try:
            await self.registry.channel(workspace_id=workspace_id, channel_id=channel_id)
        except DeliveryError:
            return ChannelInfo(name=str(label or channel_id), bot_is_member=False)
        return ChannelInfo(name=str(label or channel_id), bot_is_member=True)

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        """Name of a user, read where they were last seen or else in a team channel.

        Memo only (`peek`): the core looks people up inside its transaction.
        """
        user = self.registry.peek_user(workspace_id=workspace_id, user_id=user_id)
        tenant = self.registry.peek_tenant(workspace_id=workspace_id)
        conversation_id = user.get("seen_in") or next(
            iter(self.registry.known_channels(workspace_id=workspace_id)), None
        )
        if tenant is None or not conversation_id:
            return None
        try:
            account = await self.connector.member(
                service_url=str(user.get("service_url") or tenant["service_url"]),
                workspace_id=workspace_id,
                conversation_id=str(conversation_id),
                member_id=str(user.get("teams_id") or user_id),
            )
        except DeliveryError as error:
            if error.permanent:
                return None
            raise
        return Actor(
            platform=translate.PLATFORM,
            workspace_id=workspace_id,
            user_id=user_id,
            display_name=account.name or user.get("name"),
        )

    async def warm(self, *, workspace_id: str) -> None:
        """Load what a turn may need into the memo, before the core opens its transaction."""
        await self.registry.warm(workspace_id=workspace_id)

    async def flush(self) -> None:
        """Write refs learnt inside the core's transaction (see `MemoRefStore`)."""
        await self.registry.flush()

    # ------------------------------------------------------------ used by the bot in a turn

    async def remember(self, activity: Any) -> None:
        await self.registry.remember(activity)

    def locale_of(self, *, workspace_id: str, user_id: str) -> str | None:
        return self.registry.locale_of(workspace_id=workspace_id, user_id=user_id)

    async def channel_choices(self, *, workspace_id: str) -> list[tuple[str, str]]:
        """(channel id, "Team › channel") for every channel the bot was installed in."""
        channels = await self.registry.channel_index(workspace_id=workspace_id)
        return sorted(((cid, str(name)) for cid, name in channels.items()), key=lambda c: c[1])

    async def downloads(
        self, *, attachments: Sequence[FileAttachment], owner_user_id: str | None
    ) -> list[Download]:
        """Each attachment as a download link, or as "cannot be fetched here" without one.

        Called after the core's transaction (storing opens one of its own). A file that cannot
        be stored is logged and shown as unavailable: the message itself still goes out.
        """
        if not attachments:
            return []
        if self.files is None:
            log.warning(
                "teams: %d attachment(s) not sent: download links need MUSBOT_PUBLIC_URL",
                len(attachments),
            )
            return [Download(filename=a.filename, url=None) for a in attachments]
        found: list[Download] = []
        for attachment in attachments:
            url: str | None
            try:
                url = await self.files(attachment=attachment, owner_user_id=owner_user_id)
            except Exception:
                log.exception("teams: could not store an attachment for a download link")
                url = None
            found.append(Download(filename=attachment.filename, url=url))
        return found

    async def post_cards(
        self,
        *,
        client: ConnectorClientBase,
        workspace_id: str,
        conversation_id: str,
        cards: Sequence[Card],
        summary: str | None,
        target: Target = "person",
    ) -> str:
        """Post cards in order to a conversation; the ref of the last one (it has the buttons)."""
        return await self.connector.post_cards(
            client=client,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            cards=cards,
            summary=summary,
            target=target,
        )

    async def update_card(
        self,
        *,
        client: ConnectorClientBase,
        workspace_id: str,
        ref: str,
        card: Card,
        summary: str | None = None,
        target: Target = "person",
    ) -> None:
        """Replace the card at `ref` (raises `DeliveryError` when Teams refuses)."""
        await self.connector.update_card(
            client=client,
            workspace_id=workspace_id,
            ref=ref,
            card=card,
            summary=summary,
            target=target,
        )

    async def dm_conversation(self, *, workspace_id: str, user_id: str) -> tuple[str, str]:
        """The user's 1:1 chat with the bot, created (and stored) when there is none yet."""
        dm = await self.registry.dm(workspace_id=workspace_id, user_id=user_id)
        tenant = await self.registry.tenant(workspace_id=workspace_id)
        if dm is not None:
            return str(dm["conversation_id"]), str(dm.get("service_url") or tenant["service_url"])
        user = await self.registry.user(workspace_id=workspace_id, user_id=user_id)
        service_url = str(user.get("service_url") or tenant["service_url"])
        conversation_id = await self.connector.create_personal_chat(
            service_url=service_url,
            workspace_id=workspace_id,
            bot=ChannelAccount(id=tenant["bot_id"], name=tenant.get("bot_name")),
            member_id=str(user.get("teams_id") or user_id),
        )
        await self.registry.remember_dm(
            workspace_id=workspace_id,
            user_id=user_id,
            conversation_id=conversation_id,
            service_url=service_url,
        )
        return conversation_id, service_url

    # ------------------------------------------------------------ internals

    async def _stored_locale(self, *, workspace_id: str, user_id: str | None) -> str | None:
        """`locale_of`, reading the stored ref if the memo lacks it (after a restart); only
        outside the core's transaction, as in `send`."""
        if user_id is None:
            return None
        await self.registry.user(workspace_id=workspace_id, user_id=user_id)
        return self.locale_of(workspace_id=workspace_id, user_id=user_id)

    async def _update_ref(
        self, *, workspace_id: str, ref: str, cards: list[Card], message: Message
    ) -> str | None:
        """Update the card at `ref` in place; None if Teams would not (post a new one then)."""
        parts = translate.split_ref(ref)
        if parts is None:
            return None
        conversation_id = parts[0]
        tenant = await self.registry.tenant(workspace_id=workspace_id)
        target: Target = "person" if isinstance(message.to, ToPerson) else "channel"

        async def update(client: ConnectorClientBase) -> str:
            await self.update_card(
                client=client,
                workspace_id=workspace_id,
                ref=ref,
                card=cards[0],
                summary=message.text,
                target=target,
            )
            if len(cards) == 1:
                return ref
            return await self.post_cards(
                client=client,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                cards=cards[1:],
                summary=message.text,
                target=target,
            )

        try:
            return await self.connector.with_client(
                service_url=str(tenant["service_url"]), fn=update
            )
        except DeliveryError as error:
            if error.kind in ("channel_not_found", "invalid"):
                log.info("teams: card %s not updatable (%s); posting a new one", ref, error)
                return None
            raise

    def _actor(self, *, workspace_id: str, account: Any) -> Actor:
        return Actor(
            platform=translate.PLATFORM,
            workspace_id=workspace_id,
            user_id=translate.user_id(account),
            display_name=getattr(account, "name", None) or None,
            email=getattr(account, "email", None) or None,
        )


def _home_message(view: HomeView) -> Message:
    title = next((b.text for b in view.blocks if isinstance(b, Heading)), "MUS")
    return Message(to=ToPerson(view.user_id), text=title, blocks=view.blocks, buttons=view.buttons)
