"""`musbot data backup` / `restore`: a round trip on SQLite and on PostgreSQL, through the CLI."""

from __future__ import annotations

import asyncio
import json
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.config import load_settings
from bot.services import build_services
from tests.conftest import _admin, postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source and an empty target database of one backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
        return
    server = postgres_server_url()
    names = [f"musbot_test_{secrets.token_hex(6)}" for _ in range(2)]
    for name in names:
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(  # type: ignore[misc]
            make_url(server).set(database=name).render_as_string(hide_password=False)
            for name in names
        )
    finally:
        for name in names:
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _play_a_round(url: str) -> None:
    from adapters.inproc import Harness
    from tests.conversations.flows.conftest import VALID_ROUND

    services = await build_services(settings=load_settings(database_url=url))
    h = Harness(handler=services.engine)
    h.add_user("UL", name="Lene", admin=True)
    h.add_user("U1", name="Anna")
    h.add_channel("C1", members=["UL", "U1"])
    form = (await h.command("UL", "start", channel="C1")).form
    await h.submit("UL", form, VALID_ROUND)
    await h.press("U1", h.dms("U1")[0].buttons[0])
    await h.say("U1", 'Æ, ø og å — og {"$dt": "ikke en dato"}')
    await services.close()


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> int:
    monkeypatch.setenv("MUSBOT_DATABASE_URL", url)
    return main(list(argv))


async def test_backup_then_restore_gives_the_same_rows(
    two_databases: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, target = two_databases
    monkeypatch.chdir(tmp_path)
    await _play_a_round(source)
    first = tmp_path / "first.json"
    assert await asyncio.to_thread(_cli, monkeypatch, source, "data", "backup", str(first)) == 0
    assert stat.S_IMODE(first.stat().st_mode) == 0o600  # confidential material
    assert await asyncio.to_thread(_cli, monkeypatch, target, "data", "restore", str(first)) == 0
    assert "restored" in capsys.readouterr().out

    second = tmp_path / "second.json"
    assert await asyncio.to_thread(_cli, monkeypatch, target, "data", "backup", str(second)) == 0
    before = json.loads(first.read_text(encoding="utf-8"))
    after = json.loads(second.read_text(encoding="utf-8"))
    assert before["tables"] == after["tables"]
    assert before["tables"]["prep_answers"], "the answer is in the backup"
    assert any(
        "ikke en dato" in json.dumps(row, ensure_ascii=False)
        for row in after["tables"]["prep_answers"]
    )

    # The restored database keeps working: new rows get fresh ids (sequences moved on).
    from datetime import UTC, datetime

    services = await build_services(settings=load_settings(database_url=target))
    async with services.store.transaction() as tx:
        await tx.audit.record(
            at=datetime.now(UTC), actor_id=None, action="test.after_restore", subject="x", detail=""
        )
    async with services.store.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar()
    await services.close()
    assert count == len(before["tables"]["audit_log"]) + 1


async def test_restore_refuses_a_database_in_use_and_a_stranger_file(
    two_databases: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, _ = two_databases
    monkeypatch.chdir(tmp_path)
    await _play_a_round(source)
    dump = tmp_path / "b.json"
    assert await asyncio.to_thread(_cli, monkeypatch, source, "data", "backup", str(dump)) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(_cli, monkeypatch, source, "data", "restore", str(dump)) == 1
    assert "not empty" in capsys.readouterr().err
    stranger = tmp_path / "x.json"
    stranger.write_text("{}", encoding="utf-8")
    assert await asyncio.to_thread(_cli, monkeypatch, source, "data", "restore", str(stranger)) == 1
    assert "not a MUS-bot backup" in capsys.readouterr().err
