"""While Microsoft's key endpoint hangs, the rest of the bot keeps answering.

The whole server as `musbot run` builds it (Slack and Teams on one aiohttp app): a Teams
request whose keys cannot be fetched waits on its own, while `/healthz` and a Slack command
from a second client are answered at once.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.adapters import enable_adapters
from bot.config import load_settings
from bot.server import build_app
from bot.services import build_services
from tests.adapters.slack.harness import slash_command
from tests.support.slack_signing import SIGNING_SECRET, form_body, signed_headers
from tests.support.stub_login import StubLogin
from tests.support.stub_slack import BOT_TOKEN, StubSlack

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "tenant-1"


async def test_a_hanging_key_endpoint_stalls_nothing_else(tmp_path: Path) -> None:
    login = await StubLogin().start()
    slack = await StubSlack().start()
    release = login.hold()
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'musbot.db'}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="secret",
        MICROSOFT_APP_TENANT_ID=TENANT,
        teams_openid_metadata_url=login.metadata_url,
        teams_login_url=login.url,
    )
    services = await build_services(settings=settings)
    await enable_adapters(services=services)
    teams_client = TestClient(TestServer(build_app(services=services), host="127.0.0.1"))
    await teams_client.start_server()
    other = TestClient(teams_client.server)  # a second client on the same server
    await other.start_server()
    try:
        token = login.token(audience=APP_ID, service_url="http://127.0.0.1:9/")
        activity = {
            "type": "message",
            "id": "1",
            "channelId": "msteams",
            "serviceUrl": "http://127.0.0.1:9/",
            "from": {"id": "29:anna", "aadObjectId": "aad-anna"},
            "recipient": {"id": f"28:{APP_ID}"},
            "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": TENANT},
            "text": "mus hjælp",
        }
        # Slack's first request asks auth.test and warms bolt up, the first health check opens
        # the database: not what is measured here.
        assert (await other.get("/healthz")).status == 200
        warm = form_body(slash_command(stub=slack, user="U0ANNA", text="hjælp"))
        assert (
            await other.post("/slack/events", data=warm.encode(), headers=signed_headers(warm))
        ).status == 200

        stalled = asyncio.create_task(
            teams_client.post(
                "/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
            )
        )
        await login.asked.wait()  # the Teams request is now waiting for the keys

        # Best of three: a stalled event loop makes every try slow (the hang lasts), while a
        # busy shared CI machine only slows one now and then.
        health_times, slack_times = [], []
        for _ in range(3):
            started = time.monotonic()
            health = await other.get("/healthz")
            health_times.append(time.monotonic() - started)
            assert health.status == 200
            body = form_body(slash_command(stub=slack, user="U0ANNA", text="hjælp"))
            started = time.monotonic()
            command = await other.post(
                "/slack/events", data=body.encode(), headers=signed_headers(body)
            )
            slack_times.append(time.monotonic() - started)
            assert command.status == 200
        assert min(health_times) < 0.2 and min(slack_times) < 0.2
        assert not stalled.done()

        login.fail_status = 503
        release.set()  # the endpoint answers at last, with an error
        response = await stalled
        assert response.status == 503  # keys unavailable: the channel retries later
        # A burst right after: the failure is remembered, nobody waits or refetches.
        for _ in range(5):
            again = await other.post(
                "/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
            )
            assert again.status == 503
        assert login.hits["metadata"] == 1
    finally:
        await other.close()
        await teams_client.close()
        await services.close()
        await slack.close()
        await login.close()
