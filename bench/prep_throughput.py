"""How fast the engine stores typed prep answers on the SQL store: a SQLite file, against
the same store on an in-memory SQLite database.

Prints answers per second for each and the ratio (file / in-memory) measured in the same run,
plus peak memory per run. Both run the same engine, repositories and SQL; the baseline only
leaves out the disk (WAL writes and syncs), so the ratio shows how much of the time is the
file rather than our code and the driver. Targets live here, never in timed unit tests:
  - a SQLite file must store at least 10 typed answers a second on a 2-core machine (each
    answer is one committed transaction of ~17 statements; aiosqlite's thread hop dominates);
  - handling must not grow memory with the number of answers beyond the data itself.

    python bench/prep_throughput.py [--employees 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path

from adapters.inproc import Harness, ManualClock
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from storage.db import create_store


async def run(store: Store, employees: int) -> tuple[float, int]:
    engine = Engine(store=store, templates=TemplateLibrary(), clock=ManualClock())
    h = Harness(handler=engine)
    h.add_user("UL", name="Leder", admin=True)
    ids = [f"U{n}" for n in range(employees)]
    for user in ids:
        h.add_user(user, name=f"Medarbejder {user}")
    h.add_channel("C1", members=["UL", *ids])
    form = (await h.command("UL", "start", channel="C1")).form
    await h.submit(
        "UL",
        form,
        {
            "channel": "C1",
            "template": "kk-buf",
            "kerneopgave": "k",
            "udviklingsmaal": "u",
            "prep_deadline": "2026-12-04",
            "conversations_from": "2026-12-07",
            "conversations_to": "2026-12-18",
        },
    )
    for user in ids:
        await h.press(user, h.dms(user)[0].buttons[0])
    answers = 0
    started = time.perf_counter()
    for n in range(9):
        for user in ids:
            await h.say(user, f"Svar {n} fra {user} " + "tekst " * 40)
            answers += 1
    return answers / (time.perf_counter() - started), answers


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=20)
    args = parser.parse_args()
    tracemalloc.start()
    baseline = await create_store(url="sqlite://", migrate=True)  # in memory, no file
    try:
        memory_rate, count = await run(baseline, args.employees)
    finally:
        await baseline.close()
    _, memory_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = await create_store(url=url, migrate=True)
        try:
            sqlite_rate, _ = await run(store, args.employees)
        finally:
            await store.close()
    _, sqlite_peak = tracemalloc.get_traced_memory()
    print(f"answers per run:        {count}")
    print(
        f"SQLite in memory:       {memory_rate:8.1f} answers/s   peak {memory_peak / 1e6:6.1f} MB"
    )
    print(
        f"SQLite file:            {sqlite_rate:8.1f} answers/s   peak {sqlite_peak / 1e6:6.1f} MB"
    )
    ratio = sqlite_rate / memory_rate
    print(f"ratio file/in-memory:   {ratio:8.3f}")
    verdict = "ok" if sqlite_rate >= 10 else "MISSED"
    print(f"target SQLite >= 10 answers/s: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
