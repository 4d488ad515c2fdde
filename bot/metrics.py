"""Prometheus metrics (`GET /metrics`): what an operator graphs and alerts on.

Labels are only ever fixed vocabulary: adapter names, outcomes, delivery error kinds. Never a
user id, a channel, a template answer or any other text a person wrote.

Each process has its own registry (`Metrics`), so several servers in one test process (or a
restarted app) never share or double-register counters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from conversations.ports import DeliveryError

if TYPE_CHECKING:
    from bot.outbox import SweepResult
    from conversations.events import InboundEvent
    from conversations.ports import EventHandler, PlatformPort

__all__ = ["CONTENT_TYPE", "InstrumentedHandler", "MeteredPort", "Metrics"]

# Handler latency buckets: a chat answer should take well under a second.
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "musbot_requests",
            "Events handled (commands, buttons, messages, forms), by adapter and outcome.",
            ["adapter", "outcome"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "musbot_handler_seconds",
            "Time the core took to handle one event, including its own sends.",
            ["adapter"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "musbot_outbox_deliveries",
            "Outbox send attempts, by adapter and outcome (ok, rate_limited, or the error kind).",
            ["adapter", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "musbot_rate_limited",
            "HTTP 429 answers from a platform to outbox sends.",
            ["adapter"],
            registry=r,
        )
        self.reminders = Counter(
            "musbot_reminders",
            "Outbox rows processed by sweeps: sent, retried, moved (working hours), failed, "
            "cancelled.",
            ["outcome"],
            registry=r,
        )
        self.backlog = Gauge(
            "musbot_outbox_backlog",
            "Reminders waiting to be sent (pending or being sent), due or not.",
            registry=r,
        )
        self.due = Gauge(
            "musbot_outbox_due",
            "Reminders already due and not yet sent.",
            registry=r,
        )
        self.oldest_due_age = Gauge(
            "musbot_outbox_oldest_due_age_seconds",
            "How long the oldest due, unsent reminder has been waiting (0 when none).",
            registry=r,
        )
        self.ready = Gauge(
            "musbot_ready",
            "1 when /readyz would answer ready, per check (database, migrations, platforms).",
            ["check"],
            registry=r,
        )

    def record_sweep(self, result: SweepResult) -> None:
        for outcome in ("sent", "retried", "moved", "failed", "cancelled"):
            value = getattr(result, outcome)
            if value:
                self.reminders.labels(outcome=outcome).inc(value)

    async def refresh_outbox(self, *, engine: Any, now: datetime) -> None:
        """Read the outbox's backlog at scrape time (one indexed query)."""
        from sqlalchemy import case, func, select

        from storage.models import metadata
        from storage.repositories.outbox import not_held

        table = metadata.tables["reminders"]
        is_due = (table.c.due_at <= now) & not_held(now)  # a held row only after its hold
        query = select(
            func.count(),
            func.sum(case((is_due, 1), else_=0)),
            func.min(case((is_due, table.c.due_at), else_=None)),
        ).where(table.c.state.in_(("pending", "sending")))
        async with engine.connect() as conn:
            total, due, oldest = (await conn.execute(query)).one()
        self.backlog.set(total or 0)
        self.due.set(due or 0)
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        self.oldest_due_age.set(max((now - oldest).total_seconds(), 0) if oldest else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class InstrumentedHandler:
    """The core's entry point, counted and timed per adapter (what adapters are given)."""

    def __init__(self, *, inner: EventHandler, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def handle(self, event: InboundEvent, *, platform: PlatformPort) -> Any:
        adapter = _adapter_name(platform)
        start = time.perf_counter()
        outcome = "error"
        try:
            reply = await self.inner.handle(event, platform=platform)
            outcome = "ok"
            return reply
        finally:
            self.metrics.handler_seconds.labels(adapter=adapter).observe(
                time.perf_counter() - start
            )
            self.metrics.requests.labels(adapter=adapter, outcome=outcome).inc()

    async def record_sent(
        self, *, platform: str, workspace_id: str, key: str, ref: str, user_id: str | None
    ) -> None:
        await self.inner.record_sent(
            platform=platform, workspace_id=workspace_id, key=key, ref=ref, user_id=user_id
        )

    def __getattr__(self, name: str) -> Any:
        # Anything else (the engine's clock, settings) is the engine's.
        return getattr(self.inner, name)


class MeteredPort:
    """A platform port whose outbox sends are counted (deliveries, retries, 429s)."""

    def __init__(self, *, inner: PlatformPort, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    @property
    def platform(self) -> str:
        return self.inner.platform

    async def send(self, *, workspace_id: str, message: Any) -> str | None:
        adapter = _adapter_name(self.inner)
        try:
            ref = await self.inner.send(workspace_id=workspace_id, message=message)
        except DeliveryError as error:
            if error.kind == "rate_limited":
                self.metrics.rate_limited.labels(adapter=adapter).inc()
            self.metrics.deliveries.labels(adapter=adapter, outcome=error.kind).inc()
            raise
        except (TimeoutError, OSError):
            self.metrics.deliveries.labels(adapter=adapter, outcome="network").inc()
            raise
        self.metrics.deliveries.labels(adapter=adapter, outcome="ok").inc()
        return ref

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _adapter_name(platform: object) -> str:
    name = getattr(platform, "platform", None)
    return name if isinstance(name, str) and name.isidentifier() else "other"
