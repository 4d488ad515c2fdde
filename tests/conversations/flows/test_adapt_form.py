"""The team's adaptation of the form (issue #18) and the adaptation bullets of issue #15, on the
in-process platform: one order for overview and employees, ids never reused, answered
questions kept, optional blocks, texts, sub-groups, release now or on a date, save as template.
"""

from __future__ import annotations

from datetime import datetime

from adapters.inproc.harness import message_text
from bot.outbox import Sweeper
from conversations.messages import ToPerson
from tests.conversations.flows.conftest import World, start_round


async def _tilpas(world: World, **changes: object):  # type: ignore[no-untyped-def]
    await start_round(world.h, **changes)
    return await world.h.command("UL", "tilpas")


async def _round(world: World, seen):  # type: ignore[no-untyped-def]
    round_id = int(seen.button("adapt.add").value.split(":")[0])
    async with world.store.transaction() as tx:
        found = await tx.rounds.get(round_id=round_id)
    assert found is not None
    return found


async def _add(world: World, seen, theme: str, text: str, priority: bool = False):  # type: ignore[no-untyped-def]
    form = (await world.h.press("UL", seen.button("adapt.add"))).form
    return await world.h.submit(
        "UL", form, {"theme": theme, "text": text, "priority": "yes" if priority else "no"}
    )


async def test_the_overview_lists_questions_in_the_order_employees_get_them(world: World) -> None:
    seen = await _tilpas(world)
    seen = await _add(world, seen, "trivsel", "Ny almindelig")
    seen = await _add(world, seen, "trivsel", "Ny prioriteret", priority=True)
    lines = seen.text.splitlines()
    prioritised = lines.index("★ Ny prioriteret")
    assert lines.index("Ny almindelig") > prioritised
    assert "Medarbejderne får 11 spørgsmål" in seen.text
    # the employee meets it in the same place
    opened = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    steps = [b for b in opened.messages if "Ny prioriteret" in message_text(b)]
    assert not steps  # question 1 is in another theme
    pick = (await world.h.press("U1", opened.button("prep.review"))).button("prep.pick")
    options = [o.label for o in (await world.h.press("U1", pick)).form.inputs[0].options]  # type: ignore[attr-defined]
    trivsel = [o for o in options if "Ny " in o or "trivsel" in o.lower()]
    assert trivsel[0].endswith("Ny prioriteret")


async def test_an_id_is_never_reused_so_no_answer_moves(world: World) -> None:
    seen = await _tilpas(world)
    seen = await _add(world, seen, "trivsel", "Lokalt spørgsmål A")
    drop = (await world.h.press("UL", seen.button("adapt.drop"))).form
    seen = await world.h.submit("UL", drop, {"question": "lokal-1"})
    assert "Lokalt spørgsmål A" not in seen.text
    seen = await _add(world, seen, "trivsel", "Lokalt spørgsmål B")
    round_ = await _round(world, seen)
    ids = [q["id"] for t in round_.template["themes"] for q in t["questions"]]
    assert "lokal-2" in ids and "lokal-1" not in ids


async def test_an_answered_question_is_not_removed(world: World) -> None:
    seen = await _tilpas(world)
    await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    await world.h.say("U1", "Mit svar om sidste plan")
    drop = (await world.h.press("UL", seen.button("adapt.drop"))).form
    refused = await world.h.submit("UL", drop, {"question": "opfoelgning-udviklingsplan"})
    assert "allerede besvaret" in refused.errors["question"]


async def test_optional_blocks_can_be_kept_in_part_or_restored(world: World) -> None:
    seen = await _tilpas(world, template="toender")
    parts = (await world.h.press("UL", seen.button("adapt.parts"))).form
    ids = [i.id for i in parts.inputs]
    assert len(ids) == 11  # Skema 2 (6) and Skema 3 (5)
    keep = {i: "drop" for i in ids if i.startswith("keep-")}
    keep["keep-samskabelse"] = "keep"
    seen = await world.h.submit("UL", parts, keep)
    assert "Skema 2" not in seen.text and "Skema 3" in seen.text
    assert "Medarbejderne får 14 spørgsmål" in seen.text  # 44 - 6 * 3 - 4 * 3
    parts = (await world.h.press("UL", seen.button("adapt.parts"))).form
    seen = await world.h.submit("UL", parts, {i.id: "keep" for i in parts.inputs})
    assert "Medarbejderne får 44 spørgsmål" in seen.text
    lines = seen.text.splitlines()
    assert lines.index("Skema 2 – Tønderkulturen: Opfølgning på leveregler (valgfri blok)") < (
        lines.index(
            "Skema 3 – Tønderkulturen: Opfølgning på organisatorisk læring og samskabelse (valgfri blok)"
        )
    )


