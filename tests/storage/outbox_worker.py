"""A sweeping worker in its own process, for the multi-process outbox tests.

    python tests/storage/outbox_worker.py --url URL --worker NAME --now ISO [--delay S]

Prints `ready`, waits for a line on stdin (so several workers start together), then claims
due reminders in batches and marks each sent, printing `claimed <id>` when a batch is taken
and `sent <id>` once its mark committed. Exits when nothing is due. Stdout is flushed per
line, so a test that kills the process mid-sweep knows what it had done.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from storage.db import create_store


async def sweep(
    *, url: str, worker: str, now: datetime, limit: int, lease: float, delay: float
) -> None:
    store = await create_store(url=url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        while True:
            async with store.transaction() as tx:
                batch = await tx.outbox.claim_due(
                    now=now, limit=limit, worker=worker, lease_seconds=lease
                )
            if not batch:
                return
            print("\n".join(f"claimed {r.id}" for r in batch), flush=True)
            for r in batch:
                if delay:
                    await asyncio.sleep(delay)  # the delivery to the platform
                async with store.transaction() as tx:
                    ok = await tx.outbox.mark_sent(reminder_id=r.id, worker=worker, at=now)
                print(f"{'sent' if ok else 'lost'} {r.id}", flush=True)
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--lease", type=float, default=300.0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(
        sweep(
            url=args.url,
            worker=args.worker,
            now=args.now,
            limit=args.limit,
            lease=args.lease,
            delay=args.delay,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
