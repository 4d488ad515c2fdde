"""One outbox replica for bench/outbox.py: the production wiring, in its own process.

Settings come from the environment (MUSBOT_DATABASE_URL, SLACK_* or the Teams ones), the port
is the one `bot.adapters` registers for the outbox (Teams registers it when its routes are
mounted, so they are mounted on an application that is never served), and the sweep runs on
`bot.outbox.start_scheduler`, as `musbot run` does. Only the working hours differ: all day, every day, so the benchmark
does not depend on the hour it is run at.

    python -m bench.outbox_worker     (prints "ready", starts on a line on stdin)
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import time

from bot.adapters import enable_adapters
from bot.config import load_settings
from bot.outbox import Sweeper, start_scheduler
from bot.server import build_app
from bot.services import build_services
from conversations.schedule import WorkingHours

ALL_HOURS = WorkingHours(start=time(0, 0), end=time.max, days=frozenset(range(7)))


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings()
    services = await build_services(settings=settings, migrate=False)
    await enable_adapters(services=services)
    build_app(services=services)  # mounts the adapters' routes; the Teams port registers then
    sweeper = Sweeper(
        store=services.store, ports=services.ports, clock=services.clock, hours=ALL_HOURS
    )
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    start_scheduler(sweeper=sweeper)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
