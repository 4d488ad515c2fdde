"""Is this process alive, and is it ready to serve? (`/healthz`, `/readyz`, `musbot db upgrade`).

Alive means the event loop answers. Ready means the database answers, its schema is the one
this code expects, and every configured platform is connected (Socket Mode's WebSocket is up).
A load balancer sends traffic to ready processes only; a supervisor restarts dead ones.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# A platform's readiness: None when connected, else a short reason (never a token or user text).
ReadinessCheck = Callable[[], Awaitable[str | None]]


def head_revision() -> str | None:
    """The schema revision this code expects (alembic's head)."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's schema revision; None for a database without our schema."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _no_sqlite_file(url: str) -> bool:
    """True for a SQLite URL whose file does not exist yet (nothing to ask)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from storage.db import normalise_url

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return not database or database == ":memory:" or not Path(database).expanduser().exists()


async def revision_at(*, url: str) -> str | None:
    """The schema revision of the database at `url` (None: no schema yet, or a new file)."""
    from storage.db import make_engine

    if _no_sqlite_file(url):
        return None
    engine = make_engine(url=url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


@dataclass
class Readiness:
    """What `/readyz` checks besides the database: one entry per configured platform."""

    platforms: dict[str, ReadinessCheck] = field(default_factory=dict)

    async def report(
        self, *, engine: AsyncEngine, ping: Callable[[], Awaitable[bool]]
    ) -> dict[str, str]:
        """name -> "ok" or the reason it is not ready."""
        out: dict[str, str] = {}
        if not await ping():
            out["database"] = "unreachable"
            out["migrations"] = "unknown"
        else:
            out["database"] = "ok"
            try:
                current = await current_revision(engine)
                head = head_revision()
                out["migrations"] = (
                    "ok"
                    if current == head
                    else f"at {current}, expected {head}: run musbot db upgrade"
                )
            except Exception as error:  # the schema query itself failed
                out["migrations"] = f"unknown ({type(error).__name__})"
        for name, check in self.platforms.items():
            try:
                problem = await check()
            except Exception as error:
                problem = f"check failed ({type(error).__name__})"
            out[name] = problem or "ok"
        return out
