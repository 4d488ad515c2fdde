"""SlackPort: the core's `PlatformPort` over Slack's Web API (slack_sdk's AsyncWebClient).

The core delivers channel posts, DMs and Home tabs through this, and reads channel members
and profiles. Every Web API failure leaves here as a neutral `DeliveryError`, so the words a
leader sees about "the bot is not in that channel" are chosen by the core, once, for every
platform. One port serves one workspace (one bot token); `workspace_id` is not consulted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import JSON, RenderError, render_home, render_message
from adapters.slack.translate import message_ref, parse_message_ref
from conversations.events import Actor
from conversations.messages import Attachment, HomeView, Message, ToChannel, ToPerson
from conversations.ports import ChannelInfo, DeliveryError, DeliveryFailure, Pace

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"

# ---------------------------------------------------------------- the Web API client


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 a few times, but only when Slack asks for a short wait.

    A long Retry-After would hold the request (and the person waiting for an answer) for
    that long; then the 429 surfaces as `DeliveryError("rate_limited", retry_after=...)`
    and the caller (the outbox, or the leader) decides.
    """

    def __init__(self, *, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is None or wait <= self.max_wait


class PooledWebClient(AsyncWebClient):
    """An AsyncWebClient that keeps one aiohttp session, so connections to Slack are reused.

    Without a session slack_sdk opens a new `aiohttp.ClientSession` (and a new TCP + TLS
    connection) for every call, which costs more CPU than the rest of answering a message.
    The session is made on first use, inside the running event loop, and again should the
    client be used from another loop (tests) or after it was closed.
    """

    _session_loop: asyncio.AbstractEventLoop | None = None

    async def api_call(self, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.session is None or self.session.closed or self._session_loop is not loop:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop
        return await super().api_call(*args, **kwargs)

    async def close(self) -> None:
        """Close the kept session (at shutdown)."""
        if self.session is not None and not self.session.closed:
            await self.session.close()
        self.session = None


def build_web_client(
    *,
    token: str,
    base_url: str | None = None,
    rate_limit_retries: int = 2,
    max_retry_wait: float = 5.0,
    timeout: int = 15,
) -> AsyncWebClient:
    """The one AsyncWebClient configuration: base URL (SLACK_API_URL) and bounded retries."""
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]
    if rate_limit_retries > 0:
        handlers.append(
            BoundedRateLimitRetryHandler(
                max_retry_count=rate_limit_retries, max_wait=max_retry_wait
            )
        )
    return PooledWebClient(
        token=token,
        base_url=base_url or SLACK_API_URL,
        timeout=timeout,
        retry_handlers=handlers,
    )


# ---------------------------------------------------------------- error mapping

_API_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)
"""What a Web API call can raise: an error answer, a transport failure, a timeout."""

