"""The prep flow: typing, forms, skip/back, resume, review, share, and bad input."""

from __future__ import annotations

from adapters.inproc.harness import Seen
from tests.conversations.flows.conftest import World, start_round


async def open_prep(world: World, user: str = "U1") -> Seen:
    await start_round(world.h)
    [dm] = world.h.dms(user)
    return await world.h.press(user, dm.buttons[0])


async def answers_of(world: World, user: str = "U1") -> dict[str, str | None]:
    async with world.store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="test", external_id="T1")
        person = await tx.people.get_by_user_id(workspace_id=ws.id, user_id=user)
        assert person is not None
        [team] = await tx.teams.with_member(person_id=person.id)
        [r] = await tx.rounds.for_team(team_id=team.id)
        found = await tx.prep.answers(round_id=r.id, person_id=person.id)
    return {k: a.text for k, a in found.items()}


async def test_opening_shows_welcome_and_first_question_with_help(world: World) -> None:
    seen = await open_prep(world)
    assert "Du får 9 spørgsmål, ét ad gangen" in seen.text
    assert "Siden sidste MUS · 1/9" in seen.text
    assert [b.action for b in seen.messages[-1].buttons] == [
        "prep.answer",
        "prep.skip",
        "prep.review",
    ]


async def test_typed_answers_are_stored_and_move_on(world: World) -> None:
    await open_prep(world)
    seen = await world.h.say("U1", "Jeg har nået mine mål.")
    assert "Gemt ✓" in seen.text and "2/9" in seen.text
    assert await answers_of(world) == {"opfoelgning-udviklingsplan": "Jeg har nået mine mål."}


async def test_answer_by_form_prefills_and_validates(world: World) -> None:
    seen = await open_prep(world)
    form = (await world.h.press("U1", seen.button("prep.answer"))).form
    assert form.inputs[0].max_length == 3000  # type: ignore[union-attr]
    empty = await world.h.submit("U1", form, {"answer": "   "})
    assert "tomt" in empty.errors["answer"]
    long = await world.h.submit("U1", form, {"answer": "å" * 3001})
    assert "3.001 tegn" in long.errors["answer"]
    assert await answers_of(world) == {}
    ok = await world.h.submit("U1", form, {"answer": "Via formularen"})
    assert "2/9" in ok.text
    back = await world.h.press("U1", ok.button("prep.back"))
    again = (await world.h.press("U1", back.button("prep.answer"))).form
    assert again.inputs[0].initial == "Via formularen"  # type: ignore[union-attr]


async def test_overlong_or_empty_typed_text_is_explained_and_nothing_is_saved(world: World) -> None:
    await open_prep(world)
    seen = await world.h.say("U1", "x" * 3200)
    assert "3.200 tegn" in seen.text and "kopiér" in seen.text
    seen = await world.h.say("U1", "   ")
    assert "tom" in seen.text
    assert await answers_of(world) == {}


async def test_double_clicks_and_retries_change_nothing_twice(world: World) -> None:
    seen = await open_prep(world)
    skip = seen.button("prep.skip")
    first = await world.h.press("U1", skip)
    second = await world.h.press("U1", skip)  # a second click on the same button
    assert "2/9" in first.text and "2/9" in second.text
    typed = await world.h.say("U1", "Svar på 2")
    retry = await world.h.replay()  # the platform redelivers the same event
    assert retry.reply.items == ()
    assert "3/9" in typed.text
    assert (await answers_of(world))["trivsel-arbejde"] == "Svar på 2"
    async with world.store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="test", external_id="T1")
        person = await tx.people.get_by_user_id(workspace_id=ws.id, user_id="U1")
        assert person is not None
        [team] = await tx.teams.with_member(person_id=person.id)
        [r] = await tx.rounds.for_team(team_id=team.id)
        answer = (await tx.prep.answers(round_id=r.id, person_id=person.id))["trivsel-arbejde"]
    assert answer.revision == 1


async def test_a_stale_or_forged_button_gets_a_friendly_message(world: World) -> None:
    seen = await open_prep(world)
    skip = seen.button("prep.skip")
    from conversations.messages import Button

    forged = Button(
        "x", "prep.skip", skip.value.replace("opfoelgning-udviklingsplan", "samarbejde")
    )
    assert "forældet" in (await world.h.press("U1", forged)).text
    garbage = Button("x", "prep.skip", "abc")
    assert "forældet" in (await world.h.press("U1", garbage)).text
    unknown = Button("x", "nothing.here", "1")
    assert "forældet" in (await world.h.press("U1", unknown)).text


