"""The capability-link file store (`storage.files.FileRepo`) on SQLite and PostgreSQL.

One contract class, as in `test_storage_contract.py`: whatever passes here the Teams download
links may rely on, whichever store serves them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.db import SqlStore
from storage.files import FileRepo, SqlFileRepo

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CPH = timezone(timedelta(hours=1))
DAY = timedelta(days=1)
ICS = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n\x00\xff"


async def _put(repo: FileRepo, *, expires_at: datetime = T0 + 14 * DAY, **over: object) -> str:
    values: dict[str, object] = {
        "filename": "mus-samtale.ics",
        "mime_type": "text/calendar",
        "content": ICS,
        "owner_user_id": "aad-anna",
        "now": T0,
        "expires_at": expires_at,
    }
    values.update(over)
    return await repo.put(**values)  # type: ignore[arg-type]


class FileRepoContract:
    async def test_put_then_get_gives_the_same_bytes(self, repo: FileRepo) -> None:
        token = await _put(repo)
        found = await repo.get(token=token, now=T0 + DAY)
        assert found is not None
        assert found.token == token
        assert found.filename == "mus-samtale.ics"
        assert found.mime_type == "text/calendar"
        assert found.content == ICS  # binary-safe, byte for byte
        assert found.owner_user_id == "aad-anna"
        assert found.created_at == T0 and found.created_at.tzinfo is not None
        assert found.expires_at == T0 + 14 * DAY

    async def test_tokens_are_long_random_and_distinct(self, repo: FileRepo) -> None:
        tokens = {await _put(repo) for _ in range(5)}
        assert len(tokens) == 5
        assert all(len(t) >= 43 and t.isascii() and "/" not in t for t in tokens)

    async def test_unknown_token_is_none(self, repo: FileRepo) -> None:
        await _put(repo)
        assert await repo.get(token="not-a-token", now=T0) is None

    async def test_expired_file_is_none(self, repo: FileRepo) -> None:
        token = await _put(repo, expires_at=T0 + DAY)
        assert await repo.get(token=token, now=T0 + DAY - timedelta(seconds=1)) is not None
        assert await repo.get(token=token, now=T0 + DAY) is None  # the moment it expires
        assert await repo.get(token=token, now=T0 + 2 * DAY) is None

    async def test_times_in_any_zone_mean_the_same_instant(self, repo: FileRepo) -> None:
        token = await _put(repo, now=T0.astimezone(CPH), expires_at=(T0 + DAY).astimezone(CPH))
        found = await repo.get(token=token, now=(T0 + DAY / 2).astimezone(CPH))
        assert found is not None and found.expires_at == T0 + DAY

    async def test_naive_datetimes_are_refused(self, repo: FileRepo) -> None:
        with pytest.raises(Exception, match="naive datetime"):
            await _put(repo, expires_at=datetime(2026, 12, 15, 9, 0))
        token = await _put(repo)
        with pytest.raises(Exception, match="naive datetime"):
            await repo.get(token=token, now=datetime(2026, 12, 2))

    async def test_purge_deletes_only_what_expired_before(self, repo: FileRepo) -> None:
        old = await _put(repo, expires_at=T0 + DAY)
        edge = await _put(repo, expires_at=T0 + 2 * DAY)
        fresh = await _put(repo, expires_at=T0 + 14 * DAY)
        assert await repo.purge(before=T0 + 2 * DAY) == 2
        assert await repo.purge(before=T0 + 2 * DAY) == 0
        assert await repo.get(token=old, now=T0) is None  # gone, not merely expired
        assert await repo.get(token=edge, now=T0) is None
        assert await repo.get(token=fresh, now=T0 + 3 * DAY) is not None

    async def test_a_channel_file_has_no_owner(self, repo: FileRepo) -> None:
        token = await _put(repo, owner_user_id=None)
        found = await repo.get(token=token, now=T0)
        assert found is not None and found.owner_user_id is None


class TestSqlFileRepo(FileRepoContract):
    """On SQLite and PostgreSQL (the `store` fixture)."""

    @pytest.fixture
    def repo(self, store: SqlStore) -> FileRepo:
        return SqlFileRepo(store=store)
