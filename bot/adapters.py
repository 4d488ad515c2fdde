"""Which adapters this process serves, decided by the settings."""

from __future__ import annotations

import asyncio
import logging

from bot.services import Services

log = logging.getLogger("musbot")


async def enable_adapters(*, services: Services) -> list[asyncio.Task[None]]:
    """Mount each configured adapter's routes and register its port with the outbox.

    Returns background tasks (Socket Mode) the caller cancels on shutdown.
    """
    tasks: list[asyncio.Task[None]] = []
    settings = services.settings
    if settings.slack_enabled:
        tasks += _enable_slack(services)
    if not (settings.slack_enabled or settings.teams_enabled or settings.web_chat_enabled):
        log.warning(
            "no adapter is enabled: set Slack or Teams credentials, or MUSBOT_WEB_CHAT=true"
        )
    return tasks


def _enable_slack(services: Services) -> list[asyncio.Task[None]]:
    from adapters.slack import SlackSettings, add_slack_routes, build_slack_app, run_socket_mode

    settings = services.settings
    assert settings.slack_bot_token is not None
    slack_settings = SlackSettings(
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
    )
    bolt = build_slack_app(handler=services.engine, settings=slack_settings)
    services.ports["slack"] = bolt.port
    services.adapters.append("slack")
    tasks: list[asyncio.Task[None]] = []
    if slack_settings.signing_secret:
        services.mounts.append(lambda app: add_slack_routes(app=app, bolt=bolt))
    if slack_settings.app_token:
        tasks.append(
            asyncio.create_task(run_socket_mode(bolt=bolt, app_token=slack_settings.app_token))
        )
        log.info("Slack: Socket Mode")
    return tasks