async def test_resume_goes_to_the_next_unanswered_question(world: World) -> None:
    await open_prep(world)
    await world.h.say("U1", "a1")
    await world.h.say("U1", "a2")
    seen = await world.h.command("U1", "forbered")
    assert "Velkommen tilbage" in seen.text and "3/9" in seen.text


async def test_review_edit_and_share(world: World) -> None:
    seen = await open_prep(world)
    for n in range(9):
        seen = await world.h.say("U1", f"svar {n + 1}")
    assert "oversigt" in seen.text
    pick = (await world.h.press("U1", seen.button("prep.pick"))).form
    shown = await world.h.submit("U1", pick, {"step": "trivsel-arbejde"})
    form = (await world.h.press("U1", shown.button("prep.answer"))).form
    back_on_review = await world.h.submit("U1", form, {"answer": "rettet svar 2"})
    assert "oversigt" in back_on_review.text and "rettet svar 2" in back_on_review.text
    shared = await world.h.press("U1", back_on_review.button("prep.share"))
    assert "delt med Lene Leder" in shared.text
    [notice] = world.h.dms("UL")
    assert "Anna Andersen har delt" in notice.text
    again = await world.h.press("U1", back_on_review.button("prep.share"))
    assert "allerede delt" in again.text
    assert len(world.h.dms("UL")) == 1  # one notice, not two
    assert "home" not in world.h.port.homes


async def test_typing_on_the_review_explains_what_to_do(world: World) -> None:
    seen = await open_prep(world)
    await world.h.press("U1", seen.button("prep.review"))
    hint = await world.h.say("U1", "hej")
    assert "hvilket spørgsmål" in hint.text and "mus forbered" in hint.text


async def test_text_without_a_round_answers_with_a_pointer(world: World) -> None:
    seen = await world.h.say("U1", "hej bot")
    assert "mus hjælp" in seen.text


async def test_home_view_shows_own_progress_and_leader_overview(world: World) -> None:
    await open_prep(world)
    await world.h.say("U1", "a1")
    await world.h.command("U1", "hjem")
    from adapters.inproc.harness import message_text

    home = message_text(world.h.port.homes["U1"])
    assert "I gang: 1 af 9" in home
    await world.h.command("UL", "hjem")
    leader_home = message_text(world.h.port.homes["UL"])
    assert "Delt forberedelse: 0/3" in leader_home
    assert "ingen aktiv MUS-forberedelse" not in leader_home  # a leader is not told "no prep"
    await world.h.command("U9", "hjem")
    assert "ingen aktiv MUS-forberedelse" in message_text(world.h.port.homes["U9"])


async def test_an_answered_question_says_that_typing_replaces_the_answer(world: World) -> None:
    await open_prep(world)
    seen = await world.h.say("U1", "Første svar")
    assert "erstatte" not in seen.text  # question 2 has no answer yet
    back = await world.h.press("U1", seen.button("prep.back"))
    assert "Dit svar: Første svar" in back.text and "erstatte svaret" in back.text


async def test_after_correcting_an_earlier_answer_typing_goes_on_where_you_left_off(
    world: World,
) -> None:
    await open_prep(world)
    for n in range(4):
        await world.h.say("U1", f"svar {n + 1}")
    seen = await world.h.command("U1", "forbered")  # on question 5
    review = await world.h.press("U1", seen.button("prep.review"))
    pick = (await world.h.press("U1", review.button("prep.pick"))).form
    await world.h.submit("U1", pick, {"step": "trivsel-arbejde"})
    typed = await world.h.say("U1", "rettet svar 2")
    assert "5/9" in typed.text  # not question 3, which was answered already


async def test_the_overview_midway_offers_to_continue_at_the_first_open_question(
    world: World,
) -> None:
    seen = await open_prep(world)
    await world.h.say("U1", "svar 1")
    review = await world.h.press("U1", seen.button("prep.review"))
    back = await world.h.press("U1", review.button("prep.goto"))
    assert "2/9" in back.text


async def test_an_old_share_button_after_the_conversation_was_held_tells_the_truth(
    world: World,
) -> None:
    from tests.conversations.reminders.test_plan_and_booking import held

    await start_round(world.h)
    opened = await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    share = None
    for n in range(1, 20):
        seen = await world.h.say("U1", f"Svar {n}")
        if any(b.action == "prep.share" for m in seen.messages for b in m.buttons):
            share = seen.button("prep.share")
            break
    assert share is not None and opened
    await world.h.press("U1", share)
    await held(world)
    late = await world.h.press("U1", share)
    assert "Samtalen er holdt, og forberedelsen er låst" in late.text
    assert "ser dine rettelser" not in late.text
    review = await world.h.command("U1", "forbered")
    assert "Dine rettelser ses med det samme" not in review.text
    assert "kan ikke længere ændres" in review.text
