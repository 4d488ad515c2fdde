"""Which adapters this process serves, decided by the settings."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.services import Services

log = logging.getLogger("musbot")


async def enable_adapters(*, services: Services) -> list[asyncio.Task[None]]:
    """Mount each configured adapter's routes; return background tasks (Socket Mode, scheduler)."""
    tasks: list[asyncio.Task[None]] = []
    settings = services.settings
    if not (settings.slack_enabled or settings.teams_enabled or settings.web_chat_enabled):
        log.warning(
            "no adapter is enabled: set Slack or Teams credentials, or MUSBOT_WEB_CHAT=true"
        )
    if settings.web_chat_enabled:
        enable_web_chat(services=services)
    return tasks


def enable_web_chat(*, services: Services) -> None:
    """The local web chat on `/`, with the demo workspace seeded on a database without it.

    Refused (logged, not mounted) on a non-loopback host unless MUSBOT_WEB_CHAT_PUBLIC is set:
    the page has no login, anyone who reaches it may act as anyone in the demo.
    """
    from adapters.webchat import WebChat, add_webchat_routes, is_seeded, load_directory, seed
    from adapters.webchat.server import exposure_problem

    settings = services.settings
    problem = exposure_problem(host=settings.host, public=settings.web_chat_public)
    if problem is not None:
        log.error("%s", problem)
        return
    directory = load_directory()
    chat = WebChat(
        directory=directory,
        handler=services.engine,
        # Reminders (issue #4) offer `clock_forward(timedelta) -> str` on Services when ready.
        clock_forward=getattr(services, "clock_forward", None),
        public=settings.web_chat_public,
    )

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
