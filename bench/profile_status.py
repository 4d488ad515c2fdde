"""Where the CPU of a leader's `/mus status` view goes: cProfile around bench/scale.py's loop.

Not a benchmark (no baseline, no result file): a tool for finding costs. The organisation is
seeded as bench/scale.py seeds it (3,000 teams of 15 by default is slow to seed; the cost of a
view does not grow with the organisation, so a small one is enough), then random leaders run
`/mus status` through the real `Engine` in this process. Two passes over the same number of
views: first unprofiled (CPU ms and wall ms per view, statements per view), then under cProfile
(the top functions are printed).

    python -m bench.profile_status [--employees 1500] [--views 300] [--top 40]
        [--sort tottime|cumulative] [--backend postgresql|sqlite] [--stats PATH]
        [--timer cpu|wall] [--sql]

The profiler's clock is CPU time by default (`--timer cpu`): on a busy machine wall time
charges a preempted process's waits to whatever it was doing (often a socket `send`).
`--sql` prints the statements of one view; `--top 0` skips the profiled pass.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.common import create_database, drop_database, percentile, postgres_admin_url
from bench.scale import StatusViews, seed_org
from storage.db import create_store


async def run(args: argparse.Namespace, tmp: Path) -> None:
    backend = args.backend
    if backend == "postgresql" and postgres_admin_url() is None:
        print("PostgreSQL unavailable (MUSBOT_TEST_POSTGRES_URL unset): profiling SQLite")
        backend = "sqlite"
    url = await create_database(backend, tmp=tmp)
    store = await create_store(url=url, migrate=True)
    try:
        now = datetime.now(UTC)
        teams = await seed_org(store, employees=args.employees, now=now)
        leaders = StatusViews(store=store, teams=teams, now=now)

        async def views(n: int, profiler: cProfile.Profile | None = None) -> None:
            wall: list[float] = []
            cpu: list[float] = []
            stmts: list[int] = []
            for _ in range(n):
                elapsed, used, statements = await leaders.view(profiler)
                wall.append(elapsed)
                cpu.append(used)
                stmts.append(statements)
            label = "profiled" if profiler is not None else "unprofiled"
            print(
                f"{label:10} {n} views on {backend}: CPU {sum(cpu) / n * 1e3:.2f} ms/view, "
                f"wall p50 {percentile(wall, 50) * 1e3:.1f} ms, "
                f"p99 {percentile(wall, 99) * 1e3:.1f} ms, statements/view {max(stmts)}",
                flush=True,
            )

        await views(10)  # warm the caches
        if args.sql:
            shown: list[str] = []

            def show(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
                shown.append(" ".join(statement.split()))

            event.listen(store.engine.sync_engine, "before_cursor_execute", show)
            await views(1)
            event.remove(store.engine.sync_engine, "before_cursor_execute", show)
            for n, sql in enumerate(shown, 1):
                print(f"{n:2}. {sql[:400]}")
        await views(args.views)
        if args.top == 0:
            return  # measured only (say, under py-spy)
        timer = time.process_time if args.timer == "cpu" else time.perf_counter
        profiler = cProfile.Profile(timer)
        await views(args.views, profiler)
        if args.stats:
            profiler.dump_stats(args.stats)
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    finally:
        await store.close()
        await drop_database(url)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--employees", type=int, default=1_500)
    p.add_argument("--views", type=int, default=300)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="tottime")
    p.add_argument("--backend", default="postgresql")
    p.add_argument("--stats", default="")
    p.add_argument("--timer", choices=("cpu", "wall"), default="cpu")
    p.add_argument("--sql", action="store_true", help="print the statements of one view")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
