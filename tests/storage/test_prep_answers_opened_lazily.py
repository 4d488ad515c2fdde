"""Issue 17, the modal path: the read of a person's prep brings all their answers, but a text
is decrypted only when a flow looks at it, and a saved answer is not decrypted back."""

from __future__ import annotations

from typing import Any

import pytest

from conversations.lifecycles.prep import PrepAction
from storage.db import SqlStore
from storage.types import EncryptedString
from tests.storage.test_storage_contract import T0, _prep_step, _round


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored values decrypted while the test runs."""
    seen: list[str] = []
    real = EncryptedString.process_result_value

    def counting(self: EncryptedString, value: Any, dialect: Any) -> str | None:
        if value is not None:
            seen.append(value)
        return real(self, value, dialect)

    monkeypatch.setattr(EncryptedString, "process_result_value", counting)
    return seen


async def test_answers_are_opened_when_looked_at(store: SqlStore, opened: list[str]) -> None:
    async with store.transaction() as tx:
        _, (_, e1, _), rnd = await _round(tx)
        start = _prep_step(None, PrepAction.START)
        await tx.prep.apply(round_id=rnd.id, person_id=e1.id, transition=start, at=T0, cursor=0)
        for n in range(1, 5):
            saved = await tx.prep.save_answer(
                round_id=rnd.id,
                person_id=e1.id,
                question_id=f"q{n}",
                text=f"Svar {n} ÆØÅ",
                skipped=False,
                at=T0,
            )
            assert saved.text == f"Svar {n} ÆØÅ" and saved.revision == 1
    assert opened == []  # saving returns the text given, not a decryption of it
    async with store.transaction() as tx:
        (own,) = await tx.prep.own(person_id=e1.id, round_id=rnd.id)
        answers = own.answers
        assert len(answers) == 4 and "q2" in answers and "q9" not in answers
        assert sorted(answers) == ["q1", "q2", "q3", "q4"]
        assert "Svar" not in repr(answers)
        assert opened == []
        assert answers["q3"].text == "Svar 3 ÆØÅ" and answers["q3"].updated_at == T0
        assert answers.get("q9") is None
        assert len(opened) == 1
        # The flows' own reads in the same transaction: no query, still nothing more opened.
        again = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
        assert len(opened) == 1
        saved = await tx.prep.save_answer(
            round_id=rnd.id, person_id=e1.id, question_id="q1", text="Nyt", skipped=False, at=T0
        )
        assert saved.revision == 2
        assert again["q1"].text == "Svar 1 ÆØÅ"  # a snapshot, read before the save
        latest = await tx.prep.answers(round_id=rnd.id, person_id=e1.id)
        assert latest["q1"] == saved and latest["q2"].text == "Svar 2 ÆØÅ"
        assert {a.text for a in latest.values()} == {
            "Nyt",
            "Svar 2 ÆØÅ",
            "Svar 3 ÆØÅ",
            "Svar 4 ÆØÅ",
        }


async def test_the_round_snapshot_is_decoded_once_and_an_adapted_one_is_seen(
    store: SqlStore,
) -> None:
    """`own` decodes a snapshot once per distinct stored text (shared by the readers), so an
    adapted snapshot (`set_template`) is read as it now is."""
    async with store.transaction() as tx:
        _, (_, e1, _), rnd = await _round(tx)
    async with store.transaction() as tx:
        (first,) = await tx.prep.own(person_id=e1.id, round_id=rnd.id)
    async with store.transaction() as tx:
        (again,) = await tx.prep.own(person_id=e1.id, round_id=rnd.id)
        assert again.round.template is first.round.template
        assert again.round == await tx.rounds.get(round_id=rnd.id)
        adapted = {**first.round.template, "name": "tonder-lokal"}
        await tx.rounds.set_template(round_id=rnd.id, template=adapted)
    async with store.transaction() as tx:
        (now,) = await tx.prep.own(person_id=e1.id, round_id=rnd.id)
        assert now.round.template == adapted and first.round.template["name"] == "tonder"
