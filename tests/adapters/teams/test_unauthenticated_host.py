"""Unsigned Teams activities are for local development: never on a reachable interface.

With `MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED` and no app id, anyone who reaches `/api/messages` can
act as any Teams user of any tenant (read their shared prep as "their leader", sign plans). The
web chat, which has no login either, already refuses a non-loopback `MUSBOT_HOST`; the Teams
switch only logged a warning and served on every interface.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters import enable_adapters
from bot.config import ConfigError, load_settings
from bot.services import build_services


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'musbot.db'}"


async def test_unauthenticated_teams_is_refused_on_every_interface(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=_url(tmp_path), host="0.0.0.0", teams_allow_unauthenticated=True
    )
    services = await build_services(settings=settings)
    try:
        with pytest.raises(ConfigError, match="MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED"):
            await enable_adapters(services=services)
        assert "teams" not in services.adapters
    finally:
        await services.close()


async def test_unauthenticated_teams_is_allowed_on_loopback(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=_url(tmp_path), host="127.0.0.1", teams_allow_unauthenticated=True
    )
    services = await build_services(settings=settings)
    try:
        await enable_adapters(services=services)
        assert services.adapters == ["teams"]
    finally:
        await services.close()


async def test_signed_teams_may_listen_anywhere(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=_url(tmp_path),
        host="0.0.0.0",
        MICROSOFT_APP_ID="00000000-0000-0000-0000-000000000000",
        MICROSOFT_APP_PASSWORD="secret",
    )
    services = await build_services(settings=settings)
    try:
        await enable_adapters(services=services)
        assert services.adapters == ["teams"]
    finally:
        await services.close()
