"""The person's rights and retention: export, erase, purge, and the audit log for admins."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey, func, select

from adapters.inproc import Harness
from bot.cli import main
from bot.config import load_settings
from bot.services import build_services
from conversations.flows.mydata import collect
from storage.db import SqlStore
from storage.files import SqlFileRepo
from storage.models import audit_log, metadata
from storage.privacy import erase_person, purge
from tests.support.privacy_data import T0, Seeded, marker, seed


async def _raw_rows(store: SqlStore) -> dict[str, list[dict[str, Any]]]:
    """Every table, every row, through the column types (decrypted): what the bot holds."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with store.transaction() as tx:
        for table in metadata.sorted_tables:
            rows = (await tx.conn.execute(select(table))).mappings().all()
            out[table.name] = [dict(r) for r in rows]
    return out


def _plain(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _person_columns() -> list[tuple[str, str]]:
    """Every column that refers to people.id, plus reminders.subject_id (no FK, same meaning)."""
    found = [("people", "id"), ("reminders", "subject_id")]
    for table in metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if isinstance(fk, ForeignKey) and fk.target_fullname == "people.id":
                    found.append((table.name, column.name))
    return found


@pytest.fixture
async def seeded(store: SqlStore) -> AsyncIterator[tuple[SqlStore, Seeded]]:
    yield store, await seed(store)


# ---------------------------------------------------------------- export


async def test_export_has_exactly_the_persons_data(seeded: tuple[SqlStore, Seeded]) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        employee = await tx.people.get(person_id=s.employee_id)
        assert employee is not None
        document = await collect(tx=tx, person=employee)
    dump = json.dumps(document, ensure_ascii=False)
    for kind in ("answer", "plan", "change"):
        assert marker("E", kind) in dump, kind
    assert marker("E", "note") not in dump  # the leader's private notes: only on a formal request
    for kind in ("answer", "note", "plan", "change", "error", "file"):
        assert marker("O", kind) not in dump, kind
    assert "Olga" not in dump and "UOTH" not in dump
    [round_] = document["rounds"]
    assert round_["role"] == "employee" and round_["leaders"] == ["Lea Leder"]
    readers = {(e["by"], e["action"]) for e in round_["who_read_or_changed"]}
    assert ("Lea Leder", "prep.view") in readers
    assert round_["booking"]["minutes"] == 60
    assert [r["kind"] for r in round_["reminders"]] == ["booking"]
    assert document["profile"]["user_id"] == "UEMP"


async def test_export_on_a_formal_request_includes_notes_about_them(
    seeded: tuple[SqlStore, Seeded],
) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        employee = await tx.people.get(person_id=s.employee_id)
        assert employee is not None
        document = await collect(tx=tx, person=employee, include_notes=True)
    dump = json.dumps(document, ensure_ascii=False)
    assert marker("E", "note") in dump and marker("O", "note") not in dump


async def test_a_leader_asking_for_their_data_gets_none_of_their_employees(
    seeded: tuple[SqlStore, Seeded],
) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        leader = await tx.people.get(person_id=s.leader_id)
        assert leader is not None
        document = await collect(tx=tx, person=leader)
    dump = json.dumps(document, ensure_ascii=False)
    assert "MARK-" not in dump
    assert document["rounds"][0]["role"] == "leader"


async def test_mine_data_command_hands_the_document_to_the_person_only(tmp_path: Path) -> None:
    services = await build_services(
        settings=load_settings(database_url=f"sqlite:///{tmp_path}/m.db")
    )
    try:
        h = Harness(handler=services.engine)
        h.add_user("U1", name="Anna")
        h.add_user("U2", name="Bo", locale="en-GB")
        for user, words in (("U1", "mine data"), ("U2", "my data")):
            seen = await h.command(user, words)
            [message] = seen.messages
            [attachment] = message.attachments
            document = json.loads(attachment.content)
            assert document["profile"]["user_id"] == user
            assert "MARK" not in message.text
        assert h.dms("U1") == [] and h.dms("U2") == []  # nothing posted into a chat
        async with services.store.transaction() as tx:
            actions = [e.action for e in await tx.audit.entries(subject_prefix="person:")]
        assert actions.count("mydata.export") == 2
    finally:
        await services.close()


# ---------------------------------------------------------------- erase


async def test_erase_dry_run_changes_nothing(seeded: tuple[SqlStore, Seeded]) -> None:
    store, s = seeded
    before = await _raw_rows(store)
    async with store.transaction() as tx:
        tally = await erase_person(conn=tx.conn, person_id=s.employee_id, dry_run=True)
    assert tally is not None
    assert tally.counts["prep_answers"] == 1 and tally.counts["plan_versions"] == 1
    assert tally.counts["files"] == 1 and tally.counts["people"] == 1
    assert await _raw_rows(store) == before


async def test_after_erase_no_table_holds_the_person(seeded: tuple[SqlStore, Seeded]) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        assert await erase_person(conn=tx.conn, person_id=s.employee_id, dry_run=False)
    rows = await _raw_rows(store)
    blob = json.dumps(rows, ensure_ascii=False, default=_plain)
    for kind in ("answer", "note", "plan", "change", "error", "file"):
        assert marker("E", kind) not in blob, kind
        assert marker("O", kind) in blob, kind  # the other employee keeps everything
    assert "UEMP" not in blob and "Emil" not in blob
    for table, column in _person_columns():
        values = {r[column] for r in rows[table]}
        assert s.employee_id not in values, f"{table}.{column}"
    # Audit rows about them stay, pseudonymised: what happened and when, not who.
    stand_in = next(p for p in rows["people"] if p["user_id"].startswith("erased:"))
    about = [r for r in rows["audit_log"] if r["subject"].endswith(f":person:{stand_in['id']}")]
    assert {r["action"] for r in about} == {"prep.view", "prep.share"}
    assert all(f"person:{s.employee_id}" not in r["subject"] for r in rows["audit_log"])
    assert await SqlFileRepo(store=store).get(token=s.file_token, now=T0) is None
    assert await SqlFileRepo(store=store).get(token=s.other_file_token, now=T0) is not None


async def test_erasing_a_leader_keeps_their_employees_plans_whole(
    seeded: tuple[SqlStore, Seeded],
) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        assert await erase_person(conn=tx.conn, person_id=s.leader_id, dry_run=False)
    async with store.transaction() as tx:
        plan = await tx.plans.latest(round_id=s.round_id, employee_id=s.other_id)
        answers = await tx.prep.answers(round_id=s.round_id, person_id=s.other_id)
    assert plan is not None and plan.items[0].fields["goal"] == marker("O", "plan")
    assert answers["q1"].text == marker("O", "answer")
    blob = json.dumps(await _raw_rows(store), ensure_ascii=False, default=_plain)
    assert "ULEAD" not in blob and "Lea Leder" not in blob
    assert marker("O", "note") not in blob  # notes the leader wrote go with the leader


# ---------------------------------------------------------------- purge


async def test_purge_leaves_no_orphan_rows_in_any_table(seeded: tuple[SqlStore, Seeded]) -> None:
    store, s = seeded
    now = T0 + timedelta(days=400)
    async with store.transaction() as tx:
        await purge(
            conn=tx.conn,
            round_ids=[s.round_id],
            now=now,
            audit_before=now - timedelta(days=1825),
            events_before=now - timedelta(days=7),
            dry_run=False,
        )
    rows = await _raw_rows(store)
    # Every table is listed: one added later must be thought about here.
    kept = {"workspaces": 1, "audit_log": 4}
    assert set(rows) == set(metadata.tables)
    assert len(rows.pop("key_canary")) <= 1  # not MUS material: proves the key
    left = {name: len(found) for name, found in rows.items() if found}
    assert left == kept, left
    # The audit rows kept (within their own retention) no longer point at anyone.
    assert {r["actor_id"] for r in rows["audit_log"]} == {None}


async def test_purge_keeps_named_leaders_and_what_other_rounds_still_need(
    seeded: tuple[SqlStore, Seeded],
) -> None:
    store, s = seeded
    async with store.transaction() as tx:
        await tx.people.set_can_lead(person_id=s.leader_id, can_lead=True)
        await purge(
            conn=tx.conn,
            round_ids=[],
            now=T0,
            audit_before=T0 - timedelta(days=1),
            events_before=T0 - timedelta(days=1),
            dry_run=False,
        )
    rows = await _raw_rows(store)
    assert len(rows["people"]) == 3 and len(rows["prep_answers"]) == 2
    async with store.transaction() as tx:
        await tx.rounds.delete(round_id=s.round_id)
        await purge(
            conn=tx.conn,
            round_ids=[],
            now=T0,
            audit_before=T0 - timedelta(days=1),
            events_before=T0 - timedelta(days=1),
            dry_run=False,
        )
    rows = await _raw_rows(store)
    assert [p["user_id"] for p in rows["people"]] == ["ULEAD"]  # an admin named them leader


async def test_purge_past_audit_retention(seeded: tuple[SqlStore, Seeded]) -> None:
    store, _ = seeded
    async with store.transaction() as tx:
        tally = await purge(
            conn=tx.conn,
            round_ids=[],
            now=T0 + timedelta(days=1),
            audit_before=T0 + timedelta(seconds=1),
            events_before=T0 + timedelta(seconds=1),
            dry_run=False,
        )
    assert tally.counts["audit_log"] == 4 and tally.counts["processed_events"] == 1
    async with store.transaction() as tx:
        count = (await tx.conn.execute(select(func.count()).select_from(audit_log))).scalar()
    assert count == 0


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("MUSBOT_DATABASE_URL", url)
    return url


async def test_cli_erase_audit_and_purge(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    services = await build_services(settings=load_settings())
    s = await seed(services.store)
    async with services.store.transaction() as tx:
        await tx.audit.record(
            at=T0,
            actor_id=s.leader_id,
            action="prep.view_denied",
            subject=f"round:{s.round_id}:person:{s.other_id}",
        )
    await services.close()

    assert await asyncio.to_thread(main, ["audit", "--person", "UOTH"]) == 0
    out = capsys.readouterr().out
    assert "Lea Leder" in out and "prep.view" in out and "MARK" not in out
    assert await asyncio.to_thread(main, ["audit", "--refused-only"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "REFUSED" in out
    assert (
        await asyncio.to_thread(main, ["audit", "--reader", "UEMP", "--since", "2025-01-01"]) == 0
    )
    assert capsys.readouterr().out.count("prep.share") == 1

    assert await asyncio.to_thread(main, ["data", "erase", "--person", "UEMP", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "prep_answers: 1" in out and "would be erased" in out and "MARK" not in out
    assert await asyncio.to_thread(main, ["data", "erase", "--person", "UEMP"]) == 0
    assert "erased" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["data", "erase", "--person", "UEMP"]) == 1

    assert await asyncio.to_thread(main, ["data", "purge", "--before", "2030-01-01", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "still running" in out and "deleted 0 round(s)" in out
    assert (
        await asyncio.to_thread(
            main, ["data", "purge", "--before", "2030-01-01", "--yes", "--include-running"]
        )
        == 0
    )
    assert "deleted 1 round(s)" in capsys.readouterr().out


async def test_cli_export_writes_a_private_file(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await build_services(settings=load_settings())
    await seed(services.store)
    await services.close()
    out = tmp_path / "export.json"
    assert (
        await asyncio.to_thread(main, ["data", "export", "--person", "UEMP", "--out", str(out)])
        == 0
    )
    assert out.stat().st_mode & 0o077 == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["rounds"][0]["leader_notes"][0]["text"] == marker("E", "note")
    assert "MARK" not in capsys.readouterr().out


async def test_cli_keys_new_and_rotate(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = load_settings().encryption_keys or []
    services = await build_services(settings=load_settings())
    s = await seed(services.store)
    await services.close()
    assert await asyncio.to_thread(main, ["keys", "new"]) == 0
    new = capsys.readouterr().out.strip()
    monkeypatch.setenv("MUSBOT_ENCRYPTION_KEYS", ",".join([new, *old]) if old else new)
    if not old:
        pytest.skip("rotation with a key file is covered in tests/storage/test_encryption.py")
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    assert "re-encrypted" in capsys.readouterr().out
    monkeypatch.setenv("MUSBOT_ENCRYPTION_KEYS", new)
    services = await build_services(settings=load_settings())
    async with services.store.transaction() as tx:
        answers = await tx.prep.answers(round_id=s.round_id, person_id=s.employee_id)
    await services.close()
    assert answers["q1"].text == marker("E", "answer")
    monkeypatch.setenv("MUSBOT_ENCRYPTION_KEYS", old[0])
    assert await asyncio.to_thread(main, ["audit"]) == 2
    assert "cannot read this database" in capsys.readouterr().err
