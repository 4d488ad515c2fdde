"""Idle and loaded memory (RSS) of MUS-bot's server against bare slack-bolt, same run.

Idle: the server process 2 s after it answers its first request path (all imports done,
database migrated or found current). Loaded: after `interactions` typed answers at
concurrency 10 (bench/interaction.py's driver). Interleaved: bare, packages, MUS-bot, bare...

`packages` (bench/apps.py) is bare Bolt with the packages the project's owner fixed loaded
as MUS-bot's server has them (SQLAlchemy's asyncio engine, sqlmodel, APScheduler) and none
of MUS-bot's code: what MUS-bot adds is its idle memory less that row's.

    python -m bench.memory [--tiny] [--reps 3] [--interactions 300] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
from pathlib import Path
from typing import Any

from bench.common import create_database, drop_database, fmt, ratio, summary, write_result
from bench.interaction import drive, start_app
from bench.seed import seed_prep, steps_per_person
from bench.standin import SlackStandIn

APPS = ("bare", "packages", "musbot")
TARGET_IDLE_MB = 70.0


async def one(
    app: str, *, backend: str, interactions: int, tmp: Path, settle: float
) -> dict[str, float]:
    db = await create_database(backend, tmp=tmp)
    standin = await SlackStandIn().start()
    server = None
    try:
        steps = steps_per_person() - 1
        persons = max(10, math.ceil(interactions / steps))
        if app == "musbot":
            people = (await seed_prep(url=db, teams=math.ceil(persons / 15), team_size=15))[
                :persons
            ]
        else:
            people = [f"U{n}X0" for n in range(persons)]
        server = await start_app(app, api_url=standin.api_url, db=db)
        await asyncio.sleep(settle)
        idle = server.rss()
        await drive(
            url=server.url,
            standin=standin,
            people=people,
            answers_each=math.ceil(interactions / persons),
            concurrency=10,
        )
        return {"idle_mb": idle, "loaded_mb": server.rss()}
    finally:
        if server is not None:
            server.stop()
        await standin.close()
        await drop_database(db)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, list[dict[str, float]]] = {app: [] for app in APPS}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for app in APPS:
                r = await one(
                    app,
                    backend=args.backend,
                    interactions=args.interactions,
                    tmp=Path(tmp),
                    settle=0.5 if args.tiny else 2.0,
                )
                results[app].append(r)
                print(
                    f"rep {rep + 1} {app:7} idle {r['idle_mb']:6.1f} MB  "
                    f"loaded {r['loaded_mb']:6.1f} MB",
                    flush=True,
                )
    table = {
        app: {k: summary(r[k] for r in rs) for k in ("idle_mb", "loaded_mb")}
        for app, rs in results.items()
    }
    mus_idle = table["musbot"]["idle_mb"]["median"]
    packages_idle = table["packages"]["idle_mb"]["median"]
    payload = {
        "settings": {"reps": args.reps, "interactions": args.interactions, "backend": args.backend},
        "table": table,
        "ratios": {
            "idle_vs_bare": ratio(mus_idle, table["bare"]["idle_mb"]["median"]),
            "idle_over_packages_mb": mus_idle - packages_idle,
            "loaded_vs_bare": ratio(
                table["musbot"]["loaded_mb"]["median"], table["bare"]["loaded_mb"]["median"]
            ),
        },
        "targets": {
            "idle_under_70mb": mus_idle < TARGET_IDLE_MB,
            "packages_idle_under_70mb": packages_idle < TARGET_IDLE_MB,
        },
        "runs": results,
    }
    print()
    print("| app | idle MB | loaded MB |\n|---|---|---|")
    for app in APPS:
        t = table[app]
        print(
            f"| {app} | {fmt(t['idle_mb']['median'])} ({fmt(t['idle_mb']['min'])}-"
            f"{fmt(t['idle_mb']['max'])}) | {fmt(t['loaded_mb']['median'])} |"
        )
    print(
        f"MUS-bot idle / bare idle: {fmt(payload['ratios']['idle_vs_bare'], 2)}x; "
        f"target idle < {TARGET_IDLE_MB:.0f} MB: {'met' if mus_idle < TARGET_IDLE_MB else 'NOT met'}"
    )
    print(
        f"the owner-fixed packages alone: {fmt(packages_idle)} MB idle; MUS-bot's own code and "
        f"libraries add {fmt(mus_idle - packages_idle)} MB"
    )
    path = write_result(args.name, payload)
    print(f"written {path}")
    return payload


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--interactions", type=int, default=300)
    p.add_argument("--backend", default="sqlite")
    p.add_argument("--name", default="memory")
    return p


def configure(args: argparse.Namespace) -> argparse.Namespace:
    if args.tiny:
        args.reps, args.interactions, args.name = 1, 10, "memory-tiny"
    return args


def main() -> None:
    asyncio.run(main_async(configure(parser().parse_args())))


if __name__ == "__main__":
    main()
