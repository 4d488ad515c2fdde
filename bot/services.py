"""The long-lived objects of one process, built once from the settings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings
from bot.health import Readiness
from bot.metrics import InstrumentedHandler, MeteredPort, Metrics
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.ports import Clock, EventHandler, PlatformPort
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore, create_store, upgrade

log = logging.getLogger(__name__)

Mount = Callable[[web.Application], None]


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    templates: TemplateLibrary
    engine: Engine
    mounts: list[Mount] = field(default_factory=list)
    adapters: list[str] = field(default_factory=list)
    # Run before the server listens (bounded by a timeout each): what would otherwise make the
    # first burst of requests after a start wait, e.g. bolt's `auth.test`.
    before_serving: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Run once the server listens (after the line saying where), e.g. seeding the demo.
    after_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Each enabled adapter registers its port here, so the outbox can reach its people.
    ports: dict[str, PlatformPort] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    metrics: Metrics = field(default_factory=Metrics)
    # What /readyz checks besides the database: adapters add their platform's connection.
    readiness: Readiness = field(default_factory=Readiness)

    @property
    def handler(self) -> EventHandler:
        """The engine as adapters get it: counted and timed for /metrics."""
        return InstrumentedHandler(inner=self.engine, metrics=self.metrics)

    def sweeper(self) -> Sweeper:
        return Sweeper(
            store=self.store,
            ports={
                name: MeteredPort(inner=port, metrics=self.metrics)
                for name, port in self.ports.items()
            },
            clock=self.clock,
            hours=self.engine.settings.hours(),
            content_in_messages=self.engine.settings.content_in_messages,
            on_result=self.metrics.record_sweep,
        )

    def adapter_names(self) -> list[str]:
        return list(self.adapters)

    async def close(self) -> None:
        await self.store.close()


async def build_services(*, settings: Settings, migrate: bool = True) -> Services:
    """Open the database (migrating it to the current schema) and build the engine."""
    if migrate:
        await upgrade(url=settings.database_url)
    store = await create_store(
        url=settings.database_url,
        keys=settings.encryption_keys,
        pool_size=settings.database_pool_size,
    )
    templates = TemplateLibrary(extra_dirs=settings.template_dirs)
    for problem in templates.errors():
        log.error("template not loaded: %s", problem)
    engine = Engine(
        store=store,
        templates=templates,
        clock=SystemClock(),
        settings=CoreSettings(
            configured_leaders=frozenset(settings.leaders),
            configured_admins=frozenset(settings.admins),
            work_start_hour=settings.work_start_hour,
            work_end_hour=settings.work_end_hour,
            min_group_size=settings.min_group_size,
            content_in_messages=settings.content_in_messages,
        ),
    )
    return Services(settings=settings, store=store, templates=templates, engine=engine)
