"""`PlatformPort` for Teams: proactive posts, card updates, rosters and profiles via botbuilder.

Every connector call goes through one path (`_call`): wait for the rate limiter, run, retry a
429 a bounded number of times with back-off, and turn anything the connector says into a
neutral `DeliveryError`, so the core can word the failure for the leader.

A proactive call needs a conversation reference stored from an earlier activity (see
`adapters.teams.refs`); `remember` stores them from every inbound activity.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams import translate
from adapters.teams.cards import CARD_CONTENT_TYPE, ActionStyle, Card, message_cards
from adapters.teams.files import Download, FileLink
from adapters.teams.limiter import TeamsLimiter
from adapters.teams.refs import MemoRefStore, RefStore
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
from conversations.ports import DeliveryError, DeliveryFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
Target = Literal["person", "channel", "lookup"]
CHANNEL_ID = "msteams"
TENANT_KEY = "tenant"
CHANNELS_KEY = "channels"
MEMBERS_PAGE_SIZE = 500


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


def dm_key(user_id: str) -> str:
    return f"dm:{user_id}"


def channel_key(channel_id: str) -> str:
    return f"channel:{channel_id}"


def form_key(message_ref: str) -> str:
    return f"form:{message_ref}"


def card_activity(card: Card, *, summary: str | None = None) -> Activity:
    """A message activity carrying one card; `summary` is what notifications show."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary or None,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
    )


