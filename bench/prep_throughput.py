"""How fast the engine stores typed prep answers, on SQLite, against the in-memory store.

Prints answers per second for each store and the ratio (SQLite / memory) measured in the same
run, plus peak memory per store. Targets live here, never in timed unit tests:
  - SQLite must store at least 10 typed answers a second on a 2-core machine (each answer is
    one committed transaction of ~17 statements; aiosqlite's thread hop dominates, and the
    ratio to the in-memory store shows how much is the database rather than our code);
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
from storage.memory import MemoryStore


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
    memory_rate, count = await run(MemoryStore(), args.employees)
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
        f"in-memory store:        {memory_rate:8.1f} answers/s   peak {memory_peak / 1e6:6.1f} MB"
    )
    print(
        f"SQLite (aiosqlite):     {sqlite_rate:8.1f} answers/s   peak {sqlite_peak / 1e6:6.1f} MB"
    )
    ratio = sqlite_rate / memory_rate
    print(f"ratio SQLite/memory:    {ratio:8.3f}")
    verdict = "ok" if sqlite_rate >= 10 else "MISSED"
    print(f"target SQLite >= 10 answers/s: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
