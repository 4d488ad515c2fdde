"""Several bot processes on one PostgreSQL: each due reminder is sent exactly once, and a
process killed mid-sweep loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.outbox import Sweeper
from conversations.domain import ReminderState
from conversations.reminders import PREP_NUDGE
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore, create_store, upgrade
from tests.conftest import _empty_tables

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Copenhagen
COUNT = 1000


@pytest.fixture
async def pg(postgres_database: str) -> str:
    await upgrade(url=postgres_database)
    store = await create_store(url=postgres_database)
    await _empty_tables(store)
    await _seed(store)
    await store.close()
    return postgres_database


async def _seed(store: SqlStore) -> None:
    """One round, COUNT employees, one due prep reminder each."""
    template = TemplateLibrary().snapshot(name="kk-buf")
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="test", external_id="T1")
        leader = await tx.people.upsert(workspace_id=ws.id, user_id="UL", display_name="Leder")
        people = [
            await tx.people.upsert(workspace_id=ws.id, user_id=f"U{n:04d}", display_name=f"P{n}")
            for n in range(COUNT)
        ]
        team = await tx.teams.create(
            workspace_id=ws.id,
            name="T",
            channel_id="C1",
            leader_ids=[leader.id],
            member_ids=[p.id for p in people],
        )
        round_ = await tx.rounds.create(
            team_id=team.id,
            template_name="kk-buf",
            template=template,
            kerneopgave="k",
            udviklingsmaal="u",
            kickoff_at=None,
            prep_deadline=date(2026, 12, 4),
            conversations_from=date(2026, 12, 7),
            conversations_to=date(2026, 12, 18),
            summary_at=None,
            started_by=leader.id,
            created_at=NOW - timedelta(days=7),
        )
        for person in people:
            await tx.outbox.schedule(
                key=f"prep:{round_.id}:{person.id}:2026-12-01",
                kind=PREP_NUDGE,
                round_id=round_.id,
                recipient_id=person.id,
                subject_id=person.id,
                due_at=NOW - timedelta(minutes=5),
            )


def _worker(url: str, name: str, now: datetime, log: Path, delay: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.conversations.reminders.sweep_process",
            url,
            name,
            now.isoformat(),
            str(log),
            str(delay),
        ],
        cwd=ROOT,
        env=env,
    )


async def _states(url: str) -> dict[str, int]:
    from sqlalchemy import text

    store = await create_store(url=url)
    try:
        async with store.engine.connect() as conn:
            rows = await conn.execute(text("SELECT state, count(*) FROM reminders GROUP BY state"))
            return {str(state): int(n) for state, n in rows}
    finally:
        await store.close()


async def test_two_processes_send_each_of_1000_reminders_exactly_once(
    pg: str, tmp_path: Path
) -> None:
    log = tmp_path / "sent.log"
    workers = [_worker(pg, f"proc{n}", NOW, log, 0.0) for n in range(2)]
    for proc in workers:
        assert await asyncio.to_thread(proc.wait, 300) == 0
    sent = Counter(log.read_text().split())
    assert len(sent) == COUNT
    assert set(sent.values()) == {1}  # nobody twice
    assert await _states(pg) == {ReminderState.SENT.value: COUNT}


async def test_a_killed_process_loses_nothing(pg: str, tmp_path: Path) -> None:
    log = tmp_path / "sent.log"
    slow = _worker(pg, "doomed", NOW, log, 0.01)
    deadline = time.monotonic() + 60
    while (not log.exists() or len(log.read_text().split()) < 50) and time.monotonic() < deadline:  # noqa: ASYNC110 - polling another process
        await asyncio.sleep(0.05)
    slow.send_signal(signal.SIGKILL)  # mid-sweep: some sent, a batch claimed, the rest pending
    await asyncio.to_thread(slow.wait, 30)
    before = Counter(log.read_text().split())
    assert 0 < len(before) < COUNT
    # A survivor after the dead worker's lease has expired.
    survivor = _worker(pg, "survivor", NOW + timedelta(minutes=6), log, 0.0)
    assert await asyncio.to_thread(survivor.wait, 300) == 0
    sent = Counter(log.read_text().split())
    assert len(sent) == COUNT  # nothing lost
    doubled = [user for user, n in sent.items() if n > 1]
    # At most the messages in flight when the process died (accepted, not yet marked sent):
    # one per recipient being sent to at once.
    assert len(doubled) <= Sweeper.concurrency
    assert await _states(pg) == {ReminderState.SENT.value: COUNT}
