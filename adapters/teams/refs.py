"""Where the adapter keeps what Teams needs for proactive messages.

Teams can only be written to proactively with a conversation reference (service URL, tenant,
conversation id, the bot's id) captured from an earlier activity. The adapter stores small
JSON dicts under keys it owns; the bot wiring provides the storage (`StoreRefStore` over the
core's `ConversationRefRepo`), tests an in-memory dict.

What is stored under which key, and why, is `adapters.teams.registry`.
"""

from __future__ import annotations

from typing import Any, Protocol

from conversations.ports import Store

PLATFORM = "teams"


class RefStore(Protocol):
    """Persisted adapter state: small JSON dicts by key, per workspace (tenant)."""

    async def save(self, *, workspace_id: str, key: str, ref: dict[str, Any]) -> None: ...

    async def get(self, *, workspace_id: str, key: str) -> dict[str, Any] | None: ...


class StoreRefStore:
    """`RefStore` over the core's `Store`: one short transaction per call.

    Refs are written outside the event's transaction on purpose: a reference learnt from an
    activity stays true even if handling that activity fails.
    """

    def __init__(self, *, store: Store) -> None:
        self._store = store

    async def save(self, *, workspace_id: str, key: str, ref: dict[str, Any]) -> None:
        async with self._store.transaction() as tx:
            await tx.conversation_refs.save(
                platform=PLATFORM, workspace_id=workspace_id, key=key, ref=ref
            )

    async def get(self, *, workspace_id: str, key: str) -> dict[str, Any] | None:
        async with self._store.transaction() as tx:
            return await tx.conversation_refs.get(
                platform=PLATFORM, workspace_id=workspace_id, key=key
            )


class MemoRefStore:
    """The adapter's view of its refs: a process-local memo in front of the real store.

    Why: the core calls `channel_members`/`lookup` inside its database transaction, and on
    SQLite a second transaction (ours, to read a ref) waits for that one to finish - a
    deadlock. So everything a turn may need is loaded before the core is called (`warm` in
    the port), reads inside the turn come from memory (`peek`), and refs learnt inside it
    (a roster) are written afterwards (`save(defer=True)`, then `flush`). The memo also
    spares a database write per activity when nothing changed.

    Refs are stable facts (ids, URLs), so a memo that is briefly stale in a second bot
    process is harmless: the worst case is asking Teams for a 1:1 chat it already has, and
    Teams answers with the same one.
    """

    def __init__(self, *, inner: RefStore, max_entries: int = 50_000) -> None:
        self._inner = inner
        self._memo: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._written: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._max = max_entries

    async def save(
        self, *, workspace_id: str, key: str, ref: dict[str, Any], defer: bool = False
    ) -> None:
        """Remember `ref`; write it now, or at the next `flush` when `defer`."""
        slot = (workspace_id, key)
        self._remember(slot, ref)
        if defer:
            self._pending[slot] = dict(ref)
            return
        self._pending.pop(slot, None)
        await self._write(slot, ref)

    async def get(self, *, workspace_id: str, key: str) -> dict[str, Any] | None:
        slot = (workspace_id, key)
        if slot in self._memo:
            found = self._memo[slot]
            return dict(found) if found is not None else None
        found = await self._inner.get(workspace_id=workspace_id, key=key)
        self._remember(slot, found)
        return dict(found) if found is not None else None

    def peek(self, *, workspace_id: str, key: str) -> dict[str, Any] | None:
        """The memo only, never the database (safe inside the core's transaction)."""
        found = self._memo.get((workspace_id, key))
        return dict(found) if found is not None else None

    async def flush(self) -> None:
        """Write the refs saved with `defer=True`."""
        pending, self._pending = self._pending, {}
        for slot, ref in pending.items():
            await self._write(slot, ref)

    async def _write(self, slot: tuple[str, str], ref: dict[str, Any]) -> None:
        if self._written.get(slot) == ref:
            return
        await self._inner.save(workspace_id=slot[0], key=slot[1], ref=ref)
        if len(self._written) >= self._max:
            self._written.clear()
        self._written[slot] = dict(ref)

    def _remember(self, slot: tuple[str, str], ref: dict[str, Any] | None) -> None:
        if len(self._memo) >= self._max:
            self._memo.clear()
        self._memo[slot] = dict(ref) if ref is not None else None
