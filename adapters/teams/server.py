"""Mount the Teams endpoint (`POST /api/messages`) on the project's one aiohttp application.

The Microsoft 365 Agents SDK (`microsoft-agents-hosting-core`/`-aiohttp`) runs each turn: its
`CloudAdapter` builds the `TurnContext` and hands it our `TeamsBot`; its `TeamsConnectorClient`
does every HTTP call to Teams. What the endpoint does itself, before the SDK sees anything:

1. **Authentication** (`adapters.teams.auth`): with an app id, every activity carries a Bot
   Framework JWT, checked without ever blocking the event loop; anything wrong is 401 with one
   log line. Without an app id the endpoint is refused unless `allow_unauthenticated` (local
   development only, loopback only), and then it accepts only `Content-Type:
   application/json` exactly and no request with an `Origin` header, so no web page in a
   browser on this machine can drive it; outbound calls then go to loopback URLs only.
2. **Parsing**: a body that is not a JSON object or not an activity is 400, never 500.
3. **One organisation**: activities from tenants other than the installation's
   (`MICROSOFT_APP_TENANT_ID`, or the `allowed_tenants` list) are refused with 403 and logged
   with the tenant id only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, DeliveryModes
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ClaimsIdentity, TurnContext
from pydantic import ValidationError

from adapters.teams import translate
from adapters.teams.app import TeamsBot
from adapters.teams.auth import (
    BOT_FRAMEWORK_METADATA_URL,
    LOGIN_URL,
    Claims,
    ClientCredentials,
    KeysUnavailable,
    SigningKeys,
    TokenValidator,
    Unauthorized,
)
from adapters.teams.cards import ActionStyle
from adapters.teams.connector import ConnectorFactory
from adapters.teams.files import FileLink
from adapters.teams.limiter import TeamsLimiter
from adapters.teams.port import TeamsPort
from adapters.teams.refs import RefStore
from conversations.ports import EventHandler

log = logging.getLogger(__name__)

APP_TYPES = ("MultiTenant", "SingleTenant")
ALLOW_UNAUTHENTICATED_ENV = "MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED"
METADATA_URL_ENV = "MUSBOT_TEAMS_OPENID_METADATA_URL"
LOGIN_URL_ENV = "MUSBOT_TEAMS_LOGIN_URL"
ALLOWED_TENANTS_ENV = "MUSBOT_TEAMS_ALLOWED_TENANTS"
_TRUE = ("1", "true", "yes", "on")
# Loggers that print activity payloads (the SDK logs a refused activity with its input).
_CHATTY_LOGGERS = ("microsoft_agents", "opentelemetry")


class TeamsConfigError(ValueError):
    """The Teams settings cannot work (or would be unsafe)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamsSettings:
    """The Azure Bot registration and how its tokens are checked."""

    app_id: str | None = None
    app_password: str | None = None
    tenant_id: str | None = None
    app_type: str = "MultiTenant"
    allow_unauthenticated: bool = False
    # Where the Bot Framework publishes its signing keys (sovereign clouds; tests' stand-in).
    openid_metadata_url: str = BOT_FRAMEWORK_METADATA_URL
    # Where the bot gets its own access token (client credentials).
    login_url: str = LOGIN_URL
    # Tenants whose activities are accepted; empty: the app's tenant, if any.
    allowed_tenants: tuple[str, ...] = field(default_factory=tuple)

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
            openid_metadata_url=env.get(METADATA_URL_ENV) or BOT_FRAMEWORK_METADATA_URL,
            login_url=env.get(LOGIN_URL_ENV) or LOGIN_URL,
            allowed_tenants=tuple(
                t.strip() for t in env.get(ALLOWED_TENANTS_ENV, "").split(",") if t.strip()
            ),
        )

    @property
    def tenants(self) -> frozenset[str] | None:
        """The tenants this installation serves; None: any (multi-tenant without a list)."""
        if self.allowed_tenants:
            return frozenset(self.allowed_tenants)
        if self.tenant_id:
            return frozenset({self.tenant_id})
        return None

    def check(self) -> None:
        """Refuse settings that cannot authenticate, before the first request shows it."""
        if self.app_type not in APP_TYPES:
            raise TeamsConfigError(
                f"MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES)} "
                "(a managed identity, UserAssignedMSI, is not supported)"
            )
        if not self.app_id:
            if not self.allow_unauthenticated:
                raise TeamsConfigError(
                    "MICROSOFT_APP_ID is not set: Teams requests could not be authenticated. "
                    f"For local development only, set {ALLOW_UNAUTHENTICATED_ENV}=1."
                )
            return
        if self.app_type == "SingleTenant" and not self.tenant_id:
            raise TeamsConfigError(f"MICROSOFT_APP_TENANT_ID is required for {self.app_type}")
        if not self.app_password:
            raise TeamsConfigError("MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID")


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
            except Exception as error:
                # The type only: an exception's text may quote what someone wrote.
                log.error("teams: handling an activity in %s failed: %s", key, type(error).__name__)
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