_KINDS: dict[str, DeliveryFailure] = {
    "ratelimited": "rate_limited",
    "rate_limited": "rate_limited",
    "internal_error": "unavailable",
    "fatal_error": "unavailable",
    "service_unavailable": "unavailable",
    "request_timeout": "unavailable",
    "channel_not_found": "channel_not_found",
    "is_archived": "channel_not_found",
    "not_in_channel": "not_in_channel",
    "user_not_found": "user_gone",
    "users_not_found": "user_gone",
    "user_disabled": "user_gone",
    "account_inactive": "user_gone",
    "cannot_dm_bot": "user_gone",
    "user_not_visible": "user_gone",
    "missing_scope": "forbidden",
    "not_allowed_token_type": "forbidden",
    "restricted_action": "forbidden",
    "restricted_action_read_only_channel": "forbidden",
    "restricted_action_thread_only_channel": "forbidden",
    "restricted_action_non_threadable_channel": "forbidden",
    "not_authed": "forbidden",
    "invalid_auth": "forbidden",
    "token_revoked": "forbidden",
    "token_expired": "forbidden",
    "access_denied": "forbidden",
    "team_access_not_granted": "forbidden",
    "ekm_access_denied": "forbidden",
    "method_deprecated": "forbidden",
    "invalid_blocks": "invalid",
    "invalid_blocks_format": "invalid",
    "msg_too_long": "invalid",
    "msg_blocks_too_long": "invalid",
    "no_text": "invalid",
    "invalid_arguments": "invalid",
    "view_too_large": "invalid",
}


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (any capitalisation, list-valued or not)."""
    for key, value in (headers or {}).items():
        if str(key).lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list | tuple) and value else value
        try:
            return max(float(raw), 0.0)
        except (TypeError, ValueError):
            return None
    return None


def api_error_code(error: SlackApiError) -> str | None:
    """Slack's `error` string from a failed call, if the response carried one."""
    data = getattr(error.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def delivery_error(error: BaseException) -> DeliveryError:
    """Describe a Web API failure neutrally (see `DeliveryFailure`)."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, SlackApiError):
        response = error.response
        status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
        code = api_error_code(error)
        detail = code or f"HTTP {status}"
        if status == 429 or code in ("ratelimited", "rate_limited"):
            headers = getattr(response, "headers", None)
            wait = retry_after(headers) if isinstance(headers, Mapping) else None
            return DeliveryError("rate_limited", detail=detail, retry_after=wait or 1.0)
        if int(status) >= 500:
            return DeliveryError("unavailable", detail=detail)
        return DeliveryError(_KINDS.get(code or "", "invalid"), detail=detail)
    if isinstance(error, RenderError):
        return DeliveryError("invalid", detail=str(error))
    if isinstance(error, (*_API_ERRORS, OSError)):
        return DeliveryError("unavailable", detail=type(error).__name__)
    return DeliveryError("invalid", detail=f"{type(error).__name__}: {error}")


_NOT_UPDATABLE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)

# ---------------------------------------------------------------- profiles


def profile_actor(user: Mapping[str, Any], *, workspace_id: str) -> Actor:
    """A users.info `user` object as a neutral Actor."""
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
    )
    return Actor(
        platform="slack",
        workspace_id=workspace_id or user.get("team_id") or "",
        user_id=user["id"],
        display_name=name or None,
        locale=user.get("locale") or None,
        timezone=user.get("tz") or None,
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        email=profile.get("email") or None,  # only if an admin granted users:read.email
    )


def is_human(user: Mapping[str, Any]) -> bool:
    """Not a bot, not Slackbot, not deactivated."""
    return not (
        user.get("deleted")
        or user.get("is_bot")
        or user.get("is_app_user")
        or user.get("id") == "USLACKBOT"
    )


# ---------------------------------------------------------------- the port


class SlackPort:
    """`conversations.ports.PlatformPort` for one Slack workspace.

    Also the adapter's own delivery helpers (`post`, `post_ephemeral`, `dm_channel`), so
    in-place replies and proactive messages share one code path and one error mapping.
    """

    platform = "slack"
    conversation_pace = Pace(per_second=1.0, burst=3)
    """chat.postMessage: about 1 message a second per channel, short bursts allowed (Slack's
    documented "special" limit); the outbox paces each conversation by it."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        command: str = "/mus",
        profile_ttl: float = 600.0,
        lookup_concurrency: int = 8,
    ) -> None:
        self.client = client
        self.command_prefix = command  # the slash command as configured in the app manifest
        self.profile_ttl = profile_ttl
        self._profiles: dict[str, tuple[float, Mapping[str, Any] | None]] = {}
        self._dm_channels: dict[str, str] = {}
        self._lookups = asyncio.Semaphore(lookup_concurrency)
        self._companions: list[SlackPort] = []

    async def close(self) -> None:
        """Close the web clients' kept connections (this port's and `for_background`'s)."""
        for port in [self, *self._companions]:
            if isinstance(port.client, PooledWebClient):
                await port.client.close()

    def for_background(self) -> SlackPort:
        """This port for the outbox: a 429 surfaces at once as `DeliveryError("rate_limited",
        retry_after=...)` instead of slack_sdk's retry handler sleeping it out inside the send
        (which would stall every message behind it); the outbox reschedules the row instead.
        Caches (DM channels, profiles) are shared with this port."""
        client = self.client
        background = PooledWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[
                handler
                for handler in client.retry_handlers
                if not isinstance(handler, AsyncRateLimitErrorRetryHandler)
            ],
        )
        port = SlackPort(client=background, profile_ttl=self.profile_ttl)
        self._companions.append(port)
        port._profiles = self._profiles
        port._dm_channels = self._dm_channels
        port._lookups = self._lookups
        return port

    # -------------------------------------------------- PlatformPort

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        """Post a DM or channel message (or update `message.replaces` in place)."""
        match message.to:
            case ToPerson(user_id=user_id):
                channel = await self.dm_channel(user_id=user_id)
            case ToChannel(channel_id=channel_id):
                channel = channel_id
            case _:
                raise DeliveryError("invalid", detail="ToActor is answered in place, not sent")
        try:
            payloads = render_message(message)
        except RenderError as error:
            raise delivery_error(error) from error
        ref = await self.post(channel=channel, payloads=payloads, replaces=message.replaces)
        await self.upload(channel=channel, attachments=message.attachments)
        return ref

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        """views.publish the person's Home tab."""
        locale = self.cached_locale(view.user_id)
        try:
            await self.client.views_publish(
                user_id=view.user_id, view=render_home(view, locale=locale)
            )
        except (*_API_ERRORS, RenderError) as error:
            raise delivery_error(error) from error

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list[Actor]:
        """Human members of a channel, in Slack's order (bots and deactivated people dropped)."""
        user_ids: list[str] = []
        cursor: str | None = None
        try:
            while True:
                response = await self.client.conversations_members(
                    channel=channel_id, limit=200, cursor=cursor or None
                )
                user_ids += response.get("members") or []
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except _API_ERRORS as error:
            raise delivery_error(error) from error
        users = await asyncio.gather(*(self._user(user_id=u) for u in dict.fromkeys(user_ids)))
        return [
            profile_actor(user, workspace_id=workspace_id)
            for user in users
            if user is not None and is_human(user)
        ]

    async def lookup(self, *, workspace_id: str, user_id: str) -> Actor | None:
        """A person's profile (users.info with locale), cached for `profile_ttl` seconds."""
        user = await self._user(user_id=user_id)
        return profile_actor(user, workspace_id=workspace_id) if user is not None else None

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> ChannelInfo | None:
        """conversations.info: the channel's name and whether the bot is in it.

        A private channel the bot is not in reads as not found: named by its id, not a member.
        """
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except _API_ERRORS as error:
            failure = delivery_error(error)
            if failure.kind in ("channel_not_found", "not_in_channel"):
                return ChannelInfo(name=channel_id, bot_is_member=False)
            return None
        channel = response.get("channel") or {}
        name = channel.get("name")
        return ChannelInfo(
            name=f"#{name}" if name else channel_id,
            bot_is_member=bool(channel.get("is_member")) or bool(channel.get("is_im")),
        )

    # -------------------------------------------------- delivery helpers

    async def dm_channel(self, *, user_id: str) -> str:
        """The bot's DM channel with a person (conversations.open; cached, it never changes)."""
        if user_id in self._dm_channels:
            return self._dm_channels[user_id]
        try:
            response = await self.client.conversations_open(users=user_id)
        except _API_ERRORS as error:
            raise delivery_error(error) from error
        channel = (response.get("channel") or {}).get("id")
        if not channel:
            raise DeliveryError("invalid", detail="conversations.open returned no channel")
        self._dm_channels[user_id] = channel
        return str(channel)

    def remember_dm(self, *, user_id: str, channel_id: str) -> None:
        """Note a person's DM channel seen in a payload (saves a conversations.open)."""
        self._dm_channels.setdefault(user_id, channel_id)

    def cached_locale(self, user_id: str) -> str | None:
        """The person's Slack locale if a lookup already fetched it; never calls Slack."""
        cached = self._profiles.get(user_id)
        locale = cached[1].get("locale") if cached and cached[1] else None
        return locale if isinstance(locale, str) else None

    async def post(
        self, *, channel: str, payloads: Sequence[JSON], replaces: str | None = None
    ) -> str | None:
        """Post rendered payloads to a channel; the first updates `replaces` when it can.

        A ref from another channel is never updated (a reply lands where it was addressed),
        and a message Slack will not edit any more is answered with a new one.
        Returns the ref of the last message, the one carrying the buttons.
        """
        target = parse_message_ref(replaces) if replaces else None
        remaining = list(payloads)
        ref: str | None = None
        try:
            if target is not None and target[0] == channel and remaining:
                try:
                    # An update without `blocks` would keep the old ones (and their buttons).
                    args = {"blocks": [], **_message_args(remaining[0])}
                    await self.client.chat_update(channel=channel, ts=target[1], **args)
                    ref = replaces
                    remaining.pop(0)
                except SlackApiError as error:
                    if api_error_code(error) not in _NOT_UPDATABLE:
                        raise
                    log.info("cannot update %s (%s); posting anew", replaces, api_error_code(error))
            for payload in remaining:
                response = await self.client.chat_postMessage(
                    channel=channel,
                    unfurl_links=False,
                    unfurl_media=False,
                    **_message_args(payload),
                )
                ts = response.get("ts")
                posted_in = response.get("channel") or channel
                ref = message_ref(channel_id=posted_in, ts=ts) if ts else ref
        except _API_ERRORS as error:
            raise delivery_error(error) from error
        return ref

    async def post_ephemeral(self, *, channel: str, user_id: str, payloads: Sequence[JSON]) -> None:
        """chat.postEphemeral: seen only by `user_id`, not kept by Slack across reloads."""
        try:
            for payload in payloads:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, **_message_args(payload)
                )
        except _API_ERRORS as error:
            raise delivery_error(error) from error

    async def upload(self, *, channel: str, attachments: Iterable[Attachment]) -> None:
        """Share files in the channel (files.getUploadURLExternal + completeUploadExternal)."""
        for attachment in attachments:
            try:
                await self.client.files_upload_v2(
                    channel=channel,
                    content=attachment.content,
                    filename=attachment.filename,
                    title=attachment.title or attachment.filename,
                )
            except _API_ERRORS as error:
                raise delivery_error(error) from error

    async def profile(self, *, user_id: str) -> Mapping[str, Any] | None:
        """The raw users.info `user` (cached); None for an unknown user."""
        return await self._user(user_id=user_id)

    async def _user(self, *, user_id: str) -> Mapping[str, Any] | None:
        now = time.monotonic()
        cached = self._profiles.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._lookups:
            try:
                response = await self.client.users_info(user=user_id, include_locale=True)
                user: Mapping[str, Any] | None = response.get("user")
            except SlackApiError as error:
                if api_error_code(error) not in ("user_not_found", "users_not_found"):
                    raise delivery_error(error) from error
                user = None
            except _API_ERRORS as error:
                raise delivery_error(error) from error
        self._profiles[user_id] = (now + self.profile_ttl, user)
        return user


def _message_args(payload: JSON) -> JSON:
    """chat.* keyword arguments from a rendered payload (text, and blocks when there are any)."""
    args: JSON = {"text": payload.get("text") or ""}
    if payload.get("blocks"):
        args["blocks"] = payload["blocks"]
    return args
