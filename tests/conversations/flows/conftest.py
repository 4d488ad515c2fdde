"""A small workplace on the in-process platform, on the SQL store over SQLite (a file per test)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.inproc import Harness, ManualClock
from conversations.context import CoreSettings
from conversations.domain import Person, Round
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore

VALID_ROUND = {
    "channel": "C1",
    "members": (),
    "template": "kk-buf",
    "kerneopgave": "Vi skaber trygge rammer for børns læring.",
    "udviklingsmaal": "Mere samarbejde på tværs af grupperne.",
    "kickoff_at": "2026-11-25T09:00",
    "prep_deadline": "2026-12-04",
    "conversations_from": "2026-12-07",
    "conversations_to": "2026-12-18",
    "summary_at": "2027-01-12T13:00",
}


@dataclass
class World:
    h: Harness
    clock: ManualClock
    store: SqlStore

    async def person(self, user_id: str) -> Person:
        """The stored person behind a user id of this workspace."""
        async with self.store.transaction() as tx:
            workspace = await tx.workspaces.get_or_create(
                platform=self.h.port.platform, external_id=self.h.workspace
            )
            found = await tx.people.get_by_user_id(workspace_id=workspace.id, user_id=user_id)
        assert found is not None, f"{user_id} is not stored"
        return found

    async def rounds(self, *, leader: str = "UL") -> list[Round]:
        """The rounds `leader` leads, oldest first."""
        person = await self.person(leader)
        async with self.store.transaction() as tx:
            return list(reversed(await tx.rounds.led_by(person_id=person.id)))


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary()


def make_world(
    library: TemplateLibrary, *, store: SqlStore, leaders: frozenset[str] = frozenset()
) -> World:
    clock = ManualClock()
    engine = Engine(
        store=store,
        templates=library,
        clock=clock,
        settings=CoreSettings(configured_leaders=leaders),
    )
    h = Harness(handler=engine)
    h.add_user("UL", name="Lene Leder", admin=True)
    h.add_user("U1", name="Anna Andersen")
    h.add_user("U2", name="Bo Berg")
    h.add_user("U3", name="Carl Clausen", locale="en-GB")
    h.add_user("UB", name="Kalender-bot")
    h.port.bots.add("UB")
    h.add_channel("C1", members=["UL", "U1", "U2", "U3", "UB"])
    # Another team, with its own leader, who must never see team C1's preparation.
    h.add_user("UX", name="Xenia Anden-Leder", admin=True)
    h.add_user("U9", name="Niels Nabo")
    h.add_channel("C2", members=["UX", "U9"])
    return World(h=h, clock=clock, store=store)


@pytest.fixture
def world(library: TemplateLibrary, sqlite_store: SqlStore) -> World:
    return make_world(library, store=sqlite_store)


async def start_round(h: Harness, *, leader: str = "UL", **changes: object) -> None:
    seen = await h.command(leader, "start", channel=str(changes.get("channel", "C1")))
    values = {**VALID_ROUND, **changes}
    result = await h.submit(leader, seen.form, values)  # type: ignore[arg-type]
    assert not result.errors, result.errors
