"""How the web chat is switched on: loopback only, the demo seeded, and where to open it said first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import ManualClock
from adapters.webchat import is_loopback, is_seeded, load_directory
from adapters.webchat.server import WEBCHAT, exposure_problem
from bot.adapters import enable_adapters
from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.server import build_app
from bot.services import build_services
from storage.db import create_store
from tests.adapters.webchat.conftest import Chat, button, start_round

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("192.168.1.20", False),
        ("musbot.example", False),
    ],
)
def test_loopback_names(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_exposure_needs_an_explicit_setting() -> None:
    assert exposure_problem(host="127.0.0.1", public=False) is None
    problem = exposure_problem(host="0.0.0.0", public=False)
    assert problem is not None and "MUSBOT_WEB_CHAT_PUBLIC=true" in problem
    assert "MUSBOT_WEB_CHAT_PASSPHRASE" in (exposure_problem(host="0.0.0.0", public=True) or "")
    assert exposure_problem(host="0.0.0.0", public=True, passphrase="short") is not None
    assert exposure_problem(host="0.0.0.0", public=True, passphrase="solsikke-2026") is None


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'musbot.db'}"


async def test_on_loopback_it_is_mounted_and_seeds_the_demo_after_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(database_url=sqlite_url(tmp_path), port=3978)
    assert settings.web_chat_enabled  # no Slack or Teams credentials
    services = await build_services(settings=settings)
    try:
        await enable_adapters(services=services)
        assert services.adapters == ["web"]
        directory = load_directory()
        assert not await is_seeded(store=services.store, directory=directory)
        caplog.set_level("INFO", logger="musbot")
        for hook in services.after_start:
            await hook()
        assert await is_seeded(store=services.store, directory=directory)
        assert "seeded the demo workspace (6 people; leader: Lene Leder)" in caplog.text
        caplog.clear()
        for hook in services.after_start:  # a second start seeds nothing and says nothing
            await hook()
        assert "seeded" not in caplog.text
        async with TestClient(TestServer(build_app(services=services))) as client:
            assert (await client.get("/")).status == 200
            health = await (await client.get("/healthz")).json()
            assert health["adapters"] == ["web"]
    finally:
        await services.close()


async def test_on_another_interface_it_is_refused_unless_made_public(tmp_path: Path) -> None:
    settings = load_settings(database_url=sqlite_url(tmp_path), host="0.0.0.0")
    services = await build_services(settings=settings)
    try:
        with pytest.raises(ConfigError, match="MUSBOT_WEB_CHAT_PUBLIC=true"):
            await enable_adapters(services=services)
        assert services.adapters == [] and services.mounts == []
    finally:
        await services.close()
    public = load_settings(database_url=sqlite_url(tmp_path), host="0.0.0.0", web_chat_public=True)
    services = await build_services(settings=public)
    try:
        with pytest.raises(ConfigError, match="MUSBOT_WEB_CHAT_PASSPHRASE"):
            await enable_adapters(services=services)
    finally:
        await services.close()
    public = load_settings(
        database_url=sqlite_url(tmp_path),
        host="0.0.0.0",
        web_chat_public=True,
        web_chat_passphrase="solsikke-2026",
    )
    services = await build_services(settings=public)
    try:
        await enable_adapters(services=services)
        assert services.adapters == ["web"]
    finally:
        await services.close()
    # Switched off, nothing is refused and nothing is served.
    off = load_settings(database_url=sqlite_url(tmp_path), host="0.0.0.0", web_chat=False)
    services = await build_services(settings=off)
    try:
        await enable_adapters(services=services)
        async with TestClient(TestServer(build_app(services=services))) as client:
            assert (await client.get("/")).status == 404
            assert (await client.get("/web/people")).status == 404
    finally:
        await services.close()


def test_web_chat_is_off_with_platform_credentials_unless_switched_on(tmp_path: Path) -> None:
    slack = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert not load_settings(database_url=sqlite_url(tmp_path), **slack).web_chat_enabled
    assert load_settings(database_url=sqlite_url(tmp_path), web_chat=True, **slack).web_chat_enabled


def test_musbot_demo_seeds_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUSBOT_DATABASE_URL", sqlite_url(tmp_path))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Lene Leder (admin, may start rounds)" in out and "#solsikken: 6 members" in out
    assert "http://127.0.0.1:3978/" in out
    assert main(["demo"]) == 0  # again: an upsert, not a duplicate

    async def count() -> bool:
        store = await create_store(url=sqlite_url(tmp_path))
        try:
            return await is_seeded(store=store, directory=load_directory())
        finally:
            await store.close()

    import asyncio

    assert asyncio.run(count())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_musbot_run_says_where_the_web_chat_is_on_its_first_log_line(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))},
        "MUSBOT_DATABASE_URL": sqlite_url(tmp_path),
        "MUSBOT_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MUSBOT_HOST", None)
    env.pop("MUSBOT_WEB_CHAT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("seeded" in line for line in lines):
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
        assert lines, "no log output"
        assert f"web chat: open http://127.0.0.1:{port}/ in your browser" in lines[0], lines
        assert any("seeded the demo workspace" in line for line in lines[1:]), lines
        # An open event stream does not hold up the shutdown.
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        stream.sendall(b"GET /web/stream?user=lene HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert b"text/event-stream" in stream.recv(4096)
        started = time.monotonic()
        process.terminate()
        process.wait(timeout=30)
        assert time.monotonic() - started < 10
        stream.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 0


async def test_moving_the_demo_clock_sends_due_reminders_into_the_web_chat(
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url=sqlite_url(tmp_path))
    services = await build_services(settings=settings)
    services.clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # a Monday morning
    try:
        await enable_adapters(services=services)
        assert services.ports["web"].platform == "web"
        app = build_app(services=services)
        async with TestClient(TestServer(app)) as client:
            chat = Chat(client=client, chat=app[WEBCHAT], clock=services.clock)
            await start_round(chat)  # prep deadline Friday 4 December: nudges 1 and 3 December
            anna, _ = await chat.stream("anna")
            assert services.engine.clock.now() == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
            early = await (await client.post("/web/clock", json={"days": 1})).json()
            assert early["sent"] == 0
            due = await (await client.post("/web/clock", json={"days": 7})).json()
            assert due["now"].startswith("2026-12-01T09:00") and due["sent"] == 5
            nudge = await anna.message("reminder.snooze")
            assert nudge["pane"] == "dm" and button(nudge, "prep.open")
            assert services.engine.clock.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
            for stream in chat.streams:
                stream.close()
    finally:
        await services.close()


async def test_with_a_platform_configured_the_clock_is_never_moved(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=sqlite_url(tmp_path),
        web_chat=True,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
    )
    services = await build_services(settings=settings)
    try:
        await enable_adapters(services=services)
        async with TestClient(TestServer(build_app(services=services))) as client:
            assert (await client.post("/web/clock", json={"days": 1})).status == 501
    finally:
        await services.close()


def test_musbot_run_on_every_interface_stops_and_names_the_setting(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))},
        "MUSBOT_DATABASE_URL": sqlite_url(tmp_path),
        "MUSBOT_HOST": "0.0.0.0",
        "MUSBOT_PORT": str(_free_port()),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MUSBOT_WEB_CHAT", None)
    env.pop("MUSBOT_WEB_CHAT_PUBLIC", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "MUSBOT_WEB_CHAT_PUBLIC=true" in done.stderr
