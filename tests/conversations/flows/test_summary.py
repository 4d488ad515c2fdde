"""Step 3: the leader's overview across the team, and the call to the summary meeting."""

from __future__ import annotations

from adapters.inproc.harness import message_text
from conversations.messages import Button
from tests.conversations.flows.conftest import World, make_world, start_round
from tests.conversations.reminders.test_plan_and_booking import draft_and_propose, held


async def test_overview_and_call_without_names(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    overview = await world.h.command("UL", "opsamling")
    assert "Styrke sprogarbejdet" in overview.text and "Anna" not in overview.text
    assert "Samtaler holdt: 1/3" in overview.text and "Planer aftalt: 1/3" in overview.text
    called = await world.h.press("UL", overview.button("summary.announce"))
    assert "sendt til kanalen" in called.text
    post = message_text(world.h.channel("C1")[-1])
    assert "Fælles opsamlingsmøde" in post and "12.1.2027 kl. 13.00" in post
    assert "Samtaler holdt: 1/3" in post  # counts only; three people are enough
    assert "Styrke sprogarbejdet" not in post and "Anna" not in post
    again = await world.h.press("UL", overview.button("summary.announce"))
    assert "allerede indkaldt" in again.text and len(world.h.channel("C1")) == 2
    follow = await world.h.press("UL", called.button("summary.follow_up"))
    assert "opfølgning" in follow.text


async def test_small_teams_get_no_counts_in_the_channel(library, sqlite_store) -> None:  # type: ignore[no-untyped-def]
    world = make_world(library, store=sqlite_store)
    await start_round(world.h, members=("U1", "U2"))
    overview = await world.h.command("UL", "opsamling")
    await world.h.press("UL", overview.button("summary.announce"))
    post = message_text(world.h.channel("C1")[-1])
    assert "Samtaler holdt" not in post and "Fælles opsamlingsmøde" in post


async def test_only_the_leader(world: World) -> None:
    await start_round(world.h)
    overview = await world.h.command("UL", "opsamling")
    for intruder in ("U1", "UX"):
        seen = await world.h.press(intruder, overview.button("summary.announce"))
        assert "adgang" in seen.text
    assert "leder for en aktiv MUS-runde" in (await world.h.command("U1", "opsamling")).text


async def test_next_round_starts_from_last_years_plan(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    overview = await world.h.command("UL", "opsamling")
    called = await world.h.press("UL", overview.button("summary.announce"))
    await world.h.press("UL", called.button("summary.follow_up"))
    for r in await world.rounds():
        async with world.store.transaction() as tx:
            from tests.support.rounds import close_round

            await close_round(tx, round_id=r.id)
    world.clock.advance(days=330)
    await start_round(
        world.h,
        prep_deadline="2027-10-29",
        conversations_from="2027-11-01",
        conversations_to="2027-11-26",
        kickoff_at="",
        summary_at="",
    )
    opened = await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    assert "Din udviklingsplan fra sidste MUS" in opened.text
    assert "Styrke sprogarbejdet" in opened.text
