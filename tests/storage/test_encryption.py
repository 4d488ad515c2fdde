"""Encryption at rest: what a raw read of the database finds, key rotation, a wrong key."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.crypto import KEYS_ENV, EncryptionKeyError, key_file_path, new_key
from storage.db import SqlStore, create_store, make_engine, upgrade
from storage.files import SqlFileRepo
from storage.models import metadata, prep_answers
from storage.rotation import encrypted_columns, rotate
from tests.support.privacy_data import T0, marker, seed

MARKERS = [
    marker(w, k) for w in "EO" for k in ("answer", "note", "plan", "change", "error", "file")
]


async def _raw_dump(store: SqlStore) -> str:
    """Every row of every table, as the database returns it without our column types."""
    parts: list[str] = []
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if conn.dialect.name == "postgresql":
                rows = await conn.execute(text(f'SELECT t::text FROM "{table.name}" t'))
            else:
                rows = await conn.execute(text(f'SELECT * FROM "{table.name}"'))
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def _hits(haystack: str) -> list[str]:
    return [m for m in MARKERS if m in haystack or m.encode().decode("latin-1") in haystack]


async def test_raw_tables_hold_no_confidential_text(store: SqlStore) -> None:
    seeded = await seed(store)
    dump = await _raw_dump(store)
    assert _hits(dump) == []
    assert "mbx1:" in dump
    # ... while the repositories read it back in full.
    async with store.transaction() as tx:
        answers = await tx.prep.answers(round_id=seeded.round_id, person_id=seeded.employee_id)
        note = await tx.notes.get(
            round_id=seeded.round_id, leader_id=seeded.leader_id, employee_id=seeded.employee_id
        )
        plan = await tx.plans.latest(round_id=seeded.round_id, employee_id=seeded.employee_id)
    assert answers["q1"].text == marker("E", "answer")
    assert note is not None and note.text == marker("E", "note")
    assert plan is not None and plan.items[0].fields["goal"] == marker("E", "plan")
    assert plan.change_request == marker("E", "change")
    stored = await SqlFileRepo(store=store).get(token=seeded.file_token, now=T0)
    assert stored is not None and stored.content == marker("E", "file").encode()


def test_every_confidential_column_is_sealed() -> None:
    sealed = {f"{t}.{c.name}" for t, cols in encrypted_columns().items() for c in cols}
    assert sealed >= {
        "prep_answers.text",
        "leader_notes.text",
        "plan_versions.items",
        "plan_versions.change_request",
        "reminders.last_error",
        "files.content",
    }


async def test_sqlite_file_bytes_hold_no_marker_and_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    db = tmp_path / "musbot.db"
    old = os.umask(0o022)
    try:
        store = await create_store(url=f"sqlite:///{db}", migrate=True)
        try:
            await seed(store)
        finally:
            await store.close()
    finally:
        os.umask(old)
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), key_file_path(db.resolve())):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            if not path.name.endswith(".key"):
                content = path.read_bytes().decode("latin-1")
                assert _hits(content) == [], path
    assert key_file_path(db.resolve()).exists()


async def test_sqlite_runs_with_secure_delete(store: SqlStore) -> None:
    if store.dialect != "sqlite":
        pytest.skip("a SQLite setting")
    async with store.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1


async def test_key_file_is_reused_and_announced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    url = f"sqlite:///{tmp_path}/k.db"
    caplog.set_level("INFO", logger="storage.crypto")
    first = await create_store(url=url, migrate=True)
    seeded = await seed(first)
    await first.close()
    second = await create_store(url=url)
    try:
        async with second.transaction() as tx:
            answers = await tx.prep.answers(round_id=seeded.round_id, person_id=seeded.employee_id)
        assert answers["q1"].text == marker("E", "answer")
    finally:
        await second.close()
    created = [r for r in caplog.records if "created the encryption key file" in r.getMessage()]
    assert len(created) == 1


async def test_wrong_key_is_refused_at_start(fresh_url: str) -> None:
    database_url = fresh_url
    good = new_key()
    store = await create_store(url=database_url, keys=[good])
    try:
        await seed(store)
    finally:
        await store.close()
    with pytest.raises(EncryptionKeyError, match="cannot read this database") as caught:
        await create_store(url=database_url, keys=[new_key()])
    assert "MARK" not in str(caught.value)
    with pytest.raises(EncryptionKeyError, match="not a Fernet key"):
        await create_store(url=database_url, keys=["not-a-key"])
    # The right key still opens it: nothing was changed by the refusals.
    again = await create_store(url=database_url, keys=[good])
    await again.close()


async def test_rotation_reseals_with_the_newest_key_and_is_resumable(fresh_url: str) -> None:
    database_url = fresh_url
    old, new = new_key(), new_key()
    store = await create_store(url=database_url, keys=[old])
    try:
        seeded = await seed(store)
    finally:
        await store.close()
    both = await create_store(url=database_url, keys=[new, old])
    try:
        count = await rotate(store=both)
        assert count >= 8  # 2 answers, 2 notes, 2 plan versions, 2 reminders, 2 files
        assert await rotate(store=both) == 0  # done: a second run finds nothing left
    finally:
        await both.close()
    only_new = await create_store(url=database_url, keys=[new])
    try:
        async with only_new.transaction() as tx:
            answers = await tx.prep.answers(round_id=seeded.round_id, person_id=seeded.employee_id)
            plan = await tx.plans.latest(round_id=seeded.round_id, employee_id=seeded.other_id)
        assert answers["q1"].text == marker("E", "answer")
        assert plan is not None and plan.items[0].fields["goal"] == marker("O", "plan")
        stored = await SqlFileRepo(store=only_new).get(token=seeded.file_token, now=T0)
        assert stored is not None and stored.content == marker("E", "file").encode()
        assert _hits(await _raw_dump(only_new)) == []
    finally:
        await only_new.close()
    with pytest.raises(EncryptionKeyError):
        await create_store(url=database_url, keys=[old])


async def test_rows_written_before_encryption_are_sealed_at_start(database_url: str) -> None:
    """A database from before 0006: plain rows stay readable and are sealed on the next start."""
    await upgrade(url=database_url)
    key = new_key()
    store = await create_store(url=database_url, keys=[key])
    try:
        seeded = await seed(store)
        async with store.engine.begin() as conn:
            await conn.execute(
                text("UPDATE prep_answers SET text = :t WHERE person_id = :p"),
                {"t": marker("E", "answer"), "p": seeded.employee_id},
            )
            await conn.execute(text("DELETE FROM key_canary"))
    finally:
        await store.close()
    reopened = await create_store(url=database_url, keys=[key])
    try:
        assert _hits(await _raw_dump(reopened)) == []
        async with reopened.transaction() as tx:
            value = (
                await tx.conn.execute(
                    select(prep_answers.c.text).where(
                        prep_answers.c.person_id == seeded.employee_id
                    )
                )
            ).scalar_one()
        assert value == marker("E", "answer")
    finally:
        await reopened.close()


async def _wipe_all(url: str) -> None:
    """Empty every table, the key canary too, without opening a store (keys don't matter)."""
    engine = make_engine(url=url)
    try:
        async with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await engine.dispose()


@pytest.fixture
async def fresh_url(database_url: str) -> AsyncIterator[str]:
    """The module's database, migrated and empty; emptied again after (its canary is ours)."""
    await upgrade(url=database_url)
    await _wipe_all(database_url)
    yield database_url
    await _wipe_all(database_url)


async def test_configured_keys_leave_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys from the settings (e.g. a .env file, not the process environment): the migration
    engine and the store make no key file of their own beside the database."""
    monkeypatch.delenv(KEYS_ENV, raising=False)
    url = f"sqlite:///{tmp_path}/c.db"
    await upgrade(url=url)
    store = await create_store(url=url, keys=[new_key()])
    await store.close()
    assert not key_file_path((tmp_path / "c.db").resolve()).exists()


@pytest.mark.postgres
async def test_postgresql_without_keys_is_refused_at_start(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    await upgrade(url=postgres_database)  # migrating needs no key
    with pytest.raises(EncryptionKeyError, match="MUSBOT_ENCRYPTION_KEYS is not set"):
        await create_store(url=postgres_database)


async def test_a_value_that_does_not_open_fails_without_content(fresh_url: str) -> None:
    """Past the start-up check a value sealed with an unknown key (restored from elsewhere)
    fails that one read with a message naming no content, never garbage."""
    key = new_key()
    store = await create_store(url=fresh_url, keys=[key])
    try:
        seeded = await seed(store)
        from storage.crypto import DecryptionError, Keyring

        foreign = Keyring(keys=(new_key(),)).seal(marker("E", "answer"))
        async with store.engine.begin() as conn:
            await conn.execute(
                text("UPDATE prep_answers SET text = :t WHERE person_id = :p"),
                {"t": foreign, "p": seeded.employee_id},
            )
        with pytest.raises(DecryptionError) as caught:
            async with store.transaction() as tx:
                await tx.prep.answers(round_id=seeded.round_id, person_id=seeded.employee_id)
        assert "MARK" not in str(caught.value) and foreign not in str(caught.value)
    finally:
        await store.close()


async def test_an_interrupted_rotation_continues_where_it_stopped(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.rotation as rotation

    old, new = new_key(), new_key()
    store = await create_store(url=fresh_url, keys=[old])
    try:
        seeded = await seed(store)
    finally:
        await store.close()
    both = await create_store(url=fresh_url, keys=[new, old])
    monkeypatch.setattr(rotation, "BATCH", 1)
    real = rotation._reseal
    calls = 0

    def dying(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rotation, "_reseal", dying)
    try:
        with pytest.raises(KeyboardInterrupt):
            await rotate(store=both)
        monkeypatch.setattr(rotation, "_reseal", real)
        finished = await rotate(store=both)
        assert 0 < finished < 12  # only what the first run had not done yet
        assert await rotate(store=both) == 0
    finally:
        await both.close()
    only_new = await create_store(url=fresh_url, keys=[new])
    try:
        async with only_new.transaction() as tx:
            note = await tx.notes.get(
                round_id=seeded.round_id, leader_id=seeded.leader_id, employee_id=seeded.other_id
            )
        assert note is not None and note.text == marker("O", "note")
    finally:
        await only_new.close()


def test_the_start_check_knows_a_key_by_the_tokens_hmac_alone() -> None:
    """`Keyring.authentic` (the canary check at start, without importing `cryptography`):
    true for what one of the keys sealed, false for another key's token or for garbage; a
    key that is not 32 url-safe base64 bytes is refused as `Fernet` refuses it."""
    from storage.crypto import Keyring

    old, newest, stranger = new_key(), new_key(), new_key()
    ring = Keyring(keys=(newest, old))
    assert ring.authentic(ring.seal("musbot-key-canary"))
    assert ring.authentic(Keyring(keys=(old,)).seal("written with the old key"))
    assert not ring.authentic(Keyring(keys=(stranger,)).seal("another database"))
    sealed = ring.seal("x")
    assert not ring.authentic(sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB"))
    assert not ring.authentic("plain text, never sealed")
    assert not ring.authentic("mbx1:not base64 at all!")
    with pytest.raises(EncryptionKeyError):
        Keyring(keys=("c2hvcnQ=",))
