"""The Bot Connector client: the Agents SDK's `TeamsConnectorClient`, rate-limited and retried.

Two pieces:

* `ConnectorFactory` is what the SDK's `CloudAdapter` asks for a connector (inbound turns,
  `continue_conversation`, `create_conversation`). It hands out a `TeamsConnectorClient` with
  the bot's own access token (`auth.ClientCredentials`) and an HTTP timeout. In the
  unauthenticated local mode it has no token and refuses any service URL that is not on a
  loopback address, so a forged activity cannot make the bot call out to the internet.
* `Connector.call` runs every request: wait for the rate limiter, run, retry a 429 a bounded
  number of times (Retry-After honoured, else exponential back-off with jitter), and turn
  whatever the connector says into a neutral `DeliveryError` the core can word for a leader.
  5xx are not retried here: the outbox retries a message later.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    PagedMembersResult,
)
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, ClaimsIdentity
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from adapters.teams import translate
from adapters.teams.auth import ClientCredentials
from adapters.teams.cards import CARD_CONTENT_TYPE, Card
from adapters.teams.limiter import TeamsLimiter
from conversations.ports import DeliveryError, DeliveryFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
Target = Literal["person", "channel", "lookup"]
MEMBERS_PAGE_SIZE = 500
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
RETIRED_CLIENT_GRACE = 40.0
"""Seconds a client replaced by a renewed token stays open: requests begun on it end by then."""


@lru_cache(maxsize=64)  # asked before every request in the local mode; a handful of URLs
def is_loopback_url(url: str | None) -> bool:
    """True for http(s) URLs on 127.0.0.0/8, ::1 or `localhost`."""
    if not url:
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConnectorFactory(ChannelServiceClientFactoryBase):
    """Connector clients for the SDK's adapter: our token, our timeout, no OAuth user tokens."""

    def __init__(self, *, credentials: ClientCredentials | None) -> None:
        self.credentials = credentials  # None: unauthenticated local mode
        self._kept: dict[str, tuple[str, TeamsConnectorClient]] = {}
        self._retired: list[tuple[float, TeamsConnectorClient]] = []

    async def create_connector_client(
        self,
        context: Any,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        return await self.client(service_url=service_url)

    async def client(self, *, service_url: str) -> TeamsConnectorClient:
        """A connector for `service_url` (the caller closes it)."""
        token = await self._token(service_url=service_url)
        return _new_client(service_url=service_url, token=token)

    async def kept_client(self, *, service_url: str) -> TeamsConnectorClient:
        """A connector for `service_url` that stays open for the next request (never close it).

        A new client per request costs a new HTTP session, connection and TLS handshake, and
        the SDK's client setup (it reads package metadata each time): milliseconds of CPU
        per message, in a fan-out of hundreds. One is kept per service URL and token; when
        the token is renewed the old client is closed once requests begun on it are done
        (after the HTTP timeout), and all of them at `close`.
        """
        token = await self._token(service_url=service_url)
        kept = self._kept.get(service_url)
        if kept is not None and kept[0] == token and not kept[1].client.closed:
            return kept[1]
        client = _new_client(service_url=service_url, token=token)
        self._kept[service_url] = (token, client)
        now = time.monotonic()
        if kept is not None:
            self._retired.append((now, kept[1]))
        still: list[tuple[float, TeamsConnectorClient]] = []
        for retired_at, old in self._retired:
            if now - retired_at > RETIRED_CLIENT_GRACE:
                await old.close()
            else:
                still.append((retired_at, old))
        self._retired = still
        return client

    async def close(self, app: object = None) -> None:
        """Close the kept clients (at shutdown; `app`: aiohttp's cleanup hook passes it)."""
        kept, self._kept = self._kept, {}
        retired, self._retired = self._retired, []
        for client in [c for _, c in kept.values()] + [c for _, c in retired]:
            await client.close()

    async def _token(self, *, service_url: str) -> str:
        if self.credentials is None:
            if not is_loopback_url(service_url):
                raise DeliveryError(
                    "forbidden",
                    detail="unauthenticated mode only calls a loopback service URL",
                )
            return ""
        try:
            return await self.credentials.token()
        except (aiohttp.ClientError, TimeoutError, PermissionError) as error:
            raise DeliveryError(
                "unavailable", detail=f"no access token: {type(error).__name__}"
            ) from None

    async def create_user_token_client(
        self, context: Any, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        # MUS-bot uses no OAuth sign-in; the SDK's turn still wants a client to close.
        return _NoUserTokens()


def _new_client(*, service_url: str, token: str) -> TeamsConnectorClient:
    if not service_url.endswith("/"):
        service_url += "/"
    session = aiohttp.ClientSession(base_url=service_url, timeout=HTTP_TIMEOUT)
    return TeamsConnectorClient(endpoint=service_url, token=token, session=session)


class _NoUserTokens(UserTokenClient):
    """A user-token client that opens no HTTP session (nothing here signs users in)."""

    def __init__(self) -> None:  # the base opens a ClientSession; there is nothing to open
        pass

    async def close(self) -> None:
        return None


def card_activity(card: Card, *, summary: str | None = None) -> Activity:
    """A message activity carrying one card; `summary` is what notifications show."""
    activity = Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
    )
    if summary:
        activity.summary = summary
    return activity


class Connector:
    """Connector requests for the port: limited, retried on 429, failures made neutral."""

    def __init__(
        self,
        *,
        factory: ConnectorFactory,
        limiter: TeamsLimiter | None = None,
        max_retries: int = 3,
        max_retry_after: float = 60.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.factory = factory
        self.limiter = limiter or TeamsLimiter()
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.jitter = jitter

    async def with_client(
        self, *, service_url: str, fn: Callable[[TeamsConnectorClient], Awaitable[T]]
    ) -> T:
        """Run `fn` with the connector kept for `service_url` (`ConnectorFactory.kept_client`)."""
        return await fn(await self.factory.kept_client(service_url=service_url))

    async def call(
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
            except DeliveryError:
                raise
            except (aiohttp.ClientError, ConnectionError, TimeoutError, ValueError) as exc:
                error = delivery_error(exc, target=target)
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

    # ------------------------------------------------------------ operations

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
        activity_id = ""
        for card in cards:
            activity = card_activity(card, summary=summary)
            activity.conversation = ConversationAccount(id=conversation_id)
            response = await self.call(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                target=target,
                op=lambda a=activity: client.conversations.send_to_conversation(  # type: ignore[misc]
                    conversation_id, a
                ),
            )
            activity_id = str(getattr(response, "id", "") or "")
        return translate.make_ref(conversation_id=conversation_id, activity_id=activity_id)

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
        parts = translate.split_ref(ref)
        if parts is None:
            raise DeliveryError("invalid", detail=f"not a Teams message ref: {ref}")
        conversation_id, activity_id = parts
        activity = card_activity(card, summary=summary)
        activity.id = activity_id
        activity.conversation = ConversationAccount(id=conversation_id)
        await self.call(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            target=target,
            op=lambda: client.conversations.update_activity(conversation_id, activity_id, activity),
        )

    async def create_personal_chat(
        self,
        *,
        service_url: str,
        workspace_id: str,
        bot: ChannelAccount,
        member_id: str,
    ) -> str:
        """The id of the bot's 1:1 chat with `member_id` (Teams returns the existing one)."""
        parameters = ConversationParameters(
            is_group=False,
            agent=bot,
            members=[ChannelAccount(id=member_id)],
            tenant_id=workspace_id,
            channel_data={"tenant": {"id": workspace_id}},
        )

        async def create(client: TeamsConnectorClient) -> str:
            created = await self.call(
                workspace_id=workspace_id,
                conversation_id=None,
                target="person",
                op=lambda: client.conversations.create_conversation(parameters),
            )
            if not created.id:
                raise DeliveryError("unavailable", detail="create_conversation returned no id")
            return str(created.id)

        return await self.with_client(service_url=service_url, fn=create)

    async def paged_members(
        self, *, service_url: str, workspace_id: str, team_id: str
    ) -> list[ChannelAccount]:
        """Every member of a team, page by page (continuation tokens)."""

        async def read(client: TeamsConnectorClient) -> list[ChannelAccount]:
            members: list[ChannelAccount] = []
            token: str | None = None
            while True:
                page = await self.call(
                    workspace_id=workspace_id,
                    conversation_id=None,
                    target="channel",
                    op=lambda t=token: _paged_members(client, team_id, t),  # type: ignore[misc]
                )
                members.extend(page.members or ())
                token = page.continuation_token
                if not token:
                    return members

        return await self.with_client(service_url=service_url, fn=read)

    async def member(
        self, *, service_url: str, workspace_id: str, conversation_id: str, member_id: str
    ) -> ChannelAccount:
        """One member of a conversation (their name)."""

        async def read(client: TeamsConnectorClient) -> ChannelAccount:
            return await self.call(
                workspace_id=workspace_id,
                conversation_id=None,
                target="lookup",
                op=lambda: client.conversations.get_conversation_member(conversation_id, member_id),
            )

        return await self.with_client(service_url=service_url, fn=read)


async def _paged_members(
    client: TeamsConnectorClient, team_id: str, token: str | None
) -> PagedMembersResult:
    """One roster page: the SDK's request, read leniently.

    The SDK's `get_conversation_paged_members` refuses a whole page when one account has an
    empty field (a bot's ``"aadObjectId": ""``); here empty strings are read as absent.
    """
    params = {"pageSize": str(MEMBERS_PAGE_SIZE)}
    if token:
        params["continuationToken"] = token
    url = f"v3/conversations/{quote(team_id, safe='')}/pagedmembers"
    async with client.client.get(url, params=params) as response:
        if response.status != 200:
            raise aiohttp.ClientResponseError(
                response.request_info,
                response.history,
                status=response.status,
                headers=response.headers,
            )
        data = await response.json()
    return PagedMembersResult.model_validate(_drop_empty(data))


def _drop_empty(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _drop_empty(v) for k, v in data.items() if v != ""}
    if isinstance(data, list):
        return [_drop_empty(v) for v in data]
    return data


def _status_and_retry_after(exc: BaseException) -> tuple[int | None, float | None]:
    status = getattr(exc, "status", None) if isinstance(exc, aiohttp.ClientResponseError) else None
    headers = getattr(exc, "headers", None) or {}
    retry_after: float | None = None
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    if raw is not None:
        try:
            retry_after = max(0.0, float(raw))
        except (TypeError, ValueError):
            retry_after = None  # an HTTP date: fall back to our own back-off
    return (int(status) if status is not None else None), retry_after


def delivery_error(exc: BaseException, *, target: Target) -> DeliveryError:
    """What a connector failure means, in the core's words (never the response body)."""
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
    return DeliveryError(kind, detail=detail, retry_after=retry_after)
