"""Socket Mode with a token Slack refuses: not ready, one warning line, no traceback storm."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from adapters.slack.server import SocketModeLink, run_socket_mode
from tests.adapters.slack.conftest import FakeCore
from tests.support.stub_slack import Failure, StubSlack


async def test_a_revoked_app_token_is_not_ready_and_logged_once(
    stub: StubSlack, core: FakeCore, caplog: pytest.LogCaptureFixture
) -> None:
    stub.failures["apps.connections.open"] = [Failure(error="invalid_auth", times=1000)]
    settings = SlackSettings(bot_token="xoxb-test-token", app_token="xapp-x", api_url=stub.api_url)
    bolt = build_slack_app(handler=core, settings=settings)
    link = SocketModeLink()
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(
        run_socket_mode(bolt=bolt, app_token="xapp-x", link=link, ping_interval=0.02)
    )
    try:
        async with asyncio.timeout(30):
            while len([c for c in stub.calls if c.method == "apps.connections.open"]) < 5:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        problem = await link.check()
        assert problem is not None and "invalid_auth" in problem
        # Our loggers and the Slack SDK's (whose storm this is about) only: a session some
        # earlier test left to the garbage collector (asyncio's "Unclosed client session")
        # is not this test's noise.
        noisy = [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING
            and r.name.startswith(("adapters", "bot", "slack_sdk", "slack_bolt"))
        ]
        assert len(noisy) == 1, [r.getMessage() for r in noisy]
        assert noisy[0].exc_info is None and "Traceback" not in caplog.text
        assert "xapp-x" not in caplog.text

        stub.failures.clear()  # the token works again: connected, and said so once
        async with asyncio.timeout(30):
            while await link.check() is not None:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert "connected again" in caplog.text
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_first_socket_mode_delivery_is_not_called_a_redelivery(
    stub: StubSlack, core: FakeCore, caplog: pytest.LogCaptureFixture
) -> None:
    settings = SlackSettings(bot_token="xoxb-test-token", app_token="xapp-x", api_url=stub.api_url)
    bolt = build_slack_app(handler=core, settings=settings)
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(run_socket_mode(bolt=bolt, app_token="xapp-x"))
    try:
        async with asyncio.timeout(30):
            await stub.wait_for("socket.open")
        await stub.push(
            {
                "envelope_id": "e-1",
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": {
                    "type": "event_callback",
                    "team_id": stub.team_id,
                    "event_id": "Ev1",
                    "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
                },
            }
        )
        async with asyncio.timeout(30):
            await stub.wait_for("socket")
        assert "redelivery" not in caplog.text
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
