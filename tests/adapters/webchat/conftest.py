"""The web chat's routes on a real aiohttp server (test client), driving the real engine.

The engine runs on the SQL store over SQLite (a file per test) with a clock set by hand, so the round's dates are
fixed; `Stream` reads a person's server-sent events the way the page does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import ManualClock
from adapters.webchat import WebChat, add_webchat_routes, load_directory
from adapters.webchat.server import ClockForward
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.support.browser import chromium, musbot_run

CHANNEL = "C-SOLSIKKEN"
PANE = f"channel:{CHANNEL}"

# The start form as a leader fills it in (dates fit the hand-set clock, 2026-11-23).
ROUND = {
    "channel": CHANNEL,
    "members": [],
    "template": "kk-buf",
    "kerneopgave": "Vi skaber trygge rammer for børns læring.",
    "udviklingsmaal": "Mere samarbejde på tværs af grupperne.",
    "kickoff_at": "2026-11-25T09:00",
    "prep_deadline": "2026-12-04",
    "conversations_from": "2026-12-07",
    "conversations_to": "2026-12-18",
    "summary_at": "",
}


@dataclass
class Stream:
    """One person's open `/web/stream`: everything pushed to them, in order."""

    response: Any
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def next(self, kind: str | None = None, *, wait: float = 3.0) -> dict[str, Any]:
        """The next item (of `kind`, skipping others)."""
        while True:
            line = await asyncio.wait_for(self.response.content.readline(), wait)
            if not line:
                raise AssertionError("stream ended")
            text = line.decode().rstrip("\n")
            if not text.startswith("data: "):
                continue
            item: dict[str, Any] = json.loads(text.removeprefix("data: "))
            self.seen.append(item)
            if kind is None or item["type"] == kind:
                return item

    async def message(self, contains: str, *, wait: float = 3.0) -> dict[str, Any]:
        """The next message whose text or blocks contain `contains`."""
        while True:
            item = await self.next("message", wait=wait)
            if contains in json.dumps(item, ensure_ascii=False):
                return item

    def close(self) -> None:
        self.response.close()


@dataclass
class Chat:
    client: TestClient[Any, Any]
    chat: WebChat
    clock: ManualClock
    streams: list[Stream] = field(default_factory=list)

    async def stream(self, user: str) -> tuple[Stream, dict[str, Any]]:
        """Open a stream; returns it and its first item, the snapshot."""
        response = await self.client.get(f"/web/stream?user={user}")
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = Stream(response)
        self.streams.append(stream)
        snapshot = await stream.next()
        assert snapshot["type"] == "snapshot"
        return stream, snapshot

    async def post(self, user: str, *, event_id: str | None = None, **body: Any) -> Any:
        payload = {"event_id": event_id or str(uuid.uuid4()), "user": user, **body}
        response = await self.client.post("/web/event", json=payload)
        return response.status, await response.json()

    async def say(self, user: str, text: str, *, pane: str = "dm") -> Any:
        status, body = await self.post(user, kind="message", text=text, pane=pane)
        assert status == 200, body
        return body

    async def press(self, user: str, button: dict[str, Any], *, entry: dict[str, Any]) -> Any:
        status, body = await self.post(
            user,
            kind="button",
            action=button["action"],
            value=button["value"],
            message_ref=entry["ref"],
            pane=entry["pane"],
        )
        assert status == 200, body
        return body

    async def submit(self, user: str, form: dict[str, Any], values: dict[str, Any]) -> Any:
        status, body = await self.post(
            user,
            kind="form",
            form=form["id"],
            state=form["state"],
            values=values,
            pane=form["pane"],
        )
        assert status == 200, body
        return body


def button(entry: dict[str, Any], action: str) -> dict[str, Any]:
    found = [b for b in entry["buttons"] if b["action"] == action]
    assert found, f"no {action} in {entry['buttons']}"
    return found[0]


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary()


async def make_chat(
    library: TemplateLibrary, *, store: SqlStore, clock_forward: ClockForward | None = None
) -> tuple[web.Application, WebChat, ManualClock]:
    clock = ManualClock()
    engine = Engine(store=store, templates=library, clock=clock)
    chat = WebChat(directory=load_directory(), handler=engine, clock_forward=clock_forward)
    app = web.Application()
    add_webchat_routes(app=app, chat=chat)
    return app, chat, clock


@pytest.fixture
async def web_chat(library: TemplateLibrary, sqlite_store: SqlStore) -> AsyncIterator[Chat]:
    app, chat, clock = await make_chat(library, store=sqlite_store)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    holder = Chat(client=client, chat=chat, clock=clock)
    try:
        yield holder
    finally:
        for stream in holder.streams:
            stream.close()
        await client.close()


async def start_round(c: Chat, *, leader: str = "lene") -> Stream:
    """The leader types `mus start` in the channel and submits the form; returns their stream."""
    stream, _ = await c.stream(leader)
    await c.say(leader, "mus start", pane=PANE)
    form = (await stream.next("form"))["form"]
    await c.submit(leader, form, ROUND)
    await stream.next("form_closed")
    return stream


# ---------------------------------------------------------------- the browser tests


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`musbot run` on a free port with a fresh SQLite file; yields the page's URL."""
    with musbot_run(tmp_path) as url:
        yield url


@pytest.fixture
def driver() -> Iterator[Any]:
    """Headless Chromium (skipped without it unless MUSBOT_REQUIRE_BROWSER=1)."""
    with chromium() as browser:
        yield browser