def quiet_sdk_loggers() -> None:
    """Hold the SDK's loggers at WARNING: at INFO/DEBUG they print payloads."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    # It logs a refused activity's input, traceback included, at ERROR: we answer 400 instead.
    logging.getLogger("microsoft_agents.activity.activity").setLevel(logging.CRITICAL)


def create_adapter(*, factory: ConnectorFactory) -> CloudAdapter:
    """The SDK's adapter, with our connectors and without its chatty turn-error handler."""
    adapter = CloudAdapter(channel_service_client_factory=factory)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # The SDK's default prints the traceback and posts the exception text into the chat.
        raise error

    adapter.on_turn_error = on_turn_error
    return adapter


class _Gate:
    """Step 1 and 3 of the module docstring, for one request."""

    def __init__(self, *, settings: TeamsSettings, validator: TokenValidator | None) -> None:
        self.settings = settings
        self.validator = validator
        self.tenants = settings.tenants

    async def authenticate(self, request: web.Request) -> Claims | None:
        """The token's claims (None in the unauthenticated mode), or an HTTP error to raise."""
        if self.validator is None:
            if request.headers.get("Content-Type", "").strip().lower() != "application/json":
                raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
            if "Origin" in request.headers:
                log.warning("teams: refused an unauthenticated request with an Origin header")
                raise web.HTTPForbidden(text="cross-origin requests are refused")
            return None
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
        try:
            claims = await self.validator.validate(request.headers.get("Authorization"))
        except Unauthorized as refusal:
            log.warning("teams: 401 from %s: %s", request.remote, refusal.reason)
            raise web.HTTPUnauthorized(text="unauthorized") from None
        except KeysUnavailable:
            raise web.HTTPServiceUnavailable(
                text="signing keys unavailable", headers={"Retry-After": "30"}
            ) from None
        return claims

    def check_activity(
        self, request: web.Request, claims: Claims | None, activity: Activity
    ) -> None:
        if self.validator is not None and claims is not None:
            try:
                self.validator.check_activity(
                    claims,
                    channel_id=str(activity.channel_id) if activity.channel_id else None,
                    service_url=activity.service_url,
                )
            except Unauthorized as refusal:
                log.warning("teams: 401 from %s: %s", request.remote, refusal.reason)
                raise web.HTTPUnauthorized(text="unauthorized") from None
        tenant = translate.tenant_id(activity)
        if self.tenants is not None and tenant not in self.tenants:
            log.warning(
                "teams: refused an activity from tenant %s (not this installation's)", tenant
            )
            raise web.HTTPForbidden(text="this bot serves another organisation")


async def _parse(request: web.Request) -> Activity:
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="not an activity")
    try:
        activity = Activity.model_validate(body)
    except (ValidationError, ValueError, TypeError):
        # The SDK's models refuse empty strings in many fields ("locale": "", an account's
        # "aadObjectId": ""), which Teams may send for "none": read those as absent.
        try:
            activity = Activity.model_validate(_without_empty_strings(body))
        except (ValidationError, ValueError, TypeError):
            raise web.HTTPBadRequest(text="not an activity") from None
    if not activity.type or not activity.conversation or not activity.conversation.id:
        raise web.HTTPBadRequest(text="not an activity")
    return activity


