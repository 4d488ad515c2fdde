"""How Slack reaches the bolt app: an HTTP route on the project's aiohttp server, or Socket Mode.

HTTP: Slack POSTs events, slash commands and interactivity to one URL. bolt's request
verification middleware checks the v0 signature and the timestamp (5 minutes) and answers 401
before any listener runs, so a forged or replayed request changes nothing.

Socket Mode (an app-level token, `SLACK_APP_TOKEN`): the bot dials out to Slack over a
WebSocket, so a workplace can run it without a public URL. Same app, same listeners.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from adapters.slack.app import SlackApp

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


def _malformed(body: bytes, content_type: str) -> bool:
    """A JSON body, or an interactivity `payload`, that does not parse (bolt would answer 500)."""
    try:
        if content_type == "application/json":
            json.loads(body)
        elif content_type == "application/x-www-form-urlencoded":
            for payload in parse_qs(body.decode("utf-8")).get("payload", ()):
                json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return True
    return False


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
        if _malformed(await request.read(), request.content_type):
            return web.Response(status=400, text="malformed body")
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    app.router.add_post(path, slack_events)
    if isinstance(bolt, SlackApp):

        async def drain(_: web.Application) -> None:
            await bolt.drain()

        app.on_shutdown.append(drain)


async def start_socket_mode(
    *, bolt: AsyncApp, app_token: str, allowed_teams: Sequence[str] = ()
) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode and return the handler (`stop_socket_mode` ends it).

    The connection runs in the background on the current event loop; the Web API calls
    (including `apps.connections.open`) go through the app's client and its base URL.
    """
    one_workspace(bolt=bolt, allowed_teams=allowed_teams)
    handler = AsyncSocketModeHandler(bolt, app_token=app_token)
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    return handler


async def run_socket_mode(
    *, bolt: AsyncApp, app_token: str, allowed_teams: Sequence[str] = ()
) -> None:
    """Serve over Socket Mode until cancelled (for `asyncio.create_task` in the bot's wiring)."""
    handler = await start_socket_mode(bolt=bolt, app_token=app_token, allowed_teams=allowed_teams)
    try:
        await asyncio.Event().wait()
    finally:
        await stop_socket_mode(handler)


async def stop_socket_mode(handler: AsyncSocketModeHandler) -> None:
    """Close the Socket Mode connection, then let accepted work finish."""
    await handler.close_async()
    if isinstance(handler.app, SlackApp):
        await handler.app.drain()
