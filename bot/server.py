"""The one aiohttp server: health, and the routes each enabled adapter adds."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.services import Services

log = logging.getLogger(__name__)

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; 503 (with the reason) when it does not."""
    services = request.app[SERVICES]
    if not await services.store.ping():
        log.warning("health check failed: the database does not answer")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response(
        {"status": "ok", "database": "ok", "adapters": services.adapter_names()}
    )


def build_app(*, services: Services) -> web.Application:
    """The application with every enabled adapter mounted."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    for mount in services.mounts:
        mount(app)
    return app
