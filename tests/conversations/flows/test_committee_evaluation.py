"""Issue #12: the anonymous evaluation, the cooperation committee's figures, yearly coverage."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import text

from adapters.inproc.harness import message_text
from conversations.actions import EvaluationResults, PlanApprove, PlanOpen
from conversations.messages import Button
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import draft_and_propose, held

ANSWERS = {"prep_useful": "4", "time_enough": "2", "conversation_useful": "5", "plan_followed": "3"}


async def close(world: World) -> None:
    asked = await world.h.command("UL", "afslut")
    await world.h.press("UL", asked.button("summary.close"))


def invitation(world: World, user: str) -> Button:
    [button] = [b for m in world.h.dms(user) for b in m.buttons if b.action == "evaluation.open"]
    return button


async def answer(world: World, user: str, comment: str = "", **scores: str) -> str:
    form = (await world.h.press(user, invitation(world, user))).form
    seen = await world.h.submit(user, form, {**ANSWERS, **scores, "comment": comment})
    return seen.text


async def test_close_invites_members_and_the_leader_told_of_anonymity(world: World) -> None:
    await start_round(world.h)
    await close(world)
    for user in ("U1", "U2"):
        dm = world.h.dms(user)[-1]
        assert "samarbejdsudvalget" in dm.text and "uden forbindelse til dig" in message_text(dm)
    assert "recognised" in message_text(world.h.dms("U3")[-1])  # Carl reads English
    form = (await world.h.press("U1", invitation(world, "U1"))).form
    assert any("uden navn" in getattr(b, "text", "") for b in form.intro)  # told before writing
    assert not [m for m in world.h.dms("U9") if "evaluering" in m.text.lower()]


async def test_results_only_in_aggregate_from_the_threshold(world: World) -> None:
    await start_round(world.h)
    await close(world)
    assert "Tak" in await answer(world, "U1", comment="Godt forløb")
    again = await world.h.press("U1", invitation(world, "U1"))
    assert "allerede svaret" in again.text  # never twice
    results = await world.h.command("UL", "evaluering")
    assert "Færre end 3" in results.text and "Godt forløb" not in results.text
    await answer(world, "U2", prep_useful="2")
    await answer(world, "U3", comment="More time please")
    results = await world.h.command("UL", "evaluering")
    assert "3 af 4 har svaret" in results.text
    assert "Var forberedelsen nyttig?: 3,3" in results.text
    assert "Godt forløb" in results.text and "More time please" in results.text
    assert "Anna" not in results.text and "Carl" not in results.text
    round_id = (await world.rounds())[0].id
    refused = await world.h.press("U1", EvaluationResults(round_id=round_id).button(""))
    assert "adgang" in refused.text


async def test_the_database_cannot_tie_an_answer_to_its_author(world: World) -> None:
    await start_round(world.h)
    await close(world)
    await answer(world, "U2", comment="Bo skrev dette", prep_useful="1")
    await answer(world, "U1", comment="Anna skrev dette", prep_useful="5")
    async with world.store.transaction() as tx:
        session = tx.conn  # type: ignore[attr-defined]
        slots = (await session.execute(text("SELECT * FROM evaluation_slots"))).mappings().all()
        invitations = (
            (await session.execute(text("SELECT * FROM evaluation_invitations"))).mappings().all()
        )
        audit = (await session.execute(text("SELECT action, detail FROM audit_log"))).all()
    # Slots: a random id, the round, the content; no person, no time. Invitations: no content.
    assert set(slots[0].keys()) == {"id", "round_id", "filled", "scores", "comment"}
    assert set(invitations[0].keys()) == {"round_id", "person_id", "answered"}
    # All slots were made at once when the round closed; which got filled is random, and
    # nothing about the answer's time or order is stored or audited.
    assert len(slots) == 4 and sum(1 for s in slots if s["filled"]) == 2
    assert not [a for a, _ in audit if a.startswith("evaluation")]
    assert all(len(s["id"]) == 32 for s in slots)


async def test_committee_named_by_an_admin_sees_figures_never_names(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    proposed = world.h.dms("U1")[-1].buttons[0]
    about = PlanOpen.unpack(proposed.value)  # the proposal's buttons are about Anna's plan
    await world.h.press("U1", PlanApprove(**asdict(about), number=1).button(""))
    await close(world)
    refused = await world.h.command("U9", "udvalg")
    assert "Kun medlemmer af samarbejdsudvalget" in refused.text
    form = (await world.h.command("UL", "udvalg")).form
    saved = await world.h.submit("UL", form, {"members": ("U9",)})
    assert "Niels Nabo" in saved.text
    seen = await world.h.command("U9", "udvalg")
    shown = seen.text
    assert "Tilbudt MUS: 3" in shown
    # 1 of 3 held and agreed: below the threshold and singling out: never shown.
    assert "Samtaler holdt: (vises ikke)" in shown and "Planer aftalt: (vises ikke)" in shown
    assert "Har forberedt sig: (vises ikke)" in shown  # 0 of 3
    assert "Færre end 3 har svaret" in shown
    for name in ("Anna", "Bo", "Carl", "Lene", "Styrke"):
        assert name not in shown
    assert "adgang" not in shown


async def test_coverage_names_to_leaders_and_admins_counts_to_the_committee(world: World) -> None:
    await start_round(world.h)
    seen = await world.h.command("UL", "dækning")
    assert "Alle medarbejdere" in seen.text
    await close(world)
    world.clock.advance(days=400)
    seen = await world.h.command("UL", "dækning")
    assert "Anna Andersen" in seen.text and "Bo Berg" in seen.text and "Carl Clausen" in seen.text
    assert "Lene" not in seen.text.split("\n", 2)[-1]  # leaders are not counted
    refused = await world.h.command("U1", "dækning")
    assert "Anna" not in refused.text.split("\n")[0] and "Bo Berg" not in refused.text


async def test_the_leaders_status_shows_who_in_their_teams_was_missed(world: World) -> None:
    await start_round(world.h)
    await close(world)
    world.clock.advance(days=400)
    await start_round(
        world.h,
        channel="C2",
        prep_deadline="2028-01-28",
        conversations_from="2028-01-31",
        conversations_to="2028-02-11",
        kickoff_at="",
        summary_at="",
    )
    status = await world.h.command("UL", "status")
    assert "ikke tilbudt en MUS de seneste 12 måneder" in status.text
    missed = status.text.split("de seneste 12 måneder:")[1].split("[")[0]
    assert "Anna Andersen (C1)" in missed and "Bo Berg (C1)" in missed
    assert "Niels Nabo" not in missed  # in this year's round


async def test_each_closed_round_shows_its_own_aggregate_small_ones_hidden(world: World) -> None:
    """`/mus evaluering` lists every closed round of the leader, each on its own: last year's
    three answers are shown; this year's one answer stays hidden beside them."""
    await start_round(world.h)
    await close(world)
    for user, comment in (("U1", "Godt forløb"), ("U2", ""), ("U3", "More time please")):
        await answer(world, user, comment=comment)
    world.clock.advance(days=330)
    await start_round(
        world.h,
        prep_deadline="2027-10-29",
        conversations_from="2027-11-01",
        conversations_to="2027-11-26",
        kickoff_at="",
        summary_at="",
    )
    await close(world)
    [newest] = [b for b in world.h.dms("U1")[-1].buttons if b.action == "evaluation.open"]
    form = (await world.h.press("U1", newest)).form
    await world.h.submit("U1", form, {**ANSWERS, "comment": "Kun mig i år"})
    results = await world.h.command("UL", "evaluering")
    shown = message_text(results.messages[-1])
    assert "dine 2 afsluttede MUS-runder" in shown
    this_year, last_year = shown.split("runden startet")[1:]
    assert "Færre end 3" in this_year and "Kun mig i år" not in shown
    assert "3 af 4 har svaret" in last_year and "Godt forløb" in last_year
    refused = await world.h.command("U1", "evaluering")
    assert "Godt forløb" not in refused.text
