"""No content in logs: libraries that print payloads or SQL are held at WARNING.

aiosqlite logs every statement with its parameters at DEBUG, sqlalchemy.engine the SQL and
values at INFO, slack_sdk/slack_bolt whole request and response bodies at DEBUG, and the Teams
SDKs the activities they receive. Each of those lines can carry an answer, a note or a plan,
so they stay at WARNING whatever MUSBOT_LOG_LEVEL says. Our own log lines name ids, never text.
"""

from __future__ import annotations

import logging

# Loggers (and their children) that may print message bodies, statements or parameters.
CONTENT_LOGGERS: tuple[str, ...] = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
    "slack_sdk",
    "slack_bolt",
    "microsoft_agents",
    "botbuilder",
    "botframework",
    "msrest",
    "msal",
    "urllib3",
    "aiohttp.client",
)


def hold_content_loggers() -> None:
    """Set every content-printing library logger to WARNING (idempotent; call after config)."""
    for name in CONTENT_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:  # NOTSET (0) inherits: that is what we stop
            logger.setLevel(logging.WARNING)
