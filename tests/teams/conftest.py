"""Fixtures for the Teams adapter tests (helpers live in `tests.teams.harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.limiter import TeamsLimiter
from adapters.teams.server import TeamsSettings, add_teams_routes
from tests.teams.harness import (
    ANNA,
    BO,
    CARL,
    TEAM_ID,
    Bot,
    FakeTime,
    MemoryRefStore,
    ScriptedHandler,
)
from tests.teams.stub_connector import Account, StubConnector


@pytest.fixture
async def stub() -> AsyncIterator[StubConnector]:
    connector = StubConnector()
    await connector.start()
    connector.rosters[TEAM_ID] = [
        ANNA,
        BO,
        CARL,
        Account(id="28:other-bot", aad="", name="Other bot", role="bot"),
    ]
    yield connector
    await connector.close()


@pytest.fixture
async def bot(stub: StubConnector) -> AsyncIterator[Bot]:
    handler = ScriptedHandler()
    refs = MemoryRefStore()
    time = FakeTime()
    app = web.Application()
    port = add_teams_routes(
        app=app,
        handler=handler,
        refs=refs,
        settings=TeamsSettings(allow_unauthenticated=True),
        limiter=TeamsLimiter(clock=time.clock, sleep=time.sleep),
    )
    port.jitter = lambda: 0.0  # deterministic back-off in tests
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield Bot(client=client, port=port, handler=handler, refs=refs, stub=stub, time=time)
    await client.close()
