"""Issue #15, overviews: each person's Home says what is true for them now, people are named,
and a double click on "Godkend" is recognised as one. Asserted on what each person reads."""

from __future__ import annotations

from adapters.inproc.harness import message_text
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import draft_and_propose, held


async def home_of(world: World, user: str) -> str:
    await world.h.command(user, "hjem")
    return message_text(world.h.port.homes[user])


async def test_homes_are_true_for_each_role_through_the_round(world: World) -> None:
    await start_round(world.h)
    anna = await home_of(world, "U1")
    assert "Ikke startet endnu" in anna and "[Start forberedelsen]" in anna
    assert "[Fortsæt forberedelsen]" not in anna
    lene = await home_of(world, "UL")
    assert "Fase: Forberedelse" in lene and "Planer til godkendelse: 0" in lene
    assert "det, du skriver, ses kun af dig" not in lene  # no line written for employees

    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    lene = await home_of(world, "UL")
    assert "Samtaler holdt: 1/3" in lene
    assert "Planer til godkendelse: 1" in lene
    notice = world.h.dms("U1")[-1]
    view = await world.h.press("U1", notice.buttons[0])
    approve = view.button("plan.approve")
    await world.h.press("U1", approve)
    again = await world.h.press("U1", approve)  # the double click
    assert "Du har allerede godkendt" in again.text
    assert "ændret siden" not in again.text

    anna = await home_of(world, "U1")
    assert "Samtalen er holdt" in anna and "Udviklingsplanen er aftalt" in anna
    assert "Du kan stadig rette dine svar" not in anna


async def test_the_plan_names_the_other_party(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    told = "\n".join(message_text(m) for _, m in world.h.replies if hasattr(m, "buttons"))
    assert "når Anna Andersen har svaret" in told
    assert "den anden part" not in told


async def test_the_leaders_overview_follows_a_share_without_being_asked(world: World) -> None:
    await start_round(world.h)
    await world.h.command("UL", "hjem")
    assert "Delt forberedelse: 0/3" in message_text(world.h.port.homes["UL"])
    opened = await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    assert opened
    for n in range(1, 20):
        seen = await world.h.say("U1", f"Svar {n}")
        if any(b.action == "prep.share" for m in seen.messages for b in m.buttons):
            await world.h.press("U1", seen.button("prep.share"))
            break
    assert "Delt forberedelse: 1/3" in message_text(world.h.port.homes["UL"])
    assert "Delt med din leder" in message_text(world.h.port.homes["U1"])


async def test_the_employees_overview_follows_their_start_without_being_asked(
    world: World,
) -> None:
    await start_round(world.h)
    await world.h.command("U1", "hjem")
    assert "Ikke startet endnu" in message_text(world.h.port.homes["U1"])
    invitation = world.h.dms("U1")[-1]
    await world.h.press("U1", next(b for b in invitation.buttons if b.action == "prep.open"))
    anna = message_text(world.h.port.homes["U1"])  # pushed, not asked for
    assert "Ikke startet endnu" not in anna and "I gang: 0 af" in anna
    assert "[Fortsæt forberedelsen]" in anna


async def test_a_preparation_never_begun_is_not_offered_after_the_conversation(
    world: World,
) -> None:
    """Anna never opened her preparation; the conversation was held all the same."""
    await start_round(world.h)
    await held(world)
    anna = await home_of(world, "U1")
    assert "Samtalen er holdt" in anna
    assert "[Start forberedelsen]" not in anna and "[Fortsæt forberedelsen]" not in anna
