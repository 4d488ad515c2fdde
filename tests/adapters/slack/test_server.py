"""Configuration and Socket Mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackConfigError, SlackSettings
from adapters.slack.server import (
    EVENTS_PATH,
    add_slack_routes,
    run_socket_mode,
    start_socket_mode,
    stop_socket_mode,
)
from conversations.events import CommandEvent
from conversations.messages import Message, Paragraph, Reply, ToActor
from tests.adapters.slack.conftest import FakeCore
from tests.adapters.slack.harness import slash_command
from tests.support.stub_slack import StubSlack

MANIFESTS = Path(__file__).resolve().parents[3] / "manifest" / "slack"


def test_no_slack_variables_means_no_slack() -> None:
    assert SlackSettings.from_env({"OTHER": "x"}) is None


def test_full_settings() -> None:
    settings = SlackSettings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "https://slack-gov.com/api/",
        }
    )
    assert settings is not None and settings.socket_mode
    assert settings.api_url == "https://slack-gov.com/api/"
    assert "xoxb" not in repr(settings)  # secrets stay out of logs


def test_socket_mode_needs_no_signing_secret_but_http_does(stub: StubSlack, core: FakeCore) -> None:
    settings = SlackSettings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings is not None and settings.signing_secret is None
    bolt = build_slack_app(handler=core, settings=settings)
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        add_slack_routes(app=web.Application(), bolt=bolt)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN missing"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "xoxb-"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xoxb-2"},
            "xapp-",
        ),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_API_URL": "slack.com",
            },
            "SLACK_API_URL",
        ),
    ],
)
def test_half_configured_slack_says_what_is_missing(env: dict[str, str], names: str) -> None:
    with pytest.raises(SlackConfigError, match=names):
        SlackSettings.from_env(env)


async def test_socket_mode_serves_the_same_app(
    stub: StubSlack, core: FakeCore, settings: SlackSettings
) -> None:
    bolt = build_slack_app(handler=core, settings=settings)
    core.script = lambda event: Reply(
        (Message(to=ToActor(), text="Hej", blocks=(Paragraph("Hej"),)),)
    )
    handler = await start_socket_mode(bolt=bolt, app_token="xapp-test")
    try:
        async with asyncio.timeout(5):
            await stub.wait_for("socket.open")
            (opened,) = stub.calls_to("apps.connections.open")
            assert opened.headers["Authorization"] == "Bearer xapp-test"
            payload = slash_command(stub=stub, user="U1", text="hjælp")
            await stub.push(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            (ack,) = await stub.wait_for("socket")
            assert ack["envelope_id"] == "env-1"
            await stub.wait_for("response_url:" + payload["response_url"].rsplit("/", 1)[1])
        (event,) = core.events
        assert isinstance(event, CommandEvent) and event.text == "hjælp"
    finally:
        await stop_socket_mode(handler)


async def test_run_socket_mode_until_cancelled(stub: StubSlack, core: FakeCore) -> None:
    settings = SlackSettings(
        bot_token="xoxb-test-token", app_token="xapp-test", api_url=stub.api_url
    )
    bolt = build_slack_app(handler=core, settings=settings)
    task = asyncio.create_task(run_socket_mode(bolt=bolt, app_token="xapp-test"))
    async with asyncio.timeout(5):
        await stub.wait_for("socket.open")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.socket-mode.yaml"])
def test_manifest_matches_what_the_app_listens_to(name: str) -> None:
    manifest = yaml.safe_load((MANIFESTS / name).read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == SlackSettings(bot_token="x", signing_secret="y").command
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_home_opened",
        "message.im",
    ]
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "users:read",
        "channels:read",
        "groups:read",
    } <= scopes
    assert not scopes & {"channels:history", "groups:history", "admin", "users:read.email"}
    if settings["socket_mode_enabled"]:
        assert "request_url" not in settings["event_subscriptions"] and "url" not in command
    else:
        urls = [
            settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"],
            command["url"],
        ]
        assert all(url.endswith(EVENTS_PATH) for url in urls)
