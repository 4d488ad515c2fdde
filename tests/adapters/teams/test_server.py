"""Authentication and configuration of the Teams endpoint."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.connector import ConnectorFactory
from adapters.teams.server import TEAMS_INBOX, TeamsConfigError, TeamsSettings, add_teams_routes
from conversations.events import InboundEvent
from conversations.messages import Message, Reply, ToActor
from conversations.ports import DeliveryError, PlatformPort
from tests.adapters.teams.harness import Bot, MemoryRefStore, ScriptedHandler

APP_ID = "11111111-2222-3333-4444-555555555555"


def activity() -> dict[str, object]:
    return {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": "29:x", "aadObjectId": "aad-x"},
        "recipient": {"id": f"28:{APP_ID}"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t"},
        "text": "mus hjælp",
    }


async def serve(settings: TeamsSettings) -> tuple[TestClient, ScriptedHandler]:
    handler = ScriptedHandler()
    app = web.Application()
    add_teams_routes(app=app, handler=handler, refs=MemoryRefStore(), settings=settings)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client, handler


async def test_unsigned_request_is_refused_when_an_app_id_is_set() -> None:
    client, handler = await serve(TeamsSettings(app_id=APP_ID, app_password="secret"))
    try:
        response = await client.post("/api/messages", json=activity())
        assert response.status == 401
        assert handler.events == []
    finally:
        await client.close()


async def test_non_json_body_is_refused() -> None:
    client, _ = await serve(TeamsSettings(allow_unauthenticated=True))
    try:
        response = await client.post(
            "/api/messages", data="x", headers={"Content-Type": "text/plain"}
        )
        assert response.status == 415
    finally:
        await client.close()


def test_no_app_id_needs_the_explicit_switch() -> None:
    with pytest.raises(TeamsConfigError, match="MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED"):
        add_teams_routes(
            app=web.Application(),
            handler=ScriptedHandler(),
            refs=MemoryRefStore(),
            settings=TeamsSettings(),
        )


def test_unauthenticated_mode_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        add_teams_routes(
            app=web.Application(),
            handler=ScriptedHandler(),
            refs=MemoryRefStore(),
            settings=TeamsSettings(allow_unauthenticated=True),
        )
    assert "UNAUTHENTICATED" in caplog.text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (TeamsSettings(app_id=APP_ID), "PASSWORD"),
        (TeamsSettings(app_id=APP_ID, app_password="x", app_type="SingleTenant"), "TENANT_ID"),
        (TeamsSettings(app_id=APP_ID, app_password="x", app_type="Other"), "APP_TYPE"),
    ],
)
def test_incomplete_registration_is_refused(settings: TeamsSettings, message: str) -> None:
    with pytest.raises(TeamsConfigError, match=message):
        settings.check()


def test_settings_from_env() -> None:
    settings = TeamsSettings.from_env(
        {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "pw",
            "MICROSOFT_APP_TENANT_ID": "tenant",
            "MICROSOFT_APP_TYPE": "SingleTenant",
        }
    )
    assert settings == TeamsSettings(
        app_id=APP_ID, app_password="pw", tenant_id="tenant", app_type="SingleTenant"
    )
    settings.check()
    assert TeamsSettings.from_env({"MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED": "1"}).allow_unauthenticated


# ---------------------------------------------------------------- the unauthenticated local mode


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"],
)
async def test_unauthenticated_mode_takes_only_exact_json(content_type: str) -> None:
    """A web page can send text/plain or a form cross-origin without a preflight: refused."""
    client, handler = await serve(TeamsSettings(allow_unauthenticated=True))
    try:
        response = await client.post(
            "/api/messages",
            data=json.dumps(activity()),
            headers={"Content-Type": content_type},
        )
        assert response.status == 415
        assert handler.events == []
    finally:
        await client.close()


async def test_unauthenticated_mode_refuses_requests_from_a_web_page() -> None:
    client, handler = await serve(TeamsSettings(allow_unauthenticated=True))
    try:
        response = await client.post(
            "/api/messages", json=activity(), headers={"Origin": "https://evil.example"}
        )
        assert response.status == 403
        assert handler.events == []
        accepted = await client.post("/api/messages", json=activity())
        assert accepted.status == 202
    finally:
        await client.close()


async def test_unauthenticated_mode_calls_only_loopback_service_urls() -> None:
    factory = ConnectorFactory(credentials=None)
    with pytest.raises(DeliveryError, match="loopback"):
        await factory.client(service_url="https://smba.trafficmanager.net/emea/")
    with pytest.raises(DeliveryError, match="loopback"):
        await factory.client(service_url="http://10.0.0.8/")
    client = await factory.client(service_url="http://127.0.0.1:9/")
    await client.close()


async def test_a_forged_service_url_is_never_called_in_unauthenticated_mode(
    bot: Bot,
) -> None:
    """The turn's answer would go to the activity's serviceUrl: not outside this machine."""

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply((Message(to=ToActor(), text="Hej"),))

    bot.handler.respond = respond
    outside = bot.message("mus hjælp")
    outside["serviceUrl"] = "https://attacker.example/"
    await bot.post(outside)
    assert bot.stub.calls == []
    assert bot.handler.events == []  # the turn never ran: no connector for that URL


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null", b'{"type": 5}', b"{}"])
async def test_malformed_bodies_get_400_not_500(body: bytes) -> None:
    client, handler = await serve(TeamsSettings(allow_unauthenticated=True))
    try:
        response = await client.post(
            "/api/messages", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 400
        assert handler.events == []
    finally:
        await client.close()


def test_openid_metadata_and_allow_lists_are_settings() -> None:
    settings = TeamsSettings.from_env(
        {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "pw",
            "MUSBOT_TEAMS_OPENID_METADATA_URL": "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
            "MUSBOT_TEAMS_ALLOWED_TENANTS": "t1, t2",
        }
    )
    assert settings.openid_metadata_url.startswith("https://login.botframework.azure.us/")
    assert settings.tenants == frozenset({"t1", "t2"})
    assert TeamsSettings(tenant_id="t9").tenants == frozenset({"t9"})
    assert TeamsSettings().tenants is None


async def test_empty_strings_teams_may_send_for_none_are_read_as_absent() -> None:
    client, handler = await serve(TeamsSettings(allow_unauthenticated=True))
    try:
        body = activity()
        body["locale"] = ""
        body["from"] = {"id": "29:x", "aadObjectId": "", "name": ""}
        response = await client.post("/api/messages", json=body)
        assert response.status == 202
        await client.app[TEAMS_INBOX].drain()
        (event,) = handler.events
        assert event.actor.user_id == "29:x" and event.actor.locale is None
    finally:
        await client.close()
