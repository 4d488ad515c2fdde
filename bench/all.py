"""Run every benchmark: `python -m bench.all` (full) or `python -m bench.all --tiny`.

`--tiny` runs each at a size that only proves it still works (CI runs that); its figures mean
nothing and are written to bench/results/*-tiny.json, next to the real ones.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import interaction, memory, outbox, scale

BENCHMARKS = {
    "interaction": interaction,
    "interaction-form": interaction,
    "outbox": outbox,
    "scale": scale,
    "memory": memory,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--only", default=",".join(BENCHMARKS))
    args = p.parse_args()
    for name in args.only.split(","):
        module = BENCHMARKS[name]
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        argv = ["--tiny"] if args.tiny else []
        if name == "interaction-form":
            argv += ["--mode", "form"]
        if name == "interaction" and not args.tiny:
            argv += ["--workers", "2"]  # the extra MUSBOT_WORKERS=2 row (PostgreSQL)
        options = module.configure(module.parser().parse_args(argv))
        asyncio.run(module.main_async(options))
        print(f"== {name}: {time.perf_counter() - started:.1f} s\n", flush=True)


if __name__ == "__main__":
    main()
