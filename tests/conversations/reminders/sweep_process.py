"""A sweeper in its own process, for the multi-process outbox tests.

    python -m tests.conversations.reminders.sweep_process URL WORKER NOW_ISO LOG_PATH DELAY_SECONDS

Sends through a port that appends each recipient to LOG_PATH (flushed at once, so a killed
process leaves an exact record) after sleeping DELAY_SECONDS, i.e. a slow platform.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

from adapters.inproc import ManualClock
from bot.outbox import Sweeper
from conversations.messages import HomeView, Message, ToPerson
from storage.db import create_store


class RecordingPort:
    platform = "test"

    def __init__(self, path: str, delay: float) -> None:
        self.path = path
        self.delay = delay

    async def send(self, *, workspace_id: str, message: Message) -> str | None:
        await asyncio.sleep(self.delay)
        assert isinstance(message.to, ToPerson)
        with open(self.path, "a", encoding="utf-8") as log:  # noqa: ASYNC230 - an exact record even if killed
            log.write(message.to.user_id + "\n")
            log.flush()
            os.fsync(log.fileno())
        return None

    async def publish_home(self, *, workspace_id: str, view: HomeView) -> None:
        return None

    async def channel_members(self, *, workspace_id: str, channel_id: str) -> list:  # type: ignore[type-arg]
        return []

    async def lookup(self, *, workspace_id: str, user_id: str) -> None:
        return None

    async def channel_info(self, *, workspace_id: str, channel_id: str) -> None:
        return None


async def main(url: str, worker: str, now: str, log_path: str, delay: float) -> None:
    store = await create_store(url=url)
    try:
        sweeper = Sweeper(
            store=store,
            ports={"test": RecordingPort(log_path, delay)},
            clock=ManualClock(datetime.fromisoformat(now)),
            worker=worker,
            batch=20,
        )
        await sweeper.sweep()
    finally:
        await store.close()


if __name__ == "__main__":
    url, worker, now, log_path, delay = sys.argv[1:6]
    asyncio.run(main(url, worker, now, log_path, float(delay)))
