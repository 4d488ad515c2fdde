"""The one aiohttp server: liveness, readiness, metrics, and the routes each adapter adds.

- `GET /healthz`: the process is alive (the event loop answers); a supervisor restarts it
  when this fails. It does not touch the database, so a database outage does not make a
  supervisor kill every replica at once.
- `GET /readyz`: ready to serve: the database answers, its schema is current, and every
  configured platform is connected. 503 with the reasons otherwise.
- `GET /metrics`: Prometheus text format (bot/metrics.py).
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.services import Services

log = logging.getLogger(__name__)

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    """200 while the process runs and its event loop answers."""
    services = request.app[SERVICES]
    return web.json_response({"status": "ok", "adapters": services.adapter_names()})


async def readyz(request: web.Request) -> web.Response:
    """200 when the database, its schema and every configured platform are ready; else 503."""
    services = request.app[SERVICES]
    checks = await services.readiness.report(engine=services.store.engine, ping=services.store.ping)
    for name, state in checks.items():
        services.metrics.ready.labels(check=name).set(1 if state == "ok" else 0)
    ready = all(state == "ok" for state in checks.values())
    if not ready:
        failing = sorted(name for name, state in checks.items() if state != "ok")
        log.warning("not ready: %s", ", ".join(failing))
    return web.json_response(
        {"status": "ok" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition; the outbox backlog is read from the database at scrape time."""
    services = request.app[SERVICES]
    try:
        await services.metrics.refresh_outbox(
            engine=services.store.engine, now=services.clock.now()
        )
    except Exception as error:  # a scrape still gets the counters when the database is down
        log.warning("metrics: outbox backlog not read (%s)", type(error).__name__)
    body = services.metrics.exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def build_app(*, services: Services) -> web.Application:
    """The application with every enabled adapter mounted."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    for mount in services.mounts:
        mount(app)
    return app