_OPAQUE = frozenset({"value", "channelData", "text"})  # passed on as sent


def _without_empty_strings(data: Any, *, top: bool = True) -> Any:
    if isinstance(data, dict):
        return {
            k: (v if top and k in _OPAQUE else _without_empty_strings(v, top=False))
            for k, v in data.items()
            if not (isinstance(v, str) and v == "" and not (top and k in _OPAQUE))
        }
    if isinstance(data, list):
        return [_without_empty_strings(v, top=False) for v in data]
    return data


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
    keys: SigningKeys | None = None,
) -> TeamsPort:
    """Mount `POST path` and return the port the core (and the outbox) use to reach Teams.

    `files` turns attachments into download links; without it a card says the file cannot
    be fetched in Teams. `keys` replaces the signing-key cache (tests tune its timings).
    """
    settings = settings or TeamsSettings.from_env()
    settings.check()
    quiet_sdk_loggers()
    validator: TokenValidator | None = None
    credentials: ClientCredentials | None = None
    if settings.app_id:
        validator = TokenValidator(
            app_id=settings.app_id,
            keys=keys or SigningKeys(metadata_url=settings.openid_metadata_url),
            tenant_id=settings.tenant_id,
            single_tenant=settings.app_type == "SingleTenant",
            login_url=settings.login_url,
        )
        credentials = ClientCredentials(
            app_id=settings.app_id,
            app_password=settings.app_password or "",
            tenant_id=settings.tenant_id if settings.app_type == "SingleTenant" else None,
            login_url=settings.login_url,
        )
    else:
        log.warning(
            "Teams endpoint is UNAUTHENTICATED (%s is set, no MICROSOFT_APP_ID): anyone who can "
            "reach it can act as any Teams user. Use this for local development only.",
            ALLOW_UNAUTHENTICATED_ENV,
        )
    if settings.tenants is None:
        log.warning(
            "Teams: activities from every tenant are accepted: set MICROSOFT_APP_TENANT_ID or "
            "%s to serve one organisation only",
            ALLOWED_TENANTS_ENV,
        )
    factory = ConnectorFactory(credentials=credentials)
    app.on_cleanup.append(factory.close)  # the connectors it keeps open
    adapter = create_adapter(factory=factory)
    port = TeamsPort(
        refs=refs, factory=factory, limiter=limiter, action_style=action_style, files=files
    )
    bot = TeamsBot(handler=handler, port=port)
    gate = _Gate(settings=settings, validator=validator)

    inbox = TeamsInbox()
    app[TEAMS_INBOX] = inbox
    app.on_shutdown.append(inbox.close)

    async def messages(request: web.Request) -> web.StreamResponse:
        claims = await gate.authenticate(request)
        activity = await _parse(request)
        gate.check_activity(request, claims, activity)
        key = str(activity.conversation.id if activity.conversation else "")
        identity = ClaimsIdentity(
            claims.raw if claims else {}, authentication_type="Bearer" if claims else None
        )
        if (
            activity.type == ActivityTypes.invoke
            or activity.delivery_mode == DeliveryModes.expect_replies
        ):
            try:
                response = await adapter.process_activity(identity, activity, bot.on_turn)
            except Exception as error:
                # The type only: an exception's text may quote what someone wrote.
                log.error("teams: an invoke in %s failed: %s", key, type(error).__name__)
                return web.Response(status=500)
            if response is None:
                return web.Response(status=200)
            return web.json_response(response.body, status=response.status or 200)
        inbox.submit(
            key=key,
            work=lambda: adapter.process_activity(identity, activity, bot.on_turn),
        )
        return web.Response(status=202)

    app.router.add_post(path, messages)
    return port