async def test_core_task_and_goals_can_be_edited(world: World) -> None:
    seen = await _tilpas(world)
    form = (await world.h.press("UL", seen.button("adapt.texts"))).form
    assert await world.h.submit("UL", form, {"kerneopgave": "", "udviklingsmaal": "x"}) is not None
    seen = await world.h.submit(
        "UL", form, {"kerneopgave": "Ny kerneopgave", "udviklingsmaal": "Nye mål"}
    )
    assert "opdateret" in seen.text
    round_ = await _round(world, seen)
    assert round_.kerneopgave == "Ny kerneopgave" and round_.udviklingsmaal == "Nye mål"


async def test_release_on_a_date_sends_the_invitations_that_morning(world: World) -> None:
    seen = await _tilpas(world, release="later")
    assert all("åbner snart" in message_text(m) for m in world.h.dms("U1"))
    assert "åbner snart" in (await world.h.command("U1", "forbered")).text
    form = (await world.h.press("UL", seen.button("adapt.release_on"))).form
    errors = (await world.h.submit("UL", form, {"day": "2026-11-20"})).errors
    assert "day" in errors
    seen = await world.h.submit("UL", form, {"day": "2026-11-25"})
    assert "25." in seen.text
    assert "åbner 25." in (await world.h.command("U1", "forbered")).text
    sweeper = Sweeper(
        store=world.store, ports={"test": world.h.port}, clock=world.clock, worker="w"
    )
    await sweeper.sweep_once()
    assert len(world.h.dms("U1")) == 1  # not yet
    world.clock.set(datetime.fromisoformat("2026-11-25T09:00:00+01:00"))
    await sweeper.sweep_once()
    invitation = message_text(world.h.dms("U1")[-1])
    assert "Du får 9 spørgsmål" in invitation
    opened = await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    assert "1/9" in opened.text


async def test_an_invitation_the_outbox_sent_follows_a_later_adaptation(world: World) -> None:
    """The outbox records where a released invitation went (its key), so adding a question
    afterwards updates that very message instead of leaving "Du får 9 spørgsmål" behind."""
    seen = await _tilpas(world, release="later")
    form = (await world.h.press("UL", seen.button("adapt.release_on"))).form
    await world.h.submit("UL", form, {"day": "2026-11-25"})
    world.clock.set(datetime.fromisoformat("2026-11-25T09:00:00+01:00"))
    sweeper = Sweeper(
        store=world.store, ports={"test": world.h.port}, clock=world.clock, worker="w"
    )
    await sweeper.sweep_once()
    (sent_ref, invitation) = [
        (r, m) for r, m in world.h.port.sent if m.key and m.to == ToPerson("U1")
    ][-1]
    assert "Du får 9 spørgsmål" in message_text(invitation)
    before = len(world.h.port.sent)
    await _add(world, await world.h.command("UL", "tilpas"), "trivsel", "Hvad giver energi?")
    updates = [(r, m) for r, m in world.h.port.sent[before:] if m.key == invitation.key]
    assert [r for r, _ in updates] == [sent_ref], "the same message, updated once"
    assert "Du får 10 spørgsmål" in message_text(updates[0][1])


async def test_the_leader_releases_when_ready_and_nobody_is_invited_twice(world: World) -> None:
    seen = await _tilpas(world, release="later")
    seen = await _add(world, seen, "trivsel", "Et ekstra spørgsmål")
    released = await world.h.press("UL", seen.button("adapt.release"))
    assert "sendt ud til 3" in released.text
    assert "Du får 10 spørgsmål" in message_text(world.h.dms("U1")[-1])  # issue #15: 10, not 9
    again = await world.h.press("UL", seen.button("adapt.release"))
    assert "allerede sendt ud" in again.text
    assert len(world.h.dms("U1")) == 2


async def test_sub_groups_cannot_change_once_someone_has_started(world: World) -> None:
    seen = await _tilpas(world)
    await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    refused = await world.h.press("UL", seen.button("adapt.groups"))
    assert "ikke ændres" in refused.text


