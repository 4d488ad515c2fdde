"""Issue #12's loose ends, through the stand-in Teams connector: the leader edits an agreement
of the team's action plan (the channel is told, the owners' reminder follows the new date), an
owner puts their reminder off to tomorrow, and a round nobody closed is flagged 13 months on
to an admin named only in MUSBOT_ADMINS (Teams tells no admin flag)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from adapters.inproc import ManualClock
from adapters.teams.refs import StoreRefStore
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.adapters.teams.harness import ANNA, BO, TEAM_ID, Bot, start_bot
from tests.adapters.teams.test_scenario import LENE, chat, latest, text_of
from tests.adapters.teams.test_year_follow_up import buttons, press
from tests.adapters.teams.test_year_scenario import (
    CARL,
    CONNIE,
    clock,
    press_as,
    say,
    start,
    submit,
    teams,
)
from tests.support import year
from tests.support.stub_connector import Account, StubConnector

__all__ = ["clock", "teams"]


@pytest.fixture
def sweeper(teams: Bot, store: SqlStore, clock: ManualClock) -> Sweeper:
    return Sweeper(store=store, ports={"teams": teams.port}, clock=clock, worker="w1")


def owned(bot: Bot, user: Account, since: int = 0) -> list[str]:
    """The owner's reminders of an agreement that reached their chat (after `since` posts)."""
    return [
        text_of(c.card)
        for c in bot.stub.posted(chat(user))[since:]
        if c.card and "du er ansvarlig for" in text_of(c.card)
    ]


async def agreed(bot: Bot) -> None:
    """A round after its summary meeting, with one agreement: Bo and Carl, 15.2.2027."""
    await bot.post(bot.team_install(user=LENE))
    await start(
        bot,
        deadline=year.YEAR_ONE["prep_deadline"],
        first=year.YEAR_ONE["first"],
        last=year.YEAR_ONE["last"],
    )
    await say(bot, LENE, "mus opsamling")
    await press(bot, LENE, "summary.announce")
    await press(bot, LENE, "summary.follow_up")
    await say(bot, LENE, "mus handleplan")
    await press(bot, LENE, "action.add")
    await submit(
        bot,
        LENE,
        {
            "what": "Fælles sprogdag",
            "due_on": "2027-02-15",
            "owners": f"{BO.aad},{CARL.aad}",
            "follow_up": "På personalemødet",
        },
    )


async def test_the_leader_edits_an_agreement_the_team_is_told_reminders_follow(
    teams: Bot, clock: ManualClock, sweeper: Sweeper
) -> None:
    bot, stub = teams, teams.stub
    await agreed(bot)
    await say(bot, LENE, "mus handleplan")
    await press(bot, LENE, "action.edit", "Ret punkt 1")
    _, form = latest(stub, LENE)
    assert "Fælles sprogdag" in json.dumps(form, ensure_ascii=False)  # filled in as it is
    posts = len(stub.posted(TEAM_ID))

    # -- an employee (even an owner) cannot change it: the button's data, forged
    assert "adgang" in await press_as(bot, BO, LENE, "action.edit")

    # -- the leader moves it to 1.3, Bo alone, and says more about what it is
    saved = await submit(
        bot,
        LENE,
        {
            "what": "Fælles sprogdag med forældre",
            "due_on": "2027-03-01",
            "owners": BO.aad,
            "follow_up": "På personalemødet",
        },
    )
    assert "Aftalen er ændret" in saved and "1.3.2027" in saved
    (note,) = [text_of(c.card) for c in stub.posted(TEAM_ID)[posts:]]
    assert "Ændret aftale i handleplanen" in note and "Fælles sprogdag med forældre" in note
    assert "1.3.2027" in note and "Bo" in note and "Carl" not in note
    listed = await say(bot, LENE, "mus påmindelser")
    assert "Aftale i handleplanen – til Bo, 1.3.2027 kl. 08.00: planlagt" in listed
    assert "handleplanen – til Carl" not in listed and "15.2.2027" not in listed

    # -- the old date passes in silence; the new one reaches Bo, and only Bo
    clock.set(year.cph("2027-02-15"))
    await sweeper.sweep()
    assert owned(bot, BO) == owned(bot, CARL) == []
    clock.set(year.cph("2027-03-01"))
    await sweeper.sweep()
    (reminder,) = owned(bot, BO)
    assert "Fælles sprogdag med forældre" in reminder and "1.3.2027" in reminder
    assert owned(bot, CARL) == []


