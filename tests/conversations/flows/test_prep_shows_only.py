"""Buttons that only show a form (`ButtonAction.shows_only`) run as reads: no transaction, no
claim of the delivery. Whatever must be written still is: the event then runs again the usual
way (an audited refusal, a changed name), and nothing is lost or written twice."""

from __future__ import annotations

from sqlalchemy import func, select

from conversations.actions import ButtonAction, PrepEdit, PrepPick, button_actions
from storage.models import processed_events
from tests.conversations.flows.conftest import World
from tests.conversations.flows.test_prep import answers_of, open_prep
from tests.storage.test_statement_counts import counting


async def _claims(world: World) -> int:
    async with world.store.reading() as tx:
        return int(
            (await tx.conn.execute(select(func.count()).select_from(processed_events))).scalar_one()
        )


def test_only_the_form_openers_are_marked() -> None:
    marked = {cls for cls in button_actions() if cls.shows_only}
    assert marked == {PrepEdit, PrepPick}
    assert ButtonAction.shows_only is False


async def test_opening_the_answer_form_reads_and_claims_nothing(world: World) -> None:
    seen = await open_prep(world)
    before = await _claims(world)
    with counting(world.store) as click:
        form = (await world.h.press("U1", seen.button("prep.answer"))).form
    assert form.title and form.inputs
    assert len(click.statements) == 2, click.statements
    assert all(s.startswith("SELECT") for s in click.statements), click.statements
    assert await _claims(world) == before
    # The form it opened stores its answer (in a transaction of its own, with its claim).
    ok = await world.h.submit("U1", form, {"answer": "Via formularen"})
    assert "2/9" in ok.text
    assert await answers_of(world) == {"opfoelgning-udviklingsplan": "Via formularen"}
    assert await _claims(world) == before + 1


async def test_a_second_click_opens_the_form_again(world: World) -> None:
    """A double click (or a redelivery) shows the form twice; nothing is stored either way."""
    seen = await open_prep(world)
    button = seen.button("prep.answer")
    first = (await world.h.press("U1", button)).form
    second = (await world.h.press("U1", button)).form
    assert first == second
    assert await answers_of(world) == {}


async def test_someone_elses_answer_button_is_refused_and_the_refusal_audited(
    world: World,
) -> None:
    """The refusal writes an audit row: the read pass cannot, so the event runs again in a
    transaction (with its claim) and the row is there, once."""
    seen = await open_prep(world)
    await world.h.command("U9", "hjælp")  # U9 is stored; the read pass is tried for them
    with counting(world.store) as click:
        refused = await world.h.press("U9", seen.button("prep.answer"))
    assert not [i for i in refused.reply.items if hasattr(i, "inputs")]
    assert "U1" not in refused.text and "Anna" not in refused.text
    # The read pass first (reads only, ended by the refused audit write), then the claim.
    first_write = next(i for i, s in enumerate(click.statements) if s.startswith("INSERT"))
    assert first_write >= 2, click.statements
    assert click.statements[first_write].startswith("INSERT INTO processed_events")
    async with world.store.reading() as tx:
        entries = await tx.audit.entries()
    assert len([e for e in entries if e.action.endswith("_denied")]) == 1, entries


async def test_a_changed_name_is_stored_on_the_click(world: World) -> None:
    """The read pass stores nothing; a profile that changed sends the click the usual way."""
    seen = await open_prep(world)
    world.h.add_user("U1", name="Anna Andersen-Holm")
    form = (await world.h.press("U1", seen.button("prep.answer"))).form
    assert form.inputs
    assert (await world.person("U1")).display_name == "Anna Andersen-Holm"


async def test_the_pick_form_opens_as_reads(world: World) -> None:
    seen = await open_prep(world)
    review = await world.h.press("U1", seen.button("prep.review"))
    with counting(world.store) as click:
        pick = await world.h.press("U1", review.button("prep.pick"))
    assert pick.form.inputs
    assert len(click.statements) == 2, click.statements
    assert all(s.startswith("SELECT") for s in click.statements), click.statements
    [choice] = pick.form.inputs
    third = choice.options[2].value  # type: ignore[union-attr]
    done = await world.h.submit("U1", pick.form, {"step": third})
    assert "3/9" in done.text