async def test_save_as_template_is_offered_in_the_next_start_form(world: World) -> None:
    await world.h.command("UX", "hjælp")  # an admin the bot has met
    seen = await _tilpas(world)
    seen = await _add(world, seen, "trivsel", "Vores eget spørgsmål")
    form = (await world.h.press("UL", seen.button("adapt.save"))).form
    bad = await world.h.submit("UL", form, {"name": "Vores Skema", "title": "x", "offer": "no"})
    assert "name" in bad.errors
    taken = await world.h.submit("UL", form, {"name": "kk-buf", "title": "x", "offer": "no"})
    assert "name" in taken.errors
    done = await world.h.submit(
        "UL", form, {"name": "vores-mus", "title": "Vores MUS", "offer": "yes"}
    )
    assert "administrator" in done.text
    start = await world.h.command("UL", "start", channel="C1")
    options = {o.value for i in start.form.inputs if i.id == "template" for o in i.options}  # type: ignore[attr-defined]
    assert "vores-mus" in options
    other = await world.h.command("UX", "start", channel="C2")
    options = {o.value for i in other.form.inputs if i.id == "template" for o in i.options}  # type: ignore[attr-defined]
    assert "vores-mus" not in options  # not until an admin approves it
    # every admin is asked; only an admin's press offers it to the organisation
    request = world.h.dms("UX")[-1]
    assert "Lene Leder har gemt skabelonen »Vores MUS«" in message_text(request)
    approve = request.buttons[0]
    assert "adgang" in (await world.h.press("U1", approve)).text
    done = await world.h.press("UX", approve)
    assert "tilbydes nu til alle ledere" in done.text
    assert "er godkendt" in message_text(world.h.dms("UL")[-1])
    assert "venter ikke" in (await world.h.press("UX", approve)).text
    other = await world.h.command("UX", "start", channel="C2")
    options = {o.value for i in other.form.inputs if i.id == "template" for o in i.options}  # type: ignore[attr-defined]
    assert "vores-mus" in options


async def test_the_preview_shows_every_question_card_without_live_buttons(world: World) -> None:
    seen = await _tilpas(world)
    preview = await world.h.press("UL", seen.button("adapt.preview"))
    assert "Du får 9 spørgsmål" in preview.text
    assert "1/9" in preview.text and "9/9" in preview.text
    assert {b.action for m in preview.messages for b in m.buttons} == {"adapt.open"}


async def test_the_round_leader_only(world: World) -> None:
    seen = await _tilpas(world, release="later")
    for action in ("adapt.preview", "adapt.groups", "adapt.texts", "adapt.release", "adapt.save"):
        for intruder in ("U1", "UX"):
            assert "adgang" in (await world.h.press(intruder, seen.button(action))).text
    # nor with the leader's form, submitted as someone else
    form = (await world.h.press("UL", seen.button("adapt.add"))).form
    for intruder in ("U1", "UX"):
        refused = await world.h.submit(intruder, form, {"theme": "trivsel", "text": "Indtrænger"})
        assert "adgang" in refused.text
    assert "Indtrænger" not in (await world.h.press("UL", seen.button("adapt.preview"))).text
    assert all("åbner snart" in message_text(m) for m in world.h.dms("U1"))


async def test_the_leader_reads_a_sub_group_members_answers_under_their_own_form(
    world: World,
) -> None:
    seen = await _tilpas(world, release="later")
    groups = (await world.h.press("UL", seen.button("adapt.groups"))).form
    anna = next(i.id for i in groups.inputs if i.label == "Anna Andersen")
    seen = await world.h.submit("UL", groups, {"name": "Pædagoger", anna: "new"})
    assert "Tilpas spørgsmålene for runden: Pædagoger" in seen.text
    seen = await _add(world, seen, "trivsel", "Kun for pædagoger?", priority=True)
    await world.h.press("UL", seen.button("adapt.release"))
    assert "Du får 10 spørgsmål" in message_text(world.h.dms("U1")[-1])
    assert "Du får 9 spørgsmål" in message_text(world.h.dms("U2")[-1])
    await world.h.press("U1", world.h.dms("U1")[-1].buttons[0])
    await world.h.say("U1", "Svar på sidste plan")
    card = await world.h.say("U1", "Svar kun for pædagoger")
    review = await world.h.press("U1", card.button("prep.review"))
    shared = await world.h.press("U1", review.button("prep.share"))
    assert shared.text
    notice = world.h.dms("UL")[-1]
    leader = await world.h.press("UL", notice.buttons[0])
    assert "Kun for pædagoger?" in leader.text and "Svar kun for pædagoger" in leader.text
    # nobody else reads it, not even another leader with the same button
    assert "Svar kun" not in (await world.h.press("UX", notice.buttons[0])).text
    assert "Svar kun" not in (await world.h.press("U2", notice.buttons[0])).text


async def test_no_prep_nudge_while_preparation_is_held(world: World) -> None:
    await _tilpas(world, release="later")
    sweeper = Sweeper(
        store=world.store, ports={"test": world.h.port}, clock=world.clock, worker="w"
    )
    for day in ("2026-12-01", "2026-12-03", "2026-12-04"):
        world.clock.set(datetime.fromisoformat(f"{day}T09:00:00+01:00"))
        await sweeper.sweep_once()
    assert len(world.h.dms("U1")) == 1  # only "preparation opens soon"
