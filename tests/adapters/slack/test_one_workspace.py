"""One organisation per installation: Slack requests from another workspace are refused."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from adapters.slack.server import EVENTS_PATH, add_slack_routes
from tests.adapters.slack.conftest import FakeCore
from tests.adapters.slack.harness import event_callback, message_im, slash_command
from tests.support.slack_signing import event_body, form_body, signed_headers
from tests.support.stub_slack import StubSlack

MARKER = "HEMMELIGT-SVAR-7731"


async def serve(
    stub: StubSlack, core: FakeCore, settings: SlackSettings, allowed: tuple[str, ...] = ()
) -> TestClient:
    bolt = build_slack_app(handler=core, settings=settings)
    app = web.Application()
    add_slack_routes(app=app, bolt=bolt, allowed_teams=allowed)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def foreign_event(stub: StubSlack, team: str) -> str:
    payload = event_callback(stub=stub, event=message_im(user="U0ANNA", text=MARKER))
    payload["team_id"] = team
    payload["authorizations"][0]["team_id"] = team
    return event_body(payload)


async def test_another_workspace_is_refused_and_logged_without_content(
    stub: StubSlack, core: FakeCore, settings: SlackSettings, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(stub, core, settings)
    try:
        with caplog.at_level(logging.DEBUG):
            body = foreign_event(stub, "T0OTHER")
            response = await client.post(
                EVENTS_PATH,
                data=body.encode(),
                headers=signed_headers(body, content_type="application/json"),
            )
            command = slash_command(stub=stub, user="U0ANNA", text=MARKER)
            command["team_id"] = "T0OTHER"
            form = form_body(command)
            refused_command = await client.post(
                EVENTS_PATH, data=form.encode(), headers=signed_headers(form)
            )
        assert response.status == 403 and refused_command.status == 403
        assert core.events == []
        assert "T0OTHER" in caplog.text and MARKER not in caplog.text
        # The installed workspace is served as before.
        own = form_body(slash_command(stub=stub, user="U0ANNA", text="hjælp"))
        assert (
            await client.post(EVENTS_PATH, data=own.encode(), headers=signed_headers(own))
        ).status == 200
    finally:
        await client.close()


async def test_an_explicit_list_admits_only_those_workspaces(
    stub: StubSlack, core: FakeCore, settings: SlackSettings
) -> None:
    client = await serve(stub, core, settings, allowed=("T0OTHER",))
    try:
        body = foreign_event(stub, "T0OTHER")
        admitted = await client.post(
            EVENTS_PATH,
            data=body.encode(),
            headers=signed_headers(body, content_type="application/json"),
        )
        assert admitted.status == 200
        own = form_body(slash_command(stub=stub, user="U0ANNA", text="hjælp"))
        refused = await client.post(EVENTS_PATH, data=own.encode(), headers=signed_headers(own))
        assert refused.status == 403
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"type": "event_callback", ', "application/json"),
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "application/json"),
        # JSON of the wrong shape: bolt's context building fails on these (TypeError,
        # AttributeError), before any signature check.
        ("[1]", "application/json"),
        ("payload=1", "application/x-www-form-urlencoded"),
        ('{"team": {"id": 1}, "user": 5}', "application/json"),
        ('{"authorizations": [1]}', "application/json"),
    ],
)
async def test_malformed_bodies_get_400_not_500(
    stub: StubSlack, core: FakeCore, settings: SlackSettings, body: str, content_type: str
) -> None:
    client = await serve(stub, core, settings)
    try:
        response = await client.post(
            EVENTS_PATH,
            data=body.encode("latin-1"),
            headers=signed_headers(body, content_type=content_type),
        )
        assert response.status == 400
        assert core.events == []
    finally:
        await client.close()
