"""What a flow offers and lets happen is decided by the policy, not by a check of its own.

Each test has the wrong person try: they get nothing (no post, no button, no list of names)
and, where they acted, a refusal in the audit log.
"""

from __future__ import annotations

from adapters.inproc.harness import Seen, message_text
from conversations.actions import RoundKickoffResend
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.conversations.flows.conftest import World, make_world, start_round
from tests.conversations.flows.test_action_plan import summary_held
from tests.conversations.reminders.test_follow_up_lasts import at


def _actions(seen: Seen) -> list[str]:
    return [b.action for m in seen.messages for b in m.buttons]


async def _audit(world: World) -> list[tuple[str, str, int | None]]:
    async with world.store.transaction() as tx:
        return [(e.action, e.subject, e.actor_id) for e in await tx.audit.entries()]


async def test_only_the_rounds_leader_posts_the_kickoff_again(world: World) -> None:
    await start_round(world.h)
    [round_] = await world.rounds()
    resend = RoundKickoffResend(round_id=round_.id).button("Send igen")
    posted = len(world.h.channel("C1"))

    for who in ("U1", "UX"):  # an employee of the round, the leader of another team
        refused = await world.h.press(who, resend)
        assert "adgang" in refused.text
        assert len(world.h.channel("C1")) == posted  # nothing reached the channel
    anna, other_leader = await world.person("U1"), await world.person("UX")
    denied = [(a, actor) for a, s, actor in await _audit(world) if s == f"round:{round_.id}"]
    assert ("round.kickoff.resend_denied", anna.id) in denied
    assert ("round.kickoff.resend_denied", other_leader.id) in denied

    await world.h.press("UL", resend)
    assert len(world.h.channel("C1")) == posted + 1
    assert "Vi skaber trygge rammer" in message_text(world.h.channel("C1")[-1])


async def test_the_add_button_of_the_action_plan_is_offered_to_the_leader_only(
    world: World,
) -> None:
    await summary_held(world)
    world.clock.set(at("2027-01-13"))
    leader = await world.h.command("UL", "handleplan")
    assert "action.add" in _actions(leader)
    for who in ("U1", "U3"):  # members of the round read the plan, and are offered no "add"
        seen = await world.h.command(who, "handleplan")
        assert seen.messages and "action.add" not in _actions(seen)


async def test_a_leader_who_is_no_admin_sees_coverage_of_their_own_teams_only(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    world = make_world(library, store=sqlite_store, leaders=frozenset({"UN"}))
    world.h.add_user("UN", name="Nina Named-Leder")
    world.h.add_user("U4", name="Dorte Dahl")
    world.h.add_channel("C3", members=["UN", "U4"])
    await start_round(world.h)  # Lene (an admin) runs team C1
    await start_round(world.h, leader="UN", channel="C3")
    world.clock.advance(days=400)

    nina = await world.h.command("UN", "dækning")
    assert "Dorte Dahl" in nina.text
    for name in ("Anna Andersen", "Bo Berg", "Carl Clausen"):  # team C1 is not Nina's
        assert name not in nina.text
    lene = await world.h.command("UL", "dækning")  # an admin: every team of the workspace
    assert "Anna Andersen" in lene.text and "Dorte Dahl" in lene.text


async def test_only_an_admin_is_offered_to_close_a_round_they_do_not_lead(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    world = make_world(library, store=sqlite_store, leaders=frozenset({"UN"}))
    world.h.add_user("UN", name="Nina Named-Leder")
    await start_round(world.h)  # Lene's round in C1
    nina = await world.h.command("UN", "afslut")  # may lead rounds, but leads none
    assert "summary.close" not in _actions(nina)
    xenia = await world.h.command("UX", "afslut")  # an admin of the workspace
    assert "summary.close" in _actions(xenia)
