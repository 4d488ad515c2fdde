"""The SQL store keeps a round's adapted form (sub-groups, ids used, release) and the texts a
team edits, on SQLite and PostgreSQL; deleting the round deletes its form."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from conversations.templates.library import TemplateLibrary
from conversations.templates.stored import FormGroup, RoundForm
from storage.db import SqlStore
from tests.storage.test_storage_contract import T0, _round


async def test_round_form_round_trip_upsert_and_cascade(store: SqlStore) -> None:
    snapshot = TemplateLibrary().snapshot(name="kk-buf")
    async with store.transaction() as tx:
        _, people, round_ = await _round(tx)
        assert await tx.round_forms.get(round_id=round_.id) is None
        form = RoundForm(
            round_id=round_.id,
            held=True,
            release_on=date(2025, 3, 3),
            original=snapshot,
            used_ids=("a", "b"),
            groups=(
                FormGroup(
                    key="g1", name="Pædagoger", member_ids=(people[1].id,), template=snapshot
                ),
            ),
        )
        await tx.round_forms.save(form=form)
    async with store.transaction() as tx:
        assert await tx.round_forms.get(round_id=round_.id) == form
        released = replace(form.with_ids(["b", "lokal-1"]), held=False, released_at=T0)
        await tx.round_forms.save(form=released)
    async with store.transaction() as tx:
        found = await tx.round_forms.get(round_id=round_.id)
        assert found == released and found.used_ids == ("a", "b", "lokal-1")
        assert found.group_of(people[1].id) is not None and found.group_of(people[2].id) is None
        await tx.rounds.set_texts(round_id=round_.id, kerneopgave="Ny", udviklingsmaal="Nye mål")
        changed = await tx.rounds.get(round_id=round_.id)
        assert changed is not None and changed.kerneopgave == "Ny"
        assert await tx.rounds.delete(round_id=round_.id)
    async with store.transaction() as tx:
        assert await tx.round_forms.get(round_id=round_.id) is None