class TeamsPort:
    """Implements `conversations.ports.PlatformPort` for one bot registration (all tenants)."""

    platform: str = translate.PLATFORM
    command_prefix: str = translate.COMMAND_WORD

    def __init__(
        self,
        *,
        adapter: Any,
        app_id: str | None,
        refs: RefStore,
        limiter: TeamsLimiter | None = None,
        max_retries: int = 3,
        max_retry_after: float = 60.0,
        action_style: ActionStyle = "submit",
        jitter: Callable[[], float] = random.random,
        files: FileLink | None = None,
    ) -> None:
        self.adapter = adapter  # a botbuilder CloudAdapter
        self.app_id = app_id or None
        self.refs = refs if isinstance(refs, MemoRefStore) else MemoRefStore(inner=refs)
        self.limiter = limiter or TeamsLimiter()
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.action_style: ActionStyle = action_style
        self.jitter = jitter
        self.files = files  # stores attachments behind download links; None: no public URL

    # ------------------------------------------------------------ PlatformPort

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        """Post to a person (creating the 1:1 chat if needed) or a channel; update in place."""
        await self.flush()  # the core sends after its transaction: refs learnt in it can go now
        to = message.to
        if isinstance(to, ToActor):
            raise DeliveryError("invalid", detail="ToActor is answered in the turn, not sent")
        target: Target = "person" if isinstance(to, ToPerson) else "channel"
        owner = to.user_id if isinstance(to, ToPerson) else None
        cards = message_cards(
            message=message,
            action_style=self.action_style,
            owner=owner,
            downloads=await self.downloads(attachments=message.attachments, owner_user_id=owner),
            locale=await self._stored_locale(workspace_id=workspace_id, user_id=owner),
        )
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
            conversation_id, service_url = await self._channel(
                workspace_id=workspace_id, channel_id=to.channel_id
            )
        return await self.run(
            workspace_id=workspace_id,
            service_url=service_url,
            conversation_id=conversation_id,
            target=target,
            fn=lambda connector: self.post_cards(
                connector=connector,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                cards=cards,
                summary=message.text,
                target=target,
            ),
        )

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        """Teams has no bot home page (a personal tab needs a web app): the overview is a card
        in the person's 1:1 chat, which is where they asked for it."""
        title = next((b.text for b in view.blocks if isinstance(b, Heading)), "MUS")
        await self.send(
            workspace_id=workspace_id,
            message=Message(
                to=ToPerson(view.user_id), text=title, blocks=view.blocks, buttons=view.buttons
            ),
        )

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        """The team's members (a standard channel's members are the team's), bots left out."""
        ref = await self.refs.get(workspace_id=workspace_id, key=channel_key(channel_id))
        if ref is None:
            raise DeliveryError("channel_not_found", detail=channel_id)
        team_id = ref.get("team_id")

        async def roster(turn_context: TurnContext) -> list[Actor]:
            # TeamsInfo reads the team from channel data, which a continuation lacks.
            turn_context.activity.channel_data = {"team": {"id": team_id}} if team_id else {}
            members: list[Actor] = []
            token: str | None = None
            while True:
                page = await self._call(
                    workspace_id=workspace_id,
                    conversation_id=None,
                    target="channel",
                    op=lambda t=token: TeamsInfo.get_paged_members(  # type: ignore[misc]
                        turn_context, t, MEMBERS_PAGE_SIZE
                    ),
                )
                for account in page.members or ():
                    if _is_bot(account):
                        continue
                    await self.remember_user(
                        workspace_id=workspace_id,
                        account=account,
                        seen_in=ref["conversation_id"],
                        defer=True,  # inside the core's transaction: write after it
                    )
                    members.append(self._actor(workspace_id=workspace_id, account=account))
                token = page.continuation_token
                if not token:
                    return members

        return await self._continue(
            workspace_id=workspace_id,
            service_url=str(ref["service_url"]),
            conversation_id=str(ref["conversation_id"]),
            fn=roster,
        )

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        """Name of a user, read where they were last seen or else in a team channel.

        Memo only (`peek`): the core looks people up inside its transaction.
        """
        user = self.refs.peek(workspace_id=workspace_id, key=user_key(user_id)) or {}
        tenant = self.refs.peek(workspace_id=workspace_id, key=TENANT_KEY)
        conversation_id = user.get("seen_in") or next(
            iter(self._known_channels(workspace_id=workspace_id)), None
        )
        if tenant is None or not conversation_id:
            return None
        member_id = str(user.get("teams_id") or user_id)

        async def fetch(turn_context: TurnContext) -> Any:
            turn_context.activity.channel_data = {}  # look up in this conversation, not a team
            return await self._call(
                workspace_id=workspace_id,
                conversation_id=None,
                target="lookup",
                op=lambda: TeamsInfo.get_member(turn_context, member_id),
            )

        try:
            account = await self._continue(
                workspace_id=workspace_id,
                service_url=str(user.get("service_url") or tenant["service_url"]),
                conversation_id=str(conversation_id),
                fn=fetch,
            )
        except DeliveryError as error:
            if error.permanent:
                return None
            raise
        actor = self._actor(workspace_id=workspace_id, account=account)
        return Actor(
            platform=actor.platform,
            workspace_id=workspace_id,
            user_id=user_id,
            display_name=actor.display_name or user.get("name"),
        )

    async def warm(self, *, workspace_id: str) -> None:
        """Load what a turn may need into the memo, before the core opens its transaction."""
        await self.refs.get(workspace_id=workspace_id, key=TENANT_KEY)
        for channel_id in await self._channel_index(workspace_id=workspace_id):
            await self.refs.get(workspace_id=workspace_id, key=channel_key(channel_id))

    async def flush(self) -> None:
        """Write refs learnt inside the core's transaction (see `MemoRefStore`)."""
        await self.refs.flush()

    # ------------------------------------------------------------ used by the bot in a turn

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
                log.exception("teams: could not store %s for a download link", attachment.filename)
                url = None
            found.append(Download(filename=attachment.filename, url=url))
        return found

    async def _stored_locale(self, *, workspace_id: str, user_id: str | None) -> str | None:
        """`locale_of`, reading the stored ref if the memo lacks it (after a restart); only
        outside the core's transaction, as in `send`."""
        if user_id is None:
            return None
        await self.refs.get(workspace_id=workspace_id, key=user_key(user_id))
        return self.locale_of(workspace_id=workspace_id, user_id=user_id)

    def locale_of(self, *, workspace_id: str, user_id: str) -> str | None:
        """The locale a user's last activity carried, if this process has seen it (memo only)."""
        user = self.refs.peek(workspace_id=workspace_id, key=user_key(user_id)) or {}
        locale = user.get("locale")
        return locale if isinstance(locale, str) else None

    async def post_cards(
        self,
        *,
        connector: Any,
        workspace_id: str,
        conversation_id: str,
        cards: Sequence[Card],
        summary: str | None,
        target: Target = "person",
    ) -> str:
        """Post cards in order to a conversation; the ref of the last one (it has the buttons)."""
        activity_id = ""
        for card in cards:
            activity = card_activity(card, summary=summary)
            activity.conversation = ConversationAccount(id=conversation_id)
            response = await self._call(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                target=target,
                op=lambda a=activity: connector.conversations.send_to_conversation(  # type: ignore[misc]
                    conversation_id, a
                ),
            )
            activity_id = str(getattr(response, "id", "") or "")
        return translate.make_ref(conversation_id=conversation_id, activity_id=activity_id)

    async def update_card(
        self,
        *,
        connector: Any,
        workspace_id: str,
        ref: str,
        card: Card,
        summary: str | None = None,
        target: Target = "person",
    ) -> None:
        """Replace the card at `ref` (raises `DeliveryError` when Teams refuses)."""
        parts = translate.split_ref(ref)
        if parts is None:
            raise DeliveryError("invalid", detail=f"not a Teams message ref: {ref}")
        conversation_id, activity_id = parts
        activity = card_activity(card, summary=summary)
        activity.id = activity_id
        activity.conversation = ConversationAccount(id=conversation_id)
        await self._call(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            target=target,
            op=lambda: connector.conversations.update_activity(
                conversation_id, activity_id, activity
            ),
        )

    async def run(
        self,
        *,
        workspace_id: str,
        service_url: str,
        conversation_id: str,
        fn: Callable[[Any], Awaitable[T]],
        target: Target = "person",
    ) -> T:
        """Run `fn(connector)` with a connector authenticated for `service_url`."""

        async def with_connector(turn_context: TurnContext) -> T:
            return await fn(turn_context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY])

        return await self._continue(
            workspace_id=workspace_id,
            service_url=service_url,
            conversation_id=conversation_id,
            fn=with_connector,
        )

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
        if sender is not None and sender.id and not _is_bot(sender):
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
            if team.get("id") or activity.conversation.conversation_type == "channel":
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

    async def channel_choices(self, *, workspace_id: str) -> list[tuple[str, str]]:
        """(channel id, "Team › channel") for every channel the bot was installed in."""
        channels = await self._channel_index(workspace_id=workspace_id)
        return sorted(((cid, str(name)) for cid, name in channels.items()), key=lambda c: c[1])

    async def _channel_index(self, *, workspace_id: str) -> dict[str, Any]:
        index = await self.refs.get(workspace_id=workspace_id, key=CHANNELS_KEY) or {}
        channels = index.get("channels")
        return dict(channels) if isinstance(channels, dict) else {}

    def _known_channels(self, *, workspace_id: str) -> list[str]:
        index = self.refs.peek(workspace_id=workspace_id, key=CHANNELS_KEY) or {}
        return sorted(index.get("channels") or {})

    # ------------------------------------------------------------ internals

    async def _index_channel(
        self, *, workspace_id: str, channel_id: str, activity: Activity
    ) -> None:
        """List the channel among those `mus start` offers (and `warm` loads)."""
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel = data.get("channel")
        team_name = translate.team(activity).get("name")
        channel_name = channel.get("name") if isinstance(channel, dict) else None
        label = " › ".join(str(n) for n in (team_name, channel_name) if n)
        channels = await self._channel_index(workspace_id=workspace_id)
        if channel_id in channels and not label:
            return  # a message without names: keep the label we have
        label = label or channel_id
        if channels.get(channel_id) != label:
            channels[channel_id] = label
            await self.refs.save(
                workspace_id=workspace_id, key=CHANNELS_KEY, ref={"channels": channels}
            )

    async def _tenant(self, *, workspace_id: str) -> dict[str, Any]:
        tenant = await self.refs.get(workspace_id=workspace_id, key=TENANT_KEY)
        if tenant is None:
            raise DeliveryError("forbidden", detail=f"the app is not installed in {workspace_id}")
        return tenant

    async def _channel(self, *, workspace_id: str, channel_id: str) -> tuple[str, str]:
        ref = await self.refs.get(workspace_id=workspace_id, key=channel_key(channel_id))
        if ref is None:
            raise DeliveryError("channel_not_found", detail=channel_id)
        return str(ref["conversation_id"]), str(ref["service_url"])

    async def dm_conversation(self, *, workspace_id: str, user_id: str) -> tuple[str, str]:
        """The user's 1:1 chat with the bot, created (and stored) when there is none yet."""
        dm = await self.refs.get(workspace_id=workspace_id, key=dm_key(user_id))
        tenant = await self._tenant(workspace_id=workspace_id)
        if dm is not None:
            return str(dm["conversation_id"]), str(dm.get("service_url") or tenant["service_url"])
        user = await self.refs.get(workspace_id=workspace_id, key=user_key(user_id)) or {}
        service_url = str(user.get("service_url") or tenant["service_url"])
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=tenant["bot_id"], name=tenant.get("bot_name")),
            members=[ChannelAccount(id=str(user.get("teams_id") or user_id))],
            tenant_id=workspace_id,
            channel_data={"tenant": {"id": workspace_id}},
        )
        created: list[str] = []

        async def capture(turn_context: TurnContext) -> None:
            created.append(str(turn_context.activity.conversation.id))

        await self._call(
            workspace_id=workspace_id,
            conversation_id=None,
            target="person",
            op=lambda: self.adapter.create_conversation(
                self.app_id,
                capture,
                parameters,
                CHANNEL_ID,
                service_url,
            ),
        )
        if not created:
            raise DeliveryError(
                "unavailable", detail="create_conversation returned no conversation"
            )
        await self.refs.save(
            workspace_id=workspace_id,
            key=dm_key(user_id),
            ref={"conversation_id": created[0], "service_url": service_url},
        )
        return created[0], service_url

    async def _update_ref(
        self, *, workspace_id: str, ref: str, cards: list[Card], message: Message
    ) -> str | None:
        """Update the card at `ref` in place; None if Teams would not (post a new one then)."""
        parts = translate.split_ref(ref)
        if parts is None:
            return None
        conversation_id = parts[0]
        tenant = await self._tenant(workspace_id=workspace_id)
        target: Target = "person" if isinstance(message.to, ToPerson) else "channel"

        async def update(connector: Any) -> str:
            await self.update_card(
                connector=connector,
                workspace_id=workspace_id,
                ref=ref,
                card=cards[0],
                summary=message.text,
                target=target,
            )
            if len(cards) == 1:
                return ref
            return await self.post_cards(
                connector=connector,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                cards=cards[1:],
                summary=message.text,
                target=target,
            )

        try:
            return await self.run(
                workspace_id=workspace_id,
                service_url=str(tenant["service_url"]),
                conversation_id=conversation_id,
                fn=update,
            )
        except DeliveryError as error:
            if error.kind in ("channel_not_found", "invalid"):
                log.info("teams: card %s not updatable (%s); posting a new one", ref, error)
                return None
            raise

    async def _continue(
        self,
        *,
        workspace_id: str,
        service_url: str,
        conversation_id: str,
        fn: Callable[[TurnContext], Awaitable[T]],
    ) -> T:
        """Run `fn` in a proactive turn (`CloudAdapter.continue_conversation`) and return its result."""
        tenant = await self.refs.get(workspace_id=workspace_id, key=TENANT_KEY) or {}
        reference = ConversationReference(
            channel_id=CHANNEL_ID,
            service_url=service_url,
            conversation=ConversationAccount(id=conversation_id, tenant_id=workspace_id),
            bot=ChannelAccount(id=tenant.get("bot_id"), name=tenant.get("bot_name")),
        )
        results: list[T] = []

        async def callback(turn_context: TurnContext) -> None:
            turn_context.activity.id = None  # a continuation is not a message to reply to
            results.append(await fn(turn_context))

        await self.adapter.continue_conversation(reference, callback, self.app_id)
        return results[0]

    async def _call(
        self,
        *,
        workspace_id: str,
        conversation_id: str | None,
        target: Target,
        op: Callable[[], Awaitable[T]],
    ) -> T:
        """One connector request: rate-limited, 429 retried with back-off, errors made neutral."""
        attempt = 0
        while True:
            await self.limiter.acquire(tenant_id=workspace_id, conversation_id=conversation_id)
            try:
                return await op()
            except (HttpOperationError, ClientRequestError, ConnectionError, TimeoutError) as exc:
                error = _delivery_error(exc, target=target)
            if error.kind != "rate_limited" or attempt >= self.max_retries:
                raise error
            delay = error.retry_after
            if delay is None:
                delay = 2.0**attempt + self.jitter()  # 1, 2, 4 s plus jitter
            if delay > self.max_retry_after:
                raise error  # too long to hold a request open: let the outbox retry later
            attempt += 1
            log.info("teams: 429 on %s, retry %d in %.1fs", target, attempt, delay)
            await self.limiter.sleep(delay)

    def _actor(self, *, workspace_id: str, account: Any) -> Actor:
        return Actor(
            platform=translate.PLATFORM,
            workspace_id=workspace_id,
            user_id=translate.user_id(account),
            display_name=getattr(account, "name", None) or None,
        )


