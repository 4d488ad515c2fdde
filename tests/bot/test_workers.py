"""`MUSBOT_WORKERS`: several server processes on one port (`bot.workers`), on PostgreSQL.

The real `musbot run` in a subprocess, Slack pointed at the stand-in: a burst of DMs on fresh
connections (the kernel spreads them over the workers) is answered once each, a delivery sent
twice at once is answered once, SIGTERM stops them all, a worker that dies takes the rest
down (for the supervisor to restart), and the settings refuse what workers cannot serve.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from tests.adapters.slack.harness import event_callback, message_im
from tests.support.slack_signing import SIGNING_SECRET, event_body, signed_headers
from tests.support.stub_slack import StubSlack

ROOT = Path(__file__).resolve().parents[2]


def test_workers_need_postgresql() -> None:
    with pytest.raises(ConfigError, match="MUSBOT_WORKERS"):
        load_settings(workers=2, database_url="sqlite:///x.db", web_chat=False)


def test_workers_cannot_serve_the_web_chat() -> None:
    with pytest.raises(ConfigError, match="MUSBOT_WEB_CHAT=false"):
        load_settings(workers=2, database_url="postgresql://db/mus", web_chat=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.fixture
async def stub() -> AsyncIterator[StubSlack]:
    slack = await StubSlack().start()
    yield slack
    await slack.close()


@pytest.fixture
async def workers(
    postgres_database: str, stub: StubSlack, tmp_path: Path
) -> AsyncIterator[tuple[subprocess.Popen[str], str]]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MUSBOT_DATABASE_URL": postgres_database,
        "MUSBOT_WORKERS": "2",
        "MUSBOT_PORT": str(port),
        "MUSBOT_WEB_CHAT": "false",
        "SLACK_BOT_TOKEN": stub.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": stub.api_url,
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before the test talks to it
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(url + "/healthz") as answer:
                        if answer.status == 200 and len(_children(process.pid)) == 2:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the workers did not answer /healthz")
        await asyncio.sleep(1.0)  # both workers listening
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            for child in _children(process.pid):
                os.kill(child, signal.SIGKILL)
            process.wait(timeout=10)


async def _post_event(url: str, body: str) -> int:
    # A connection of its own each time: SO_REUSEPORT spreads connections, not requests.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        async with http.post(
            url + "/slack/events",
            data=body.encode(),
            headers=signed_headers(body, content_type="application/json"),
        ) as response:
            return response.status


@pytest.mark.postgres
async def test_two_workers_answer_each_dm_once_and_stop_together(
    workers: tuple[subprocess.Popen[str], str], stub: StubSlack
) -> None:
    process, url = workers
    children = _children(process.pid)
    assert len(children) == 2
    before = {pid: _cpu_ticks(pid) for pid in children}
    users = [f"U{n}W" for n in range(30)]
    for user in users:
        stub.add_user(user, name=f"Person {user}")
    bodies = [
        event_body(event_callback(stub=stub, event=message_im(user=user, text="hej")))
        for user in users
    ]
    twice = event_body(
        event_callback(stub=stub, event=message_im(user="U99W", text="hej"), event_id="EvTwice")
    )
    stub.add_user("U99W", name="Twice")
    statuses = await asyncio.gather(*(_post_event(url, b) for b in [*bodies, twice, twice]))
    assert set(statuses) == {200}

    async with asyncio.timeout(30):
        await stub.wait_for("chat.postMessage", count=len(users) + 1)
    await asyncio.sleep(1.0)  # a duplicate answer would have come by now
    per_channel = Counter(c["channel"] for c in stub.calls_to("chat.postMessage"))
    assert sorted(per_channel) == sorted("D" + u.removeprefix("U") for u in [*users, "U99W"])
    assert set(per_channel.values()) == {1}, "every DM answered exactly once"
    assert all(_cpu_ticks(pid) > before[pid] for pid in children), "both workers served"

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert all(_gone(pid) for pid in children)


@pytest.mark.postgres
async def test_a_worker_that_dies_stops_the_others(
    workers: tuple[subprocess.Popen[str], str],
) -> None:
    process, _ = workers
    first, second = _children(process.pid)
    os.kill(first, signal.SIGKILL)
    assert process.wait(timeout=30) != 0  # for systemd / Docker to restart the whole
    assert _gone(second)


def _gone(pid: int) -> bool:
    """Ended: no process, or one waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
