"""Which adapters this process serves, decided by the settings."""

from __future__ import annotations

import asyncio
import logging

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
    return tasks
