"""Help, who may lead, the start form's validation, and the kickoff fan-out."""

from __future__ import annotations

from tests.conversations.flows.conftest import VALID_ROUND, World, make_world, start_round


async def test_help_lists_commands_and_unknown_words_get_help_not_an_error(world: World) -> None:
    seen = await world.h.command("U1", "")
    assert "mus forbered" in seen.text
    assert "mus start" not in seen.text  # not a leader
    seen = await world.h.command("U1", "flyv")
    assert "»flyv« kender jeg ikke" in seen.text
    assert "mus forbered" in seen.text


async def test_english_speakers_get_english(world: World) -> None:
    seen = await world.h.command("U3", "help")
    assert "carry on with your preparation" in seen.text


async def test_only_leaders_may_start(world: World) -> None:
    refused = await world.h.command("U1", "start", channel="C1")
    assert not refused.forms
    assert "Kun ledere kan starte" in refused.text
    allowed = await world.h.command("UL", "start", channel="C1")
    assert allowed.form.id == "round.start"


async def test_configured_and_admin_named_leaders_may_start(library, open_sqlite_store) -> None:  # type: ignore[no-untyped-def]
    configured = make_world(library, store=open_sqlite_store(), leaders=frozenset({"U2"}))
    assert (await configured.h.command("U2", "start")).forms
    world = make_world(library, store=open_sqlite_store())
    assert not (await world.h.command("U1", "ledere")).forms  # not an admin
    form = (await world.h.command("UL", "ledere")).form
    saved = await world.h.submit("UL", form, {"leaders": ("U1",)})
    assert "Anna Andersen" in saved.text
    assert (await world.h.command("U1", "start")).forms


async def test_bad_dates_and_missing_text_are_all_reported_and_nothing_starts(world: World) -> None:
    form = (await world.h.command("UL", "start", channel="C1")).form
    bad = {
        **VALID_ROUND,
        "prep_deadline": "32.13",
        "conversations_from": "31.11.2026",
        "kerneopgave": "  ",
        "udviklingsmaal": "x" * 3001,
        "kickoff_at": "i morgen",
    }
    seen = await world.h.submit("UL", form, bad)
    assert set(seen.errors) == {
        "prep_deadline",
        "conversations_from",
        "kerneopgave",
        "udviklingsmaal",
        "kickoff_at",
    }
    assert "måned" in seen.errors["prep_deadline"]
    assert "findes ikke i kalenderen" in seen.errors["conversations_from"]
    assert "3.001 tegn" in seen.errors["udviklingsmaal"]
    assert world.h.port.sent == []
    swapped = await world.h.submit(
        "UL",
        form,
        {**VALID_ROUND, "conversations_from": "2026-12-20", "conversations_to": "2026-12-10"},
    )
    assert "conversations_to" in swapped.errors


async def test_kickoff_posts_to_channel_and_dms_each_member_naming_the_leader(world: World) -> None:
    await start_round(world.h)
    [post] = world.h.channel("C1")
    from adapters.inproc.harness import message_text

    body = message_text(post)
    assert "Vi skaber trygge rammer" in body and "Mere samarbejde" in body
    assert "fire trin" in body and "fortrolig" in body
    for user in ("U1", "U2", "U3"):
        [dm] = world.h.dms(user)
        assert "Lene Leder" in dm.text
        assert dm.buttons[0].action == "prep.open"
    assert "have started" not in world.h.dms("U3")[0].text
    assert "Lene Leder has started" in world.h.dms("U3")[0].text  # English member, English DM
    assert world.h.dms("UL") == [] and world.h.dms("UB") == []  # not the leader, not bots


async def test_one_active_round_per_team(world: World) -> None:
    await start_round(world.h)
    form = (await world.h.command("UL", "start", channel="C1")).form
    again = await world.h.submit("UL", form, VALID_ROUND)
    assert "allerede en aktiv MUS-runde" in again.errors["channel"]
    assert len(world.h.channel("C1")) == 1


async def test_a_failed_channel_post_tells_the_leader_clearly(world: World) -> None:
    world.h.port.fail_next("not_in_channel", target="C1")
    form = (await world.h.command("UL", "start", channel="C1")).form
    seen = await world.h.submit("UL", form, {**VALID_ROUND, "members": ("U1", "U2")})
    assert "Opstartsbeskeden kom ikke frem til #c1" in seen.text
    assert "ikke medlem af kanalen" in seen.text
    assert "Kanalen har fået opstartsbeskeden" not in seen.text
    assert "[Send opstartsbeskeden igen]" in seen.text
    assert len(world.h.dms("U1")) == 1  # the members still got their prep


async def test_the_form_refuses_a_channel_the_bot_is_not_in(world: World) -> None:
    world.h.port.outside.add("C1")
    form = (await world.h.command("UL", "start", channel="C1")).form
    seen = await world.h.submit("UL", form, {**VALID_ROUND, "members": ("U1", "U2")})
    assert "ikke medlem af #c1" in seen.errors["channel"]
    assert not world.h.dms("U1")


async def test_chosen_members_replace_the_channel_default(world: World) -> None:
    await start_round(world.h, members=("U1",))
    assert world.h.dms("U1") and not world.h.dms("U2")


async def test_unreadable_channel_asks_for_members_instead(world: World) -> None:
    form = (await world.h.command("UL", "start", channel="C1")).form
    seen = await world.h.submit("UL", form, {**VALID_ROUND, "channel": "C404"})
    assert "kan ikke se kanalens medlemmer" in seen.errors["channel"]


async def test_configured_admins_may_name_leaders(library, sqlite_store) -> None:  # type: ignore[no-untyped-def]
    from adapters.inproc import Harness, ManualClock
    from conversations.context import CoreSettings
    from conversations.engine import Engine

    engine = Engine(
        store=sqlite_store,
        templates=library,
        clock=ManualClock(),
        settings=CoreSettings(configured_admins=frozenset({"U1"})),
    )
    h = Harness(handler=engine)
    h.add_user("U1", name="Anna")  # no admin flag from the platform (as in Teams)
    h.add_user("U2", name="Bo")
    form = (await h.command("U1", "ledere")).form
    await h.submit("U1", form, {"leaders": ("U2",)})
    assert (await h.command("U2", "start")).forms
