"""The tables for bench/README.md from the latest bench/results/*.json: `python -m bench.report`."""

from __future__ import annotations

import json
from typing import Any

from bench.common import RESULTS, fmt
from bench.interaction import render_table


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _head(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    return f"_{doc['date']}, {m['cpus']} CPUs ({m['cpu_model']}), load {m['load_avg_at_start'][0]:.1f} at start_"


def main() -> None:
    for name, title in (
        ("interaction", "typed DM answers"),
        ("interaction-form", "answers through the modal"),
    ):
        doc = _load(name)
        if doc:
            print(f"### Interaction path: {title}\n\n{_head(doc)}\n")
            print(render_table(doc["table"]) + "\n")
    doc = _load("outbox")
    if doc:
        print(f"### Outbox\n\n{_head(doc)}\n")
        print(
            "| platform | backend | order | replicas | SIGKILLs | fraction of allowed rate | 429s"
            " | lost | duplicates |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for row in doc["table"]:
            f = row["fraction_of_allowed_rate"]
            print(
                f"| {row.get('platform', 'slack')} | {row['backend']} | {row['order']} |"
                f" {row['replicas']} | {row['kills']} | "
                f"{fmt(f['median'], 2)} ({fmt(f['min'], 2)}-{fmt(f['max'], 2)}) | "
                f"{fmt(row['rejected_429']['median'], 0)} | {row['lost']} | {row['duplicates']} |"
            )
        print()
    doc = _load("scale")
    if doc:
        print(f"### The leader's status view\n\n{_head(doc)}\n")
        print("| organisation | seeded in | statements per view | p50 ms | p99 ms | CPU ms/view |")
        print("|---|---|---|---|---|---|")
        for label, r in (("baseline", doc["baseline"]), ("ours", doc["ours"])):
            print(
                f"| {r['employees']} employees ({label}) | {r['seed_seconds']:.0f} s | "
                f"{r['statements_per_view_max']} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | "
                f"{fmt(r.get('cpu_ms_per_view', float('nan')))} |"
            )
        print()
    doc = _load("memory")
    if doc:
        print(f"### Memory\n\n{_head(doc)}\n")
        print("| server | idle MB | loaded MB |\n|---|---|---|")
        for app, t in doc["table"].items():
            print(
                f"| {app} | {fmt(t['idle_mb']['median'])} ({fmt(t['idle_mb']['min'])}-"
                f"{fmt(t['idle_mb']['max'])}) | {fmt(t['loaded_mb']['median'])} |"
            )
        if "packages" in doc["table"]:
            print(
                "\n`packages`: bare Bolt with the owner-fixed packages loaded as MUS-bot's server "
                "has them (SQLAlchemy's asyncio engine, sqlmodel, APScheduler), none of MUS-bot's "
                "code."
            )
        print()


if __name__ == "__main__":
    main()
