"""Which adapters this process serves, decided by the settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.clock import OffsetClock
from bot.config import ConfigError, Settings
from bot.outbox import advance_rounds
from bot.services import Services

if TYPE_CHECKING:
    from adapters.webchat.server import ClockForward
    from bot.files import FileLinks

log = logging.getLogger("musbot")


async def enable_adapters(*, services: Services) -> list[asyncio.Task[None]]:
    """Mount each configured adapter's routes and register its port with the outbox.

    Returns background tasks (Socket Mode) the caller cancels on shutdown.
    """
    tasks: list[asyncio.Task[None]] = []
    settings = services.settings
    if settings.slack_enabled:
        tasks += _enable_slack(services)
    if settings.teams_enabled:
        _enable_teams(services)
    if not (settings.slack_enabled or settings.teams_enabled or settings.web_chat_enabled):
        log.warning(
            "no adapter is enabled: set Slack or Teams credentials, or MUSBOT_WEB_CHAT=true"
        )
    if settings.web_chat_enabled:
        enable_web_chat(services=services)
    return tasks


def demo_clock(services: Services) -> ClockForward:
    """Let the page move time forward and sweep the outbox, so reminders can be seen at once.

    Only for a process that serves nothing but the demo: the engine and the outbox then share
    one clock that can be moved ahead (never back); real people's time is never touched.
    """
    clock = OffsetClock(base=services.clock)
    services.clock = clock
    services.engine.clock = clock

    async def forward(by: timedelta) -> dict[str, Any]:
        clock.advance(by)
        await advance_rounds(store=services.store, clock=clock)
        result = await services.sweeper().sweep()
        log.info("web chat: the clock moved %s ahead to %s; %s", by, clock.now(), result)
        return {"now": clock.now().isoformat(), **asdict(result)}

    return forward


def enable_web_chat(*, services: Services) -> None:
    """The local web chat on `/`, with the demo workspace seeded on a database without it.

    Refused (`ConfigError`: musbot stops, naming the settings) on a non-loopback host unless
    MUSBOT_WEB_CHAT_PUBLIC is set: the page has no login, anyone who reaches it may act as
    anyone in the demo.
    """
    from adapters.webchat import WebChat, add_webchat_routes, is_seeded, load_directory, seed
    from adapters.webchat.server import exposure_problem

    settings = services.settings
    problem = exposure_problem(
        host=settings.host,
        public=settings.web_chat_public,
        passphrase=settings.web_chat_passphrase,
    )
    if problem is not None:
        raise ConfigError(problem)
    directory = load_directory()
    # The clock moves for everyone: only in a demo that serves nothing else, on loopback.
    demo_only = not (settings.slack_enabled or settings.teams_enabled or settings.web_chat_public)
    chat = WebChat(
        directory=directory,
        handler=services.handler,
        clock_forward=demo_clock(services) if demo_only else None,
        public=settings.web_chat_public,
        passphrase=settings.web_chat_passphrase,
        clock=services.clock,
    )
    # Reminders for the demo people go out through the web chat's port.
    services.ports[chat.port.platform] = chat.port

    def mount(app: web.Application) -> None:
        add_webchat_routes(app=app, chat=chat)

    async def seed_demo() -> None:
        if await is_seeded(store=services.store, directory=directory):
            return
        count = await seed(store=services.store, directory=directory)
        leaders = ", ".join(p.name for p in directory.people if p.admin)
        log.info(
            "web chat: seeded the demo workspace (%d people; leader: %s); pick who you are "
            "at the top of the page",
            count,
            leaders or "none",
        )

    services.mounts.append(mount)
    services.adapters.append("web")
    services.after_start.append(seed_demo)


def _enable_slack(services: Services) -> list[asyncio.Task[None]]:
    from adapters.slack import SlackSettings, add_slack_routes, build_slack_app, run_socket_mode
    from adapters.slack.server import SocketModeLink, bot_token_check

    settings = services.settings
    assert settings.slack_bot_token is not None
    slack_settings = SlackSettings(
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
    )
    bolt = build_slack_app(handler=services.handler, settings=slack_settings)
    services.ports["slack"] = bolt.port.for_background()  # the outbox's: 429s not slept out
    services.adapters.append("slack")
    services.before_serving.append(bolt.warm_up)
    tasks: list[asyncio.Task[None]] = []
    token_ok = bot_token_check(bolt=bolt)
    link: SocketModeLink | None = None
    if slack_settings.signing_secret:
        services.mounts.append(
            lambda app: add_slack_routes(
                app=app, bolt=bolt, allowed_teams=settings.slack_allowed_teams
            )
        )
    if slack_settings.app_token:
        link = SocketModeLink()
        tasks.append(
            asyncio.create_task(
                run_socket_mode(
                    bolt=bolt,
                    app_token=slack_settings.app_token,
                    link=link,
                    allowed_teams=settings.slack_allowed_teams,
                )
            )
        )
        log.info("Slack: Socket Mode")

    async def slack_ready() -> str | None:
        if link is not None and (problem := await link.check()):
            return problem
        return await token_ok()

    services.readiness.platforms["slack"] = slack_ready
    return tasks


def _enable_teams(services: Services) -> None:
    from adapters.teams.refs import StoreRefStore
    from adapters.teams.server import TeamsConfigError, TeamsSettings, add_teams_routes

    settings = services.settings
    if settings.teams_allow_unauthenticated and not settings.microsoft_app_id:
        from adapters.webchat import is_loopback

        if not is_loopback(settings.host):
            # Anyone who reaches an unsigned endpoint may act as any Teams user.
            raise ConfigError(
                "MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED accepts unsigned Teams activities, so it is "
                f"not served on MUSBOT_HOST={settings.host!r}: listen on 127.0.0.1, or set "
                "MICROSOFT_APP_ID (and its password) so every activity is checked"
            )
    teams_settings = TeamsSettings(
        app_id=settings.microsoft_app_id,
        app_password=settings.microsoft_app_password,
        tenant_id=settings.microsoft_app_tenant_id,
        app_type=settings.microsoft_app_type,
        allow_unauthenticated=settings.teams_allow_unauthenticated,
        openid_metadata_url=settings.teams_openid_metadata_url,
        login_url=settings.teams_login_url,
        allowed_tenants=tuple(settings.teams_allowed_tenants),
    )
    try:
        teams_settings.check()  # refuses unauthenticated mode unless explicitly allowed
    except TeamsConfigError as error:
        raise ConfigError(str(error)) from None
    refs = StoreRefStore(store=services.store)
    files = _teams_files(services)

    def mount(app: web.Application) -> None:
        port = add_teams_routes(
            app=app, handler=services.handler, refs=refs, settings=teams_settings, files=files
        )
        services.ports["teams"] = port.for_background()  # the outbox's: 429s not slept out

    services.mounts.append(mount)
    services.adapters.append("teams")
    if settings.microsoft_app_id and settings.microsoft_app_password:
        services.readiness.platforms["teams"] = _teams_token_check(settings)


def _teams_token_check(settings: Settings) -> Callable[[], Awaitable[str | None]]:
    """Teams has no connection to watch; ready means Microsoft still gives the bot its token
    (a revoked secret or a wrong tenant shows here before the first reply fails). A success is
    cached by the credentials until near expiry, a failure for 30 s, so probes stay cheap."""
    import aiohttp

    from adapters.teams.auth import ClientCredentials

    assert settings.microsoft_app_id is not None
    credentials = ClientCredentials(
        app_id=settings.microsoft_app_id,
        app_password=settings.microsoft_app_password or "",
        tenant_id=settings.microsoft_app_tenant_id
        if settings.microsoft_app_type == "SingleTenant"
        else None,
        login_url=settings.teams_login_url,
        timeout=5.0,
    )
    failed: dict[str, Any] = {"at": None, "problem": None}

    async def check() -> str | None:
        now = asyncio.get_running_loop().time()
        if failed["at"] is not None and now - failed["at"] < 30:
            problem: str | None = failed["problem"]
            return problem
        try:
            await credentials.token()
        except PermissionError as error:  # "token endpoint answered HTTP 401": no secret in it
            failed.update(at=now, problem=f"the bot's credentials are refused ({error})")
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            failed.update(at=now, problem=f"Microsoft login unreachable ({type(error).__name__})")
        else:
            failed.update(at=None, problem=None)
        problem = failed["problem"]
        return problem

    return check


def _teams_files(services: Services) -> FileLinks | None:
    """Download links for Teams (it cannot be sent files), served by this server.

    Without MUSBOT_PUBLIC_URL there is no address to link to: the bot still runs, and the
    cards say the file cannot be downloaded in Teams.
    """
    from bot.files import FileLinks, add_file_routes
    from storage.files import SqlFileRepo

    public_url = services.settings.public_url
    if not public_url:
        log.warning(
            "Teams: MUSBOT_PUBLIC_URL is not set, so calendar invites and plan documents cannot "
            "be given to Teams users (their cards say the file cannot be downloaded there). Set "
            "it to the https address the messaging endpoint is on, e.g. https://mus.example.org"
        )
        return None
    repo = SqlFileRepo(store=services.store)
    clock = services.clock
    services.mounts.append(lambda app: add_file_routes(app=app, repo=repo, clock=clock))
    links = FileLinks(repo=repo, clock=clock, public_url=public_url)
    log.info("Teams: files are download links under %s/files/ (valid %s)", public_url, links.ttl)
    return links
