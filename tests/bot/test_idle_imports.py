"""What an idle server has imported: a guard for its memory (issue 17: idle RSS < 70 MB).

The real `bot.run.run` starts in a subprocess (Slack configured, SQLite with a current
schema and its key canary), answers /healthz, and reports `sys.modules`. Packages only some
paths need (PDFs, calendar files, holidays, the encryption library, the Teams SDK, migrations,
the other database's dialect, Socket Mode, the buttons and texts of the flows) must not be
among them: each costs megabytes a waiting server does not use, and each is imported on
first use instead. A count, not a timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from storage.db import create_store

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, json, os, signal, sys

import aiohttp

from bot.config import load_settings
from bot.run import run


async def main() -> None:
    task = asyncio.create_task(run(settings=load_settings()))
    url = f"http://127.0.0.1:{os.environ['MUSBOT_PORT']}/healthz"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url) as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        else:
            raise SystemExit("the server did not answer /healthz")
    await asyncio.sleep(0.5)  # the scheduler's first sweep, as an idle server has done
    print(json.dumps(sorted(sys.modules)))
    os.kill(os.getpid(), signal.SIGTERM)
    await task


asyncio.run(main())
"""

# Never at idle: each is imported where it is used.
NOT_AT_IDLE = (
    "alembic",  # only when the schema is behind
    "cryptography",  # the first sealed value read or written (the start checks a HMAC)
    "holidays",  # the first reminder or booking day checked
    "fpdf",  # a plan as PDF
    "pypdf",
    "icalendar",  # a calendar file
    "microsoft_agents",  # only when Teams is configured
    "botbuilder",
    "selenium",  # browser tests only
    "sqlalchemy.dialects.postgresql",  # the server runs on SQLite here
    "mako",
    "pygments",
    "slack_bolt.adapter.socket_mode",  # only when SLACK_APP_TOKEN asks for Socket Mode
    "slack_sdk.socket_mode",
    "conversations.actions",  # buttons and forms: the first event or reminder rendered
    "conversations.directory",
    "conversations.reminders",
    "conversations.policy",
    "conversations.flows",
)

# Modules an idle server had loaded when this guard was last tightened (under 1,000), with some
# room: a jump past it means a new import at start, worth a look at what it costs.
MODULES_AT_MOST = 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_an_idle_server_imports_only_what_waiting_needs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'idle.db'}"

    async def prepare() -> None:  # schema current and key canary in place, as after a start
        store = await create_store(url=url, migrate=True)
        await store.close()

    asyncio.run(prepare())
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MUSBOT_DATABASE_URL": url,
        "MUSBOT_PORT": str(_free_port()),
        "MUSBOT_HOST": "127.0.0.1",
        "MUSBOT_LOG_LEVEL": "WARNING",
        "MUSBOT_WEB_CHAT": "false",
        "SLACK_BOT_TOKEN": "xoxb-idle-test",
        "SLACK_SIGNING_SECRET": "idle-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    for name in list(env):
        if name.startswith("MICROSOFT_APP_"):
            del env[name]  # no Teams settings: its SDK must stay out
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,  # no .env of the developer's
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "slack_bolt" in modules and "aiohttp" in modules  # it did start, with Slack
    loaded = sorted(
        name for name in NOT_AT_IDLE if any(m == name or m.startswith(name + ".") for m in modules)
    )
    assert loaded == [], f"imported by an idle server: {loaded}"
    assert len(modules) <= MODULES_AT_MOST, len(modules)
