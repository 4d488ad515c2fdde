"""Drive the real bolt app over HTTP the way Slack does: signed requests with Slack's payloads.

`SlackHarness` wraps an aiohttp test client on a server with `add_slack_routes`; its methods
build the payload Slack would send (slash command, button click, modal submission, DM, Home tab
opened), sign it and POST it. `settle()` waits for the work bolt runs after the ack.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.app import SlackApp
from adapters.slack.server import EVENTS_PATH, add_slack_routes
from tests.support.slack_signing import event_body, form_body, interactive_body, signed_headers
from tests.support.stub_slack import StubSlack

_counter = itertools.count(1)


SCENARIO_FORM_BUDGET = 5.0
"""The form budget of scenario tests: they check what a submission answers inside the modal,
which a busy test machine could push past the production budget (60 ms) onto the late path
(closed modal, answer as a message). That path has its own tests (test_form_submit_load)."""


def _next(prefix: str) -> str:
    return f"{prefix}{next(_counter):05d}"


# ---------------------------------------------------------------- payloads


def slash_command(
    *, stub: StubSlack, user: str, text: str = "", channel: str = "C0TEAM", command: str = "/mus"
) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": stub.team_id,
        "team_domain": "mus-test",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "team",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "AMUS",
        "is_enterprise_install": "false",
        "response_url": stub.response_url(_next("cmd")),
        "trigger_id": _next("trig.cmd."),
    }


def block_actions(
    *,
    stub: StubSlack,
    user: str,
    action_id: str,
    value: str = "",
    channel: str | None = None,
    message_ts: str | None = None,
    ephemeral: bool = False,
    home: bool = False,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": stub.team_id,
        },
        "api_app_id": "AMUS",
        "token": "legacy-verification-token",
        "trigger_id": _next("trig.act."),
        "team": {"id": stub.team_id, "domain": "mus-test"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": _next("b"),
                "text": {"type": "plain_text", "text": "Knap", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000001",
            }
        ],
    }
    if not value:
        del payload["actions"][0]["value"]
    if home:
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home"}
    else:
        assert channel and message_ts
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel, "name": "directmessage"}
        payload["message"] = {"ts": message_ts, "type": "message", "text": "", "blocks": []}
        payload["response_url"] = stub.response_url(_next("act"))
    return payload


def view_submission(
    *, stub: StubSlack, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """`values` maps block_id -> the element state, e.g. {"type": "plain_text_input", "value": ...}."""
    return {
        "type": "view_submission",
        "team": {"id": stub.team_id, "domain": "mus-test"},
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": stub.team_id,
        },
        "api_app_id": "AMUS",
        "token": "legacy-verification-token",
        "trigger_id": _next("trig.view."),
        "view": {
            "id": _next("V"),
            "team_id": stub.team_id,
            "type": "modal",
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []),
            "state": {"values": {bid: {"value": state} for bid, state in values.items()}},
            "hash": "156663117.cd33ad1f",
        },
        "response_urls": [],
    }


def event_callback(
    *, stub: StubSlack, event: dict[str, Any], event_id: str | None = None
) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": stub.team_id,
        "api_app_id": "AMUS",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or _next("Ev"),
        "event_time": 1700000000,
        "authorizations": [{"team_id": stub.team_id, "user_id": stub.bot_user_id, "is_bot": True}],
    }


def message_im(*, user: str, text: str, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel or "D" + user.removeprefix("U"),
        "user": user,
        "text": text,
        "ts": "1700000002.000100",
        "event_ts": "1700000002.000100",
        "channel_type": "im",
        **extra,
    }


def app_home_opened(*, user: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user.removeprefix("U"),
        "tab": tab,
        "event_ts": "1700000003.000100",
    }


# ---------------------------------------------------------------- the HTTP side


@dataclass
class SlackHarness:
    """The real aiohttp server with the bolt app mounted, and a client that signs requests."""

    bolt: SlackApp
    stub: StubSlack
    client: TestClient[web.Request, web.Application] | None = None
    responses: list[tuple[int, str]] = field(default_factory=list)

    async def start(self) -> SlackHarness:
        app = web.Application()
        add_slack_routes(app=app, bolt=self.bolt)
        self.client = TestClient(TestServer(app))
        await self.client.start_server()
        return self

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    async def post(self, body: str, headers: dict[str, str]) -> ClientResponse:
        assert self.client is not None
        response = await self.client.post(EVENTS_PATH, data=body.encode(), headers=headers)
        self.responses.append((response.status, await response.text()))
        return response

    async def settle(self) -> None:
        """Wait for work that runs after the ack (DMs, updates, modals)."""
        await self.bolt.drain(grace=5.0)

    async def command(
        self, *, user: str, text: str = "", channel: str = "C0TEAM"
    ) -> ClientResponse:
        body = form_body(slash_command(stub=self.stub, user=user, text=text, channel=channel))
        return await self.post(body, signed_headers(body))

    async def click(self, **kwargs: Any) -> ClientResponse:
        body = interactive_body(block_actions(stub=self.stub, **kwargs))
        return await self.post(body, signed_headers(body))

    async def submit(
        self, *, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> ClientResponse:
        body = interactive_body(
            view_submission(stub=self.stub, user=user, view=view, values=values)
        )
        return await self.post(body, signed_headers(body))

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> ClientResponse:
        body = event_body(event_callback(stub=self.stub, event=event, event_id=event_id))
        headers = signed_headers(body, content_type="application/json")
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.post(body, headers)

    async def ack_json(self, response: ClientResponse) -> dict[str, Any]:
        text = await response.text()
        return json.loads(text) if text else {}