def _is_bot(account: Any) -> bool:
    return str(getattr(account, "id", "") or "").startswith("28:") or (
        getattr(account, "user_role", None) == "bot"
    )


def _status_and_retry_after(exc: BaseException) -> tuple[int | None, float | None]:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    retry_after: float | None = None
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    if raw is not None:
        try:
            retry_after = max(0.0, float(raw))
        except (TypeError, ValueError):
            retry_after = None  # an HTTP date: fall back to our own back-off
    return (int(status) if status is not None else None), retry_after


def _delivery_error(exc: BaseException, *, target: Target) -> DeliveryError:
    """What a connector failure means, in the core's words."""
    status, retry_after = _status_and_retry_after(exc)
    kind: DeliveryFailure
    if status is None or status >= 500 or status in (408, 412):
        kind = "unavailable"
    elif status == 429:
        kind = "rate_limited"
    elif status == 403:
        # A user who removed (or was blocked from) the app; a team that removed the bot.
        kind = "not_in_channel" if target == "channel" else "user_gone"
    elif status == 404:
        kind = "channel_not_found"
    elif status == 401:
        kind = "forbidden"
    else:
        kind = "invalid"
    detail = f"HTTP {status}" if status is not None else type(exc).__name__
    return DeliveryError(kind, detail=f"{detail}: {exc}"[:300], retry_after=retry_after)
