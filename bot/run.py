"""`musbot run`: one aiohttp server with every enabled adapter, until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal

from aiohttp import web

from bot.config import Settings
from bot.server import build_app
from bot.services import build_services

log = logging.getLogger("musbot")
# How long one warm-up step (before_serving) may hold the start back.
WARM_UP_SECONDS = 5.0


class PortInUseError(Exception):
    """The address to listen on is taken (or not ours); the message says which and what to do."""


async def run(*, settings: Settings, reuse_port: bool = False, migrate: bool = True) -> int:
    """Serve until SIGINT/SIGTERM. `reuse_port`: one of several workers on the same port
    (`bot.workers`), which has migrated the database already (`migrate=False`)."""
    services = await build_services(settings=settings, migrate=migrate)
    from bot.adapters import enable_adapters

    background = await enable_adapters(services=services)
    app = build_app(services=services)
    for hook in services.before_serving:
        try:
            await asyncio.wait_for(hook(), WARM_UP_SECONDS)
        except TimeoutError:
            log.warning("a warm-up step took over %ss; serving without it", WARM_UP_SECONDS)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await services.close()
        if error.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise PortInUseError(
                f"cannot listen on {settings.host}:{settings.port}: {error.strerror} "
                "(another process uses the port? set MUSBOT_PORT, or MUSBOT_HOST)"
            ) from None
        raise
    url = f"http://{settings.host}:{settings.port}/"
    if "web" in services.adapters:
        log.info(
            "MUS-bot web chat: open %s in your browser (adapters: %s; health: %shealthz)",
            url,
            ", ".join(services.adapters),
            url,
        )
    else:
        log.info(
            "MUS-bot listening on %s (adapters: %s; health: %shealthz)",
            url,
            ", ".join(services.adapters) or "none",
            url,
        )
    for hook in services.after_start:
        await hook()
    # Everything built at start (templates, SQLAlchemy's caches, bolt) lives as long as the
    # process: keep it out of the cyclic collector, whose full passes over it stall the event
    # loop (and every ack waiting on it) for tens of milliseconds under load.
    gc.collect()
    gc.freeze()
    from bot.outbox import start_scheduler

    sweeper = services.sweeper()
    scheduler = start_scheduler(sweeper=sweeper)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
        await sweeper.settle()  # the store is closed below; a running sweep finishes first
        for task in background:
            task.cancel()
        await runner.cleanup()
        await services.close()
    return 0
