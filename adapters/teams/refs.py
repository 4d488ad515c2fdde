"""Where the adapter keeps what Teams needs for proactive messages.

Teams can only be written to proactively with a conversation reference (service URL, tenant,
conversation id, the bot's id) captured from an earlier activity. The adapter stores small
JSON dicts under keys it owns; the bot wiring provides the storage (`StoreRefStore` over the
core's `ConversationRefRepo`), tests an in-memory dict.

Keys (all within one workspace = one tenant):

* ``tenant`` — service URL and bot id of the tenant, for creating 1:1 chats with anyone;
* ``user:<user id>`` — the user's Teams id (``29:…``) and, once it exists, their 1:1 chat;
* ``channel:<channel id>`` — a team channel (its conversation id, team id, service URL);
* ``form:<message ref>`` — a form card as sent, to show it again with errors.
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


class CachedRefStore:
    """Skips writes of a ref identical to the last one written through this process.

    Every inbound activity refreshes the sender's reference; without this each message would
    cost a database write.
    """

    def __init__(self, *, inner: RefStore, max_entries: int = 10_000) -> None:
        self._inner = inner
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}
        self._max = max_entries

    async def save(self, *, workspace_id: str, key: str, ref: dict[str, Any]) -> None:
        if self._seen.get((workspace_id, key)) == ref:
            return
        await self._inner.save(workspace_id=workspace_id, key=key, ref=ref)
        if len(self._seen) >= self._max:
            self._seen.clear()
        self._seen[(workspace_id, key)] = dict(ref)

    async def get(self, *, workspace_id: str, key: str) -> dict[str, Any] | None:
        # Always read through: another bot process may have changed the ref since.
        return await self._inner.get(workspace_id=workspace_id, key=key)
