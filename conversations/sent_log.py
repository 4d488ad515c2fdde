"""Where keyed messages went, written in groups: one transaction for every ref that arrives
while the previous write is under way (group commit).

Each keyed message posted (a question card, an overview) records its platform ref after the
post, so a later event can update it in place. Written one transaction each, that was a
second transaction per typed answer (on PostgreSQL three round trips: BEGIN, the upsert,
COMMIT). Under load, refs from many answers now share one executemany
(`SentMessageRepo.write_many`), on PostgreSQL without BEGIN and COMMIT around it
(`Store.autocommit`): one round trip. Callers still wait until their ref is committed, so
what a later event reads is what it read before.
"""

from __future__ import annotations

import asyncio
import logging

from conversations.ports import RefWrite, Store

__all__ = ["RefWrite", "SentLog"]  # RefWrite: the port's own, where callers found it

log = logging.getLogger(__name__)


class SentLog:
    """Writes `RefWrite`s in order, grouping those that queue while a write is running."""

    def __init__(self, *, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[list[RefWrite], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, *, writes: list[RefWrite]) -> None:
        """Return once `writes` are committed, or their failure logged.

        A failure loses only the chance to update those messages later (they are then posted
        anew, or left as they are): it is logged, never the person's problem.
        """
        if not writes:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((writes, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self.store.autocommit() as tx:  # one statement per run
                    await tx.sent_messages.write_many(
                        writes=[write for writes, _ in batch for write in writes]
                    )
            except Exception:
                count = sum(len(writes) for writes, _ in batch)
                log.exception("recording %d sent message ref(s) failed", count)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
