"""Authentication of `/api/messages` against a stand-in OpenID/JWKS endpoint with real RS256 keys.

Every bad kind of token gets 401 with one log line and no traceback; forged tokens never make
the bot fetch keys again; tenants other than the installation's are refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.auth import SigningKeys
from adapters.teams.server import TEAMS_INBOX, TeamsSettings, add_teams_routes
from tests.adapters.teams.harness import ANNA, BOT, TENANT, MemoryRefStore, ScriptedHandler
from tests.support.stub_connector import StubConnector
from tests.support.stub_login import ISSUER, KID, StubLogin, new_key

APP_ID = "11111111-2222-3333-4444-555555555555"
MARKER = "HEMMELIGT-SVAR-4411"


@dataclass
class Endpoint:
    client: TestClient
    handler: ScriptedHandler
    login: StubLogin
    stub: StubConnector
    keys: SigningKeys

    def activity(self, *, tenant: str = TENANT, text: str = f"mus {MARKER}") -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"in-{time.monotonic_ns()}",
            "channelId": "msteams",
            "serviceUrl": self.stub.url,
            "from": {"id": ANNA.id, "aadObjectId": ANNA.aad, "name": ANNA.name},
            "recipient": dict(BOT),
            "conversation": {"id": "a:dm-anna", "conversationType": "personal", "tenantId": tenant},
            "channelData": {"tenant": {"id": tenant}},
            "text": text,
        }

    def token(self, **overrides: Any) -> str:
        claims: dict[str, Any] = {"audience": APP_ID, "service_url": self.stub.url}
        claims.update(overrides)
        return self.login.token(**claims)

    async def post(self, activity: dict[str, Any], authorization: str | None) -> int:
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        await self.client.app[TEAMS_INBOX].drain()
        return response.status


@pytest.fixture
async def endpoint(stub: StubConnector) -> AsyncIterator[Endpoint]:
    login = await StubLogin().start()
    keys = SigningKeys(metadata_url=login.metadata_url, timeout=2.0)
    handler = ScriptedHandler()
    app = web.Application()
    add_teams_routes(
        app=app,
        handler=handler,
        refs=MemoryRefStore(),
        settings=TeamsSettings(
            app_id=APP_ID,
            app_password="secret",
            tenant_id=TENANT,
            app_type="SingleTenant",
            openid_metadata_url=login.metadata_url,
            login_url=login.url,
        ),
        keys=keys,
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield Endpoint(client=client, handler=handler, login=login, stub=stub, keys=keys)
    await client.close()
    await login.close()


async def test_a_valid_token_is_accepted_and_the_bot_answers_with_its_own_token(
    endpoint: Endpoint,
) -> None:
    status = await endpoint.post(endpoint.activity(), f"Bearer {endpoint.token()}")
    assert status == 202
    assert len(endpoint.handler.events) == 1
    # The bot's own access token came from the (stand-in) token endpoint, for its tenant.
    (request,) = endpoint.login.token_requests
    assert request["client_id"] == APP_ID and request["grant_type"] == "client_credentials"


def _none_token(e: Endpoint) -> str:
    body = {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 600}
    return "Bearer " + jwt.encode(body, None, algorithm="none", headers={"kid": KID})


def _hs256_token(e: Endpoint) -> str:
    body = {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 600}
    return "Bearer " + jwt.encode(body, "secret-" * 5, algorithm="HS256", headers={"kid": KID})


BAD: dict[str, Callable[[Endpoint], str | None]] = {
    "no token": lambda e: None,
    "empty header": lambda e: "",
    "malformed header": lambda e: "Basic dXNlcjpwYXNz",
    "bearer without token": lambda e: "Bearer ",
    "two tokens": lambda e: f"Bearer {e.token()} {e.token()}",
    "garbage token": lambda e: "Bearer garbage",
    "aaa.bbb.ccc": lambda e: "Bearer aaa.bbb.ccc",
    "alg none": _none_token,
    "HS256": _hs256_token,
    "unknown kid": lambda e: f"Bearer {e.token(kid='not-published', key=new_key())}",
    "forged signature": lambda e: f"Bearer {e.token(key=new_key())}",
    "wrong audience": lambda e: f"Bearer {e.token(audience='someone-else')}",
    "wrong issuer": lambda e: f"Bearer {e.token(issuer='https://evil.example')}",
    "expired": lambda e: f"Bearer {e.token(expires_in=-3600)}",
    "other tenant": lambda e: f"Bearer {e.token(tid='other-tenant')}",
    "other service url": lambda e: f"Bearer {e.token(service_url='https://elsewhere.example/')}",
}


@pytest.mark.parametrize("kind", list(BAD))
async def test_bad_tokens_get_401_with_one_log_line_and_no_traceback(
    endpoint: Endpoint, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Keys are fetched once by a valid request; no bad one may make the bot fetch again.
    assert await endpoint.post(endpoint.activity(), f"Bearer {endpoint.token()}") == 202
    fetches = dict(endpoint.login.hits)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        started = time.monotonic()
        status = await endpoint.post(endpoint.activity(), BAD[kind](endpoint))
        elapsed = time.monotonic() - started
    assert status == 401
    assert len(endpoint.handler.events) == 1  # only the valid one
    refusals = [r for r in caplog.records if r.name == "adapters.teams.server"]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text and MARKER not in caplog.text
    assert endpoint.login.hits["metadata"] == fetches["metadata"]
    assert endpoint.login.hits["keys"] == fetches["keys"]
    assert elapsed < 1.0  # generous for a shared CI machine; it is a few milliseconds


async def test_a_flood_of_forged_tokens_fetches_the_keys_at_most_once(endpoint: Endpoint) -> None:
    for i in range(30):
        token = endpoint.token(kid=f"forged-{i}", key=new_key() if i == 0 else None)
        assert await endpoint.post(endpoint.activity(), f"Bearer {token}") == 401
    assert endpoint.login.hits["metadata"] == 1 and endpoint.login.hits["keys"] == 1


async def test_a_failed_key_fetch_is_remembered_briefly(endpoint: Endpoint) -> None:
    endpoint.login.fail_status = 500
    for _ in range(10):
        status = await endpoint.post(endpoint.activity(), f"Bearer {endpoint.token()}")
        assert status == 503  # cannot check now: the channel retries later
    assert endpoint.login.hits["metadata"] == 1
    assert endpoint.handler.events == []


async def test_activities_from_another_tenant_are_refused_without_content(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        status = await endpoint.post(
            endpoint.activity(tenant="other-tenant"), f"Bearer {endpoint.token()}"
        )
    assert status == 403
    assert endpoint.handler.events == []
    assert "other-tenant" in caplog.text and MARKER not in caplog.text


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"type": 5}', b'"text"', b"\xff"])
async def test_malformed_bodies_get_400(endpoint: Endpoint, body: bytes) -> None:
    response = await endpoint.client.post(
        "/api/messages",
        data=body,
        headers={"Authorization": f"Bearer {endpoint.token()}", "Content-Type": "application/json"},
    )
    assert response.status == 400


async def test_the_key_cache_refetches_only_when_due_and_keeps_old_keys_in_an_outage() -> None:
    login = await StubLogin().start()
    now = [0.0]
    keys = SigningKeys(
        metadata_url=login.metadata_url,
        ttl=1000.0,
        refetch_after=100.0,
        failure_ttl=10.0,
        clock=lambda: now[0],
    )
    try:
        assert await keys.get(KID) is not None
        assert await keys.get("unknown") is None  # fetched a moment ago: no refetch
        assert login.hits["metadata"] == 1
        now[0] = 150.0
        assert await keys.get("unknown") is None  # due: one refetch
        assert login.hits["metadata"] == 2
        now[0] = 2000.0  # stale, and Microsoft's endpoint is down
        login.fail_status = 500
        assert await keys.get(KID) is not None  # the old key still serves
        assert await keys.get(KID) is not None  # and the failure is remembered: no new fetch
        assert login.hits["metadata"] == 3
    finally:
        await login.close()
