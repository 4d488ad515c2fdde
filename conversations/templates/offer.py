"""Which templates a leader may start a round with: the files (built-in and template
directories) and the database's organisation templates and the leader's own, minus retired."""

from __future__ import annotations

from typing import Protocol

from conversations.templates.model import Template
from conversations.templates.stored import Status, StoredTemplate


class _Source(Protocol):
    def names(self) -> list[str]: ...

    def get(self, *, name: str) -> Template: ...


class _Repo(Protocol):
    async def all_latest(self) -> list[StoredTemplate]: ...

    async def offered(self, *, person_id: int | None) -> list[StoredTemplate]: ...


async def offered_templates(
    *, repo: _Repo, library: _Source, person_id: int | None, language: str
) -> dict[str, Template]:
    """Name -> template, those in `language` first, then by title. A database template named
    like a file replaces it; a retired name is not offered at all."""
    found = {name: library.get(name=name) for name in library.names()}
    for stored in await repo.all_latest():
        if stored.status == Status.RETIRED:
            found.pop(stored.name, None)
    for stored in await repo.offered(person_id=person_id):
        found[stored.name] = stored.template()
    ordered = sorted(found.items(), key=lambda kv: (kv[1].language != language, kv[1].title))
    return dict(ordered)
