"""Where the server's CPU goes for a typed DM answer (or a modal one): cProfile around the
real server.

Not a benchmark (no baseline, no result file): a tool for finding costs. The server is the
real one (`bot.run`, MUS-bot's Slack adapter on its aiohttp server) in its own process, on a
fresh SQLite (or PostgreSQL) database with people seeded at question 1 of a kk-buf
preparation (bench/seed.py); this driver sends signed DM events to it one at a time and waits
for each next question at the stand-in Slack API (bench/standin.py), as bench/interaction.py
does at concurrency 1.

Two passes over the same kind of answers: first without the profiler (CPU ms per answer from
/proc, the server process only), then with cProfile switched on in the server (SIGUSR1) and
off again (SIGUSR2, which also writes the stats); the top functions are printed.

    python -m bench.profile_answer [--answers 300] [--top 40] [--sort tottime|cumulative]
        [--backend sqlite|postgresql] [--stats PATH] [--floor] [--mode dm|form]

`--mode form` answers through the modal as `bench.interaction --mode form` does: each person's
first answer is a DM (unmeasured, but its CPU counts, as in the benchmark), every further one
a click on the question's answer button (views.open) and the modal's submission.

`--floor` also measures bench/apps.py's minimal durable floor the same way, just before and
just after MUS-bot's unprofiled pass, and prints the ratio (a quick check, not the benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.apps import SIGNING_SECRET
from bench.common import create_database, drop_database, free_port, start_server
from bench.interaction import drive, start_app
from bench.seed import seed_prep, steps_per_person
from bench.standin import TOKEN, SlackStandIn


def serve(stats_path: str) -> None:
    """The server process: `musbot run`, with cProfile toggled by SIGUSR1 / SIGUSR2."""
    import cProfile

    profiler = cProfile.Profile()

    def start(*_: Any) -> None:
        profiler.enable()

    def stop(*_: Any) -> None:
        profiler.disable()
        profiler.dump_stats(stats_path)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from bot.cli import main

    sys.exit(main(["run"]))


def _each(mode: str) -> int:
    """Measured answers per person: the last answer leads to the overview, not a question, and
    in form mode the first is the DM that brings the question card with its answer button."""
    return steps_per_person() - (2 if mode == "form" else 1)


async def _answers(
    server: Any, standin: SlackStandIn, people: list[str], n: int, *, mode: str = "dm"
) -> int:
    each = _each(mode)
    persons = people[: math.ceil(n / each)]
    result = await drive(
        url=server.url,
        standin=standin,
        people=persons,
        answers_each=each,
        concurrency=1,
        mode=mode,
    )
    return int(result["interactions"])


async def floor_cpu(*, backend: str, answers: int, tmp: Path, mode: str = "dm") -> float:
    """CPU ms per answer of the minimal durable floor (bench/apps.py), same driver, same load
    (in form mode the same number of modal answers per person as MUS-bot's)."""
    db = await create_database(backend, tmp=tmp)
    standin = await SlackStandIn().start()
    server = None
    each = _each(mode) if mode == "form" else 10
    try:
        server = await start_app("floor", api_url=standin.api_url, db=db)
        people = [f"U{n}X0" for n in range(answers // each + 2)]
        await drive(
            url=server.url, standin=standin, people=people[:1], answers_each=3, concurrency=1
        )
        cpu0 = server.cpu()
        result = await drive(
            url=server.url,
            standin=standin,
            people=people[1:],
            answers_each=each,
            concurrency=1,
            mode=mode,
        )
        return (server.cpu() - cpu0) / result["interactions"] * 1e3
    finally:
        if server is not None:
            server.stop()
        await standin.close()
        await drop_database(db)


async def main_async(args: argparse.Namespace) -> None:
    mode = args.mode
    each = _each(mode)
    floor = 0.0
    if args.floor:
        with tempfile.TemporaryDirectory() as tmp:
            floor = await floor_cpu(
                backend=args.backend, answers=args.answers, tmp=Path(tmp), mode=mode
            )
        print(f"floor (bench/apps.py floor), before: server CPU {floor:.2f} ms/answer")
    per_pass = math.ceil(args.answers / each)
    with tempfile.TemporaryDirectory() as tmp:
        db = await create_database(args.backend, tmp=Path(tmp))
        stats_path = args.stats or str(Path(tmp) / "answer.prof")
        standin = await SlackStandIn().start()
        server = None
        try:
            people = await seed_prep(url=db, teams=math.ceil((2 * per_pass + 1) / 15), team_size=15)
            port = free_port()
            env = {
                "MUSBOT_DATABASE_URL": db,
                "MUSBOT_PORT": str(port),
                "MUSBOT_LOG_LEVEL": "WARNING",
                "MUSBOT_WEB_CHAT": "false",
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": standin.api_url,
            }
            argv = [sys.executable, "-m", "bench.profile_answer", "--serve", stats_path]
            server = await start_server(
                name="musbot", argv=argv, env=env, port=port, ready_path="/healthz"
            )
            warm, plain, profiled = people[:1], people[1 : 1 + per_pass], people[1 + per_pass :]
            # First-request costs (auth.test, caches).
            await _answers(server, standin, warm, 5, mode=mode)
            calls0 = dict(standin.methods)
            cpu0, wall0 = server.cpu(), time.perf_counter()
            done = await _answers(server, standin, plain, args.answers, mode=mode)
            cpu, wall = server.cpu() - cpu0, time.perf_counter() - wall0
            print(
                f"without profiler: {done} answers, server CPU {cpu / done * 1e3:.2f} ms/answer, "
                f"wall {wall / done * 1e3:.2f} ms/answer"
            )
            calls = {
                m: (n - calls0.get(m, 0)) / done
                for m, n in sorted(standin.methods.items())
                if n > calls0.get(m, 0)
            }
            print(
                "Slack API calls per answer:", ", ".join(f"{m} {n:.2f}" for m, n in calls.items())
            )
            if args.floor:
                after = await floor_cpu(
                    backend=args.backend, answers=args.answers, tmp=Path(tmp), mode=mode
                )
                print(
                    f"floor, after: server CPU {after:.2f} ms/answer; MUS-bot/floor "
                    f"{cpu / done * 1e3 / ((floor + after) / 2):.2f}x"
                )
            os.kill(server.pid, signal.SIGUSR1)
            await asyncio.sleep(0.2)
            done = await _answers(server, standin, profiled, args.answers, mode=mode)
            os.kill(server.pid, signal.SIGUSR2)
            written = Path(stats_path)
            for _ in range(100):
                await asyncio.sleep(0.1)
                if await asyncio.to_thread(written.exists):
                    break
            await asyncio.sleep(0.5)  # the dump may still be written
        finally:
            if server is not None:
                server.stop()
            await standin.close()
            await drop_database(db)
        stats = pstats.Stats(stats_path)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"with profiler: {done} answers, {total / done * 1e3:.2f} ms profiled per answer\n")
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--answers", type=int, default=300, help="answers per pass")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    p.add_argument("--stats", default=None, help="keep the cProfile stats at this path")
    p.add_argument(
        "--floor",
        action="store_true",
        help="also measure the minimal durable floor (before, after)",
    )
    p.add_argument("--mode", choices=["dm", "form"], default="dm", help="typed DM or modal answers")
    p.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    return p


def main() -> None:
    args = parser().parse_args()
    if args.serve:
        serve(args.serve)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
