"""Fixtures for the Teams adapter tests (helpers live in `tests.adapters.teams.harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.teams.harness import (
    ANNA,
    BO,
    CARL,
    TEAM_ID,
    Bot,
    MemoryRefStore,
    ScriptedHandler,
    start_bot,
)
from tests.support.stub_connector import Account, StubConnector


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
    started = await start_bot(stub=stub, handler=ScriptedHandler(), refs=MemoryRefStore())
    yield started
    await started.client.close()
