"""Operating it: /metrics after a round, /readyz, and structured logs."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import Harness, ManualClock
from bot.config import load_settings
from bot.server import build_app
from bot.services import build_services
from tests.conversations.flows.conftest import VALID_ROUND

SECRET_ANSWER = "Mit hemmelige svar om <!channel> og lønnen"


def _value(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        got_name, _, got_labels = metric.partition("{")
        got = ",".join(sorted(got_labels.rstrip("}").split(","))) if got_labels else ""
        if got_name == name and got == wanted:
            return float(value)
    raise AssertionError(f"{name}{{{wanted}}} not in the exposition")


async def test_metrics_after_a_round_show_non_zero_counters_and_no_user_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    services = await build_services(
        settings=load_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}")
    )
    try:
        # The round starts before its dates, whatever today is (the nudges are planned from
        # the start: on the day before the deadline, a start finds that nudge already past).
        services.engine.clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
        h = Harness(handler=services.handler)
        h.add_user("UL", name="Lene Leder", admin=True)
        h.add_user("U1", name="Anna Jensen")
        h.add_user("U2", name="Mads Nielsen")
        h.add_channel("C1", members=["UL", "U1", "U2"])
        form = (await h.command("UL", "start", channel="C1")).form
        await h.submit("UL", form, VALID_ROUND)
        await h.press("U1", h.dms("U1")[0].buttons[0])
        await h.say("U1", SECRET_ANSWER)

        # The working day before the prep deadline: the nudges go out through the outbox.
        services.ports[h.port.platform] = h.port
        services.clock = ManualClock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
        result = await services.sweeper().sweep()
        assert result.sent > 0

        async with TestClient(TestServer(build_app(services=services))) as client:
            response = await client.get("/metrics")
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            body = await response.text()
            ready = await client.get("/readyz")
            assert ready.status == 200, await ready.text()
            assert (await ready.json())["checks"] == {"database": "ok", "migrations": "ok"}
    finally:
        await services.close()

    platform = h.port.platform
    assert _value(body, "musbot_requests_total", adapter=platform, outcome="ok") >= 4
    assert _value(body, "musbot_handler_seconds_count", adapter=platform) >= 4
    assert _value(body, "musbot_reminders_total", outcome="sent") == result.sent
    assert _value(body, "musbot_outbox_deliveries_total", adapter=platform, outcome="ok") > 0
    assert _value(body, "musbot_outbox_backlog") >= 0
    assert _value(body, "musbot_outbox_oldest_due_age_seconds") == 0  # all due ones went out
    # Labels are fixed vocabulary: no names, ids or answers.
    for text in ("hemmelige", "Anna", "Lene", "UL", "U1", "C1", "kk-buf"):
        assert not re.search(rf"\{{[^}}]*{re.escape(text)}", body), text


async def test_readyz_says_when_migrations_are_behind(tmp_path: Path) -> None:
    from sqlalchemy import text

    services = await build_services(
        settings=load_settings(database_url=f"sqlite:///{tmp_path / 'r.db'}")
    )
    try:
        async with services.store.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        async with TestClient(TestServer(build_app(services=services))) as client:
            response = await client.get("/readyz")
            assert response.status == 503
            checks = (await response.json())["checks"]
            assert checks["database"] == "ok"
            assert "musbot db upgrade" in checks["migrations"]
            metrics = await (await client.get("/metrics")).text()
            assert _value(metrics, "musbot_ready", check="migrations") == 0
    finally:
        await services.close()


def test_json_logs_are_one_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.logging_setup import configure_logging

    configure_logging(level="INFO", fmt="json")
    try:
        logging.getLogger("musbot.test").info("listening on %s", "http://127.0.0.1:1/")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("musbot.test").exception("it failed")
    finally:
        configure_logging(level="INFO", fmt="text")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    first, second = (json.loads(line) for line in lines[-2:])
    assert first["message"] == "listening on http://127.0.0.1:1/"
    assert first["level"] == "INFO" and first["logger"] == "musbot.test" and "time" in first
    assert second["exc_type"] == "ValueError" and "Traceback" in second["traceback"]


async def test_socket_mode_with_a_revoked_token_is_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from bot.adapters import enable_adapters
    from tests.support.stub_slack import BOT_TOKEN, Failure, StubSlack

    stub = await StubSlack().start()
    stub.failures["apps.connections.open"] = [Failure(error="invalid_auth", times=1000)]
    for name in ("SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN="xapp-revoked",
        SLACK_API_URL=stub.api_url,
    )
    services = await build_services(settings=settings)
    tasks = await enable_adapters(services=services)
    try:
        async with TestClient(TestServer(build_app(services=services))) as client:
            async with asyncio.timeout(5):
                while not any(c.method == "apps.connections.open" for c in stub.calls):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)
            ready = await client.get("/readyz")
            assert ready.status == 503
            assert "invalid_auth" in (await ready.json())["checks"]["slack"]
            assert (await client.get("/healthz")).status == 200
        assert "Traceback" not in caplog.text and "xapp-revoked" not in caplog.text
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.close()
        await stub.close()


async def test_teams_is_ready_while_microsoft_gives_the_bot_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.adapters import enable_adapters
    from tests.support.stub_login import StubLogin

    login = await StubLogin().start()
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        MICROSOFT_APP_ID="00000000-0000-0000-0000-000000000001",
        MICROSOFT_APP_PASSWORD="a-secret-value",
        teams_login_url=login.url,
        teams_openid_metadata_url=login.metadata_url,
    )
    services = await build_services(settings=settings)
    try:
        await enable_adapters(services=services)
        async with TestClient(TestServer(build_app(services=services))) as client:
            ready = await client.get("/readyz")
            assert ready.status == 200, await ready.text()
            assert (await ready.json())["checks"]["teams"] == "ok"

        # A revoked secret: a fresh process (no cached token) is not ready, and says why.
        login.token_status = 401
        services.readiness.platforms.clear()
        services.mounts.clear()
        services.adapters.clear()
        await enable_adapters(services=services)
        async with TestClient(TestServer(build_app(services=services))) as client:
            ready = await client.get("/readyz")
            body = await ready.json()
            assert ready.status == 503 and "refused" in body["checks"]["teams"]
            assert "a-secret-value" not in json.dumps(body)
    finally:
        await services.close()
        await login.close()
