"""Several server processes on one port (`MUSBOT_WORKERS`), for machines with more cores.

One process runs its event loop on one core: a typed answer costs ~10 ms of CPU there, so one
process serves about a hundred answers a second whatever the machine. With PostgreSQL, N
workers share the port (SO_REUSEPORT: the kernel spreads connections over them) and work as
the replicas the storage layer is built for: each event's delivery is claimed once in the
database, the outbox and the scheduler's jobs claim their rows, caches only save lookups.

The parent migrates the database once, forks the workers before any event loop or thread
exists, passes SIGINT/SIGTERM on, and stops the others when one of them ends (a supervisor
such as systemd or Docker then restarts the whole).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bot.config import Settings

log = logging.getLogger("musbot")


def serve(*, settings: Settings) -> int:
    """`musbot run`: one process, or `settings.workers` forked ones on the same port."""
    from bot.run import run

    if settings.workers <= 1:
        return asyncio.run(run(settings=settings))
    from storage.db import upgrade

    asyncio.run(upgrade(url=settings.database_url))
    children: list[int] = []
    for _ in range(settings.workers):
        pid = os.fork()
        if pid == 0:
            os._exit(_worker(settings))
        children.append(pid)
    log.info("MUS-bot: %d workers on port %d (pids %s)", len(children), settings.port, children)
    return _supervise(children)


def _worker(settings: Settings) -> int:
    from bot.run import run

    try:
        return asyncio.run(run(settings=settings, reuse_port=True, migrate=False))
    except Exception:
        log.exception("worker %d stopped", os.getpid())
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _supervise(children: list[int]) -> int:
    """Pass stop signals on; when a worker ends, stop the rest; the first failure is the code."""
    alive = set(children)

    def forward(signum: int, _frame: object) -> None:
        for pid in alive:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    code = 0
    stopping = False
    while alive:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        alive.discard(pid)
        exit_code = os.waitstatus_to_exitcode(status)
        if exit_code != 0 and code == 0:
            code = exit_code if exit_code > 0 else 1
        if not stopping and alive:
            stopping = True
            if exit_code != 0:
                log.error("worker %d ended (%d); stopping the others", pid, exit_code)
            forward(signal.SIGTERM, None)
    return code
