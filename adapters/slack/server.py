"""How Slack reaches the bolt app: an HTTP route on the project's aiohttp server, or Socket Mode.

HTTP: Slack POSTs events, slash commands and interactivity to one URL. bolt's request
verification middleware checks the v0 signature and the timestamp (5 minutes) and answers 401
before any listener runs, so a forged or replayed request changes nothing.

Socket Mode (an app-level token, `SLACK_APP_TOKEN`): the bot dials out to Slack over a
WebSocket, so a workplace can run it without a public URL. Same app, same listeners.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError

from adapters.slack.app import RECEIVED_AT, SlackApp

if TYPE_CHECKING:  # Socket Mode's ~25 modules are imported only when it is configured
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def one_workspace(*, bolt: AsyncApp, allowed_teams: Sequence[str] = ()) -> None:
    """Refuse requests from any workspace but the installed one (or those in `allowed_teams`).

    The installed workspace is the bot token's (`auth.test`, which bolt asks before the first
    request). Runs after bolt's signature check, so only Slack itself learns of the refusal;
    it is logged with the team id only. Registered once per app, for HTTP and Socket Mode.
    """
    if getattr(bolt, "_musbot_one_workspace", False):
        return
    allowed = frozenset(allowed_teams)

    async def only_this_workspace(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        team = context.team_id
        installed = context.authorize_result.team_id if context.authorize_result else None
        if allowed:
            ok = team in allowed
        else:
            ok = team is None or installed is None or team == installed
        if ok:
            await next()
            return None
        log.warning("slack: refused a request from workspace %s (not this installation's)", team)
        return BoltResponse(status=403, body="")

    bolt.use(only_this_workspace)
    bolt._musbot_one_workspace = True  # type: ignore[attr-defined]


def add_slack_routes(
    *,
    app: web.Application,
    bolt: AsyncApp,
    path: str = EVENTS_PATH,
    allowed_teams: Sequence[str] = (),
) -> None:
    """Mount `POST /slack/events` (events, commands, interactivity) on an aiohttp app.

    On shutdown the server waits briefly for work that runs after an ack, so an answer that
    was already accepted is not cut off half-way. A body that is not JSON gets 400.
    """

    if isinstance(bolt, SlackApp) and not bolt.verifies_requests:
        raise ValueError("an HTTP endpoint for Slack needs SLACK_SIGNING_SECRET")
    one_workspace(bolt=bolt, allowed_teams=allowed_teams)

    async def slack_events(request: web.Request) -> web.Response:
        received = time.monotonic()
        try:
            # Bolt parses the body here (JSON, or an interactivity form's `payload`), once.
            bolt_request = await to_bolt_request(request)
        except (ValueError, LookupError, TypeError, AttributeError):
            # Not UTF-8 (or an unknown charset), not JSON, or JSON of the wrong shape (a list,
            # a number, a team that is not an object): bolt's parse would answer 500.
            return web.Response(status=400, text="malformed body")
        bolt_request.context[RECEIVED_AT] = received
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    app.router.add_post(path, slack_events)
    if isinstance(bolt, SlackApp):

        async def drain(_: web.Application) -> None:
            await bolt.drain()

        async def close(_: web.Application) -> None:
            await bolt.port.close()

        app.on_shutdown.append(drain)
        app.on_cleanup.append(close)


class SocketModeLink:
    """The Socket Mode connection's state, for the bot's readiness check (`/readyz`)."""

    def __init__(self) -> None:
        self.handler: AsyncSocketModeHandler | None = None
        # Why it is not connected: a Slack error code or an exception class name, never text
        # from a person. None once a session is established.
        self.problem: str | None = "connecting"

    async def check(self) -> str | None:
        """None when connected, else the reason."""
        if self.handler is not None and await self.handler.client.is_connected():
            return None
        return f"Socket Mode not connected ({self.problem or 'reconnecting'})"


class _QuietRetries(logging.Filter):
    """slack_sdk retries a failed connection every ping interval (10 s), logging a traceback
    each time: a revoked token would fill the log. The first failure is one warning line, the
    same failure again is dropped, and recovery is one info line; /readyz shows the state."""

    def __init__(self, link: SocketModeLink) -> None:
        super().__init__()
        self.link = link

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "has been established" in message:
            if self.link.problem not in (None, "connecting"):
                log.info("Slack Socket Mode connected again")
            self.link.problem = None
            return record.levelno > logging.INFO
        if record.levelno < logging.WARNING:
            return True
        if "Failed to retrieve WSS URL" in message:
            return False  # the "Failed to connect" record that follows carries the reason
        reason = _reason(record)
        record.exc_info = None
        record.exc_text = None
        if reason == self.link.problem:
            return False
        self.link.problem = reason
        record.msg = "Slack Socket Mode is not connected (%s); retrying quietly (see /readyz)"
        record.args = (reason,)
        return True


def _reason(record: logging.LogRecord) -> str:
    error = record.exc_info[1] if record.exc_info else None
    if error is None:
        return "error"
    response = getattr(error, "response", None)
    try:
        code = response["error"] if response is not None else None
    except (KeyError, TypeError):
        code = None
    if isinstance(code, str) and code.replace("_", "").isalnum():
        return code  # Slack's error code: invalid_auth, token_revoked, ...
    return type(error).__name__


def socket_mode_handler(
    *,
    bolt: AsyncApp,
    app_token: str,
    link: SocketModeLink | None = None,
    ping_interval: float = 10.0,
    allowed_teams: Sequence[str] = (),
) -> AsyncSocketModeHandler:
    """The handler, logging through a quiet logger, its state kept in `link`."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    one_workspace(bolt=bolt, allowed_teams=allowed_teams)
    link = link or SocketModeLink()
    quiet = logging.getLogger("adapters.slack.socket_mode")
    for old in [f for f in quiet.filters if isinstance(f, _QuietRetries)]:
        quiet.removeFilter(old)
    quiet.addFilter(_QuietRetries(link))
    handler = AsyncSocketModeHandler(
        bolt, app_token=app_token, logger=quiet, ping_interval=ping_interval
    )
    link.handler = handler
    return handler


