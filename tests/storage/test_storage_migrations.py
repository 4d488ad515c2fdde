"""Migrations produce exactly the schema the models describe, on every backend."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import alembic_config, make_engine, upgrade
from storage.models import metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _downgrade_to_base(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "base")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_upgrade_head_matches_models(database_url: str) -> None:
    """`upgrade` on a fresh database, then alembic's own comparison finds nothing to add."""
    await upgrade(url=database_url)
    await upgrade(url=database_url)  # already at head: a no-op, not an error
    engine = make_engine(url=database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            assert await conn.run_sync(_tables) == set(metadata.tables)
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert await conn.run_sync(_current) == head
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    await upgrade(url=database_url)
    engine = make_engine(url=database_url, foreign_keys=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_to_base)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
    finally:
        await engine.dispose()
    await upgrade(url=database_url)
    engine = make_engine(url=database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_single_head() -> None:
    """Two branches adding migrations in parallel must be merged before they ship."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