async def test_an_owner_puts_the_reminder_off_to_tomorrow(
    teams: Bot, clock: ManualClock, sweeper: Sweeper
) -> None:
    bot = teams
    await agreed(bot)
    clock.set(year.cph("2027-02-15"))
    await sweeper.sweep()
    assert owned(bot, BO) and owned(bot, CARL)
    assert any(b["title"] == year.SNOOZE for _, c in bot.stub.shown(chat(BO)) for b in buttons(c))

    # -- neither the leader (no owner) nor a team mate may put Bo's reminder off
    assert "adgang" in await press_as(bot, LENE, BO, "action.snooze")
    assert "adgang" in await press_as(bot, ANNA, BO, "action.snooze")

    snoozed = await press(bot, BO, "action.snooze")
    assert "Du hører fra mig igen 16.2.2027 kl. 08.00" in snoozed
    seen = len(bot.stub.posted(chat(BO)))
    clock.set(year.cph("2027-02-16", "07:00"))
    await sweeper.sweep()
    assert owned(bot, BO, seen) == []  # not before working hours
    clock.set(year.cph("2027-02-16"))
    await sweeper.sweep()
    (again,) = owned(bot, BO, seen)
    assert "Fælles sprogdag" in again
    assert len(owned(bot, CARL)) == 1  # Carl did not put his off: nothing more for him

    # -- once done, a snoozed reminder says nothing more
    await press(bot, BO, "action.snooze")
    await press(bot, BO, "action.move", "Gennemført")
    seen = len(bot.stub.posted(chat(BO)))
    clock.set(year.cph("2027-02-17"))
    await sweeper.sweep()
    assert owned(bot, BO, seen) == []


@pytest.fixture
async def configured(
    store: SqlStore, stub: StubConnector, clock: ManualClock
) -> AsyncIterator[Bot]:
    """Lene leads by configuration only; Connie is an admin by MUSBOT_ADMINS only, and has
    never written to the bot."""
    stub.rosters[TEAM_ID] = [LENE, ANNA, BO, CARL]
    stub.rosters["19:admins@thread.tacv2"] = [CONNIE]
    engine = Engine(
        store=store,
        templates=TemplateLibrary(),
        clock=clock,
        settings=CoreSettings(
            configured_leaders=frozenset({LENE.aad}), configured_admins=frozenset({CONNIE.aad})
        ),
    )
    bot = await start_bot(stub=stub, handler=engine, refs=StoreRefStore(store=store))
    yield bot
    await bot.client.close()


async def test_an_unclosed_round_is_flagged_to_admins_named_only_in_configuration(
    configured: Bot, store: SqlStore, clock: ManualClock
) -> None:
    bot, stub = configured, configured.stub
    await bot.post(bot.team_install(user=LENE))
    await start(
        bot,
        deadline=year.YEAR_ONE["prep_deadline"],
        first=year.YEAR_ONE["first"],
        last=year.YEAR_ONE["last"],
    )
    sweeper = Sweeper(store=store, ports={"teams": bot.port}, clock=clock, worker="w1")
    clock.advance(days=366)
    await sweeper.sweep()

    def flagged() -> dict[str, str]:
        return {
            str(c.conversation_id): text_of(c.card)
            for c in stub.posted()
            if c.card and "stadig ikke afsluttet" in text_of(c.card)
        }

    assert flagged() == {}  # a year on: not yet
    clock.set(year.cph("2028-01-03", "09:00"))  # 13 months on (and past the holidays)
    await sweeper.sweep()
    found = flagged()
    assert set(found) == {chat(LENE), "a:dm-aad-connie"}, found
    assert all("Afslut" in text for text in found.values())
    assert not [
        c
        for c in stub.posted()
        if c.conversation_id in (chat(ANNA), chat(BO))
        and c.card
        and "stadig ikke afsluttet" in text_of(c.card)
    ]