async def start_socket_mode(
    *,
    bolt: AsyncApp,
    app_token: str,
    link: SocketModeLink | None = None,
    allowed_teams: Sequence[str] = (),
) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode and return the handler (`stop_socket_mode` ends it).

    The connection runs in the background on the current event loop; the Web API calls
    (including `apps.connections.open`) go through the app's client and its base URL. Until
    Slack accepts the app token this keeps retrying (quietly; `link` says why).
    """
    handler = socket_mode_handler(
        bolt=bolt, app_token=app_token, link=link, allowed_teams=allowed_teams
    )
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    return handler


async def run_socket_mode(
    *,
    bolt: AsyncApp,
    app_token: str,
    link: SocketModeLink | None = None,
    ping_interval: float = 10.0,
    allowed_teams: Sequence[str] = (),
) -> None:
    """Serve over Socket Mode until cancelled (for `asyncio.create_task` in the bot's wiring)."""
    handler = socket_mode_handler(
        bolt=bolt,
        app_token=app_token,
        link=link,
        ping_interval=ping_interval,
        allowed_teams=allowed_teams,
    )
    try:
        await handler.connect_async()
        log.info("Slack Socket Mode connected")
        await asyncio.Event().wait()
    finally:
        await stop_socket_mode(handler)


def bot_token_check(*, bolt: AsyncApp, every: float = 60.0) -> Callable[[], Awaitable[str | None]]:
    """A readiness check that the bot token still works (`auth.test`, at most once a minute)."""
    state: dict[str, Any] = {"at": None, "problem": None}

    async def check() -> str | None:
        now = asyncio.get_running_loop().time()
        if state["at"] is None or now - state["at"] >= every:
            state["at"] = now
            try:
                await bolt.client.auth_test()
                state["problem"] = None
            except SlackApiError as error:
                code = error.response.get("error", "error")
                state["problem"] = f"bot token refused ({code})"
            except (OSError, TimeoutError, ClientError) as error:
                state["problem"] = f"Slack API unreachable ({type(error).__name__})"
        problem: str | None = state["problem"]
        return problem

    return check


async def stop_socket_mode(handler: AsyncSocketModeHandler) -> None:
    """Close the Socket Mode connection, then let accepted work finish and close the app's
    Web API sessions (nothing else owns them when the bot serves over Socket Mode only)."""
    await handler.close_async()
    if isinstance(handler.app, SlackApp):
        await handler.app.close()
