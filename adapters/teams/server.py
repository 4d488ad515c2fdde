"""Mount the Teams endpoint (`POST /api/messages`) on the project's one aiohttp application.

Authentication: whenever `MICROSOFT_APP_ID` is set, every inbound activity must carry a valid
Bot Framework JWT (botbuilder checks it). Without an app id botbuilder accepts anything, so that
mode is refused unless explicitly allowed (`allow_unauthenticated`, local development only) and
then logged as a warning at startup.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory

from adapters.teams.app import TeamsBot
from adapters.teams.cards import ActionStyle
from adapters.teams.files import FileLink
from adapters.teams.limiter import TeamsLimiter
from adapters.teams.port import TeamsPort
from adapters.teams.refs import RefStore
from conversations.ports import EventHandler

log = logging.getLogger(__name__)

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
ALLOW_UNAUTHENTICATED_ENV = "MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED"
_TRUE = ("1", "true", "yes", "on")


class TeamsConfigError(ValueError):
    """The Teams settings cannot work (or would be unsafe)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamsSettings:
    """The Azure Bot registration, as botbuilder's configuration object expects it."""

    app_id: str | None = None
    app_password: str | None = None
    tenant_id: str | None = None
    app_type: str = "MultiTenant"
    allow_unauthenticated: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TeamsSettings:
        """Read `MICROSOFT_APP_ID/PASSWORD/TENANT_ID/TYPE` (the names Azure's templates use)."""
        env = os.environ if environ is None else environ
        return cls(
            app_id=env.get("MICROSOFT_APP_ID") or None,
            app_password=env.get("MICROSOFT_APP_PASSWORD") or None,
            tenant_id=env.get("MICROSOFT_APP_TENANT_ID") or None,
            app_type=env.get("MICROSOFT_APP_TYPE") or "MultiTenant",
            allow_unauthenticated=env.get(ALLOW_UNAUTHENTICATED_ENV, "").lower() in _TRUE,
        )

    def check(self) -> None:
        """Refuse settings that cannot authenticate, before the first request shows it."""
        if self.app_type not in APP_TYPES:
            raise TeamsConfigError(f"MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES)}")
        if not self.app_id:
            if not self.allow_unauthenticated:
                raise TeamsConfigError(
                    "MICROSOFT_APP_ID is not set: Teams requests could not be authenticated. "
                    f"For local development only, set {ALLOW_UNAUTHENTICATED_ENV}=1."
                )
            return
        if self.app_type in ("SingleTenant", "UserAssignedMSI") and not self.tenant_id:
            raise TeamsConfigError(f"MICROSOFT_APP_TENANT_ID is required for {self.app_type}")
        if self.app_type != "UserAssignedMSI" and not self.app_password:
            raise TeamsConfigError("MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID")


class _BotConfig:
    """The attribute names botbuilder's configuration classes read."""

    def __init__(self, settings: TeamsSettings) -> None:
        self.APP_ID = settings.app_id or ""
        self.APP_PASSWORD = settings.app_password or ""
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.tenant_id or ""


class _OwnRetries(ConfigurationBotFrameworkAuthentication):
    """Connectors without msrest's hidden retries.

    msrest retries 5xx three times with sleeps in a worker thread, invisible to the rate
    limiter; the port retries itself (429 with back-off) and leaves 5xx to the outbox.
    """

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _NoRetryFactory(super().create_connector_factory(claims_identity))


class _NoRetryFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory) -> None:
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        client = await self._inner.create(service_url, audience)
        policy = getattr(getattr(client, "config", None), "retry_policy", None)
        if policy is not None:
            policy.retries = 0
            inner = getattr(policy, "policy", None)
            if inner is not None:
                inner.status_forcelist = frozenset()
                inner.respect_retry_after_header = False
        return client


def create_adapter(*, settings: TeamsSettings) -> Any:
    """A `CloudAdapter` for `settings` (checked: see `TeamsSettings.check`)."""
    settings.check()
    if not settings.app_id:
        log.warning(
            "Teams endpoint is UNAUTHENTICATED (%s is set, no MICROSOFT_APP_ID): anyone who can "
            "reach it can act as any Teams user. Use this for local development only.",
            ALLOW_UNAUTHENTICATED_ENV,
        )
    return CloudAdapter(_OwnRetries(_BotConfig(settings)))


class TeamsInbox:
    """Runs accepted activities after the HTTP answer, in order per conversation.

    Why: the Bot Framework gives a bot 15 seconds to answer a POST and redelivers otherwise.
    A kickoff that writes to every member of a large team, paced by the rate limiter, takes
    longer than that. So a message or install is authenticated, acknowledged (202) and then
    handled; one conversation's activities are still handled one after the other, in the
    order they arrived, so typed answers cannot overtake each other. Invokes (Action.Execute)
    are answered synchronously: their HTTP answer carries the updated card.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, *, key: str, work: Callable[[], Awaitable[Any]]) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1

        async def run() -> None:
            try:
                async with lock:
                    await work()
            except Exception:
                log.exception("teams: handling an activity in %s failed", key)
            finally:
                self._queued[key] -= 1
                if not self._queued[key]:  # forget idle conversations
                    del self._queued[key], self._locks[key]

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until everything accepted so far (and what it led to) is handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def close(self, app: web.Application | None = None) -> None:
        """On shutdown: let in-flight activities finish (bounded), then stop."""
        try:
            await asyncio.wait_for(self.drain(), timeout=30)
        except TimeoutError:
            log.warning("teams: %d activities still running at shutdown", len(self._tasks))


TEAMS_INBOX: web.AppKey[TeamsInbox] = web.AppKey("teams_inbox", TeamsInbox)


def add_teams_routes(
    *,
    app: web.Application,
    handler: EventHandler,
    refs: RefStore,
    settings: TeamsSettings | None = None,
    path: str = "/api/messages",
    limiter: TeamsLimiter | None = None,
    action_style: ActionStyle = "submit",
    files: FileLink | None = None,
) -> TeamsPort:
    """Mount `POST path` and return the port the core (and the outbox) use to reach Teams.

    `files` turns attachments into download links; without it a card says the file cannot
    be fetched in Teams.
    """
    settings = settings or TeamsSettings.from_env()
    adapter = create_adapter(settings=settings)
    port = TeamsPort(
        adapter=adapter,
        app_id=settings.app_id,
        refs=refs,
        limiter=limiter,
        action_style=action_style,
        files=files,
    )
    bot = TeamsBot(handler=handler, port=port)

    inbox = TeamsInbox()
    app[TEAMS_INBOX] = inbox
    app.on_shutdown.append(inbox.close)

    async def messages(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise web.HTTPUnsupportedMediaType()
        try:
            activity = Activity().deserialize(await request.json())
        except ValueError as error:
            raise web.HTTPBadRequest(text="not an activity") from error
        if not activity.type:
            raise web.HTTPBadRequest(text="not an activity")
        if activity.type == ActivityTypes.invoke or activity.delivery_mode == "expectReplies":
            response = await adapter.process(request, bot)
            return response if response is not None else web.Response(status=201)
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except PermissionError as error:
            raise web.HTTPUnauthorized() from error
        key = activity.conversation.id if activity.conversation else ""
        inbox.submit(
            key=str(key),
            work=lambda: adapter.process_activity(authenticated, activity, bot.on_turn),
        )
        return web.Response(status=202)

    app.router.add_post(path, messages)
    return port
