"""Issue #12 in Teams: after the summary meeting the team's action plan, `mus afslut` with its
confirmation, the anonymous evaluation from the card, the committee's figures without names,
next year's `mus start`, and coverage; through the real engine, SQL store and Teams adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.inproc import ManualClock
from adapters.teams.refs import StoreRefStore
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.adapters.teams.harness import ANNA, BO, TEAM_ID, Bot, start_bot
from tests.adapters.teams.test_scenario import LENE, actions, chat, latest, press, text_of
from tests.support.stub_connector import Account, StubConnector

CARL = Account(id="29:carl", aad="aad-carl", name="Carl")
DORTE = Account(id="29:dorte", aad="aad-dorte", name="Dorte")
ERIK = Account(id="29:erik", aad="aad-erik", name="Erik")
CONNIE = Account(id="29:connie", aad="aad-connie", name="Connie Udvalg")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def teams(store: SqlStore, stub: StubConnector, clock: ManualClock) -> AsyncIterator[Bot]:
    stub.rosters[TEAM_ID] = [LENE, ANNA, BO, CARL, DORTE, ERIK]
    engine = Engine(
        store=store,
        templates=TemplateLibrary(),
        clock=clock,
        settings=CoreSettings(
            configured_leaders=frozenset({LENE.aad}), configured_admins=frozenset({LENE.aad})
        ),
    )
    bot = await start_bot(stub=stub, handler=engine, refs=StoreRefStore(store=store))
    yield bot
    await bot.client.close()


async def say(bot: Bot, user: Account, words: str) -> str:
    await bot.post(bot.message(words, user=user))
    return text_of(latest(bot.stub, user)[1])


async def submit(bot: Bot, user: Account, values: dict[str, str]) -> str:
    form_id, form = latest(bot.stub, user)
    (data,) = actions(form).values()
    before = len(bot.stub.shown(chat(user)))
    response = await bot.post(bot.submit({**data, **values}, reply_to=form_id, user=user))
    assert response.status == 202
    return "\n".join(text_of(card) for _, card in bot.stub.shown(chat(user))[before - 1 :])


async def start(bot: Bot, *, deadline: str, first: str, last: str) -> str:
    await bot.post(bot.message("mus start", user=LENE))
    return await submit(
        bot,
        LENE,
        {
            "channel": TEAM_ID,
            "members": "",
            "template": "kk-buf",
            "kerneopgave": "Vi skaber trygge rammer for børns læring.",
            "udviklingsmaal": "Mere samarbejde på tværs.",
            "prep_deadline": deadline,
            "conversations_from": first,
            "conversations_to": last,
        },
    )


async def test_the_year_closes_in_teams(teams: Bot, clock: ManualClock) -> None:
    bot, stub = teams, teams.stub
    await bot.post(bot.team_install(user=LENE))
    await start(bot, deadline="2026-12-04", first="2026-12-07", last="2026-12-18")
    assert "aktiv MUS-runde" in await start(
        bot, deadline="2026-12-04", first="2026-12-07", last="2026-12-18"
    )

    # -- the summary meeting, then the team's action plan (Skema 5) in the channel
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
    post = text_of(stub.posted(TEAM_ID)[-1].card)
    assert "Ny aftale i handleplanen" in post and "Fælles sprogdag" in post
    assert "Bo, Carl" in post
    assert "Fælles sprogdag" in await say(bot, DORTE, "mus handleplan")  # the team sees it

    # -- close: typed, confirmed; then everyone is asked to evaluate
    asked = await say(bot, LENE, "mus afslut")
    assert "Afslut MUS-runden" in asked and "låses forberedelsen" in asked
    assert "adgang" in (await press_as(bot, ANNA, LENE, "summary.close"))
    await press(bot, LENE, "summary.close")
    for user in (ANNA, BO, CARL):
        invitation = text_of(latest(stub, user)[1])
        assert "samarbejdsudvalget" in invitation and "uden forbindelse til dig" in invitation
        await press(bot, user, "evaluation.open")
        thanks = await submit(
            bot,
            user,
            {
                "prep_useful": "4",
                "time_enough": "3",
                "conversation_useful": "4",
                "plan_followed": "2",
                "comment": "Mere tid næste år",
            },
        )
        assert "Tak" in thanks
    results = await say(bot, LENE, "mus evaluering")
    assert "3 af 6 har svaret" in results and "Mere tid næste år" in results
    assert "Anna" not in results and "Bo" not in results

    # -- the committee: named by the admin; figures, never a name
    await say(bot, LENE, "mus udvalg")
    await submit(bot, LENE, {"members": CONNIE.aad})
    figures = await say(bot, CONNIE, "mus udvalg")
    assert "Tilbudt MUS: 5" in figures and "Samtaler holdt: (vises ikke)" in figures
    for name in ("Anna", "Bo", "Carl", "Dorte", "Erik", "Lene", "sprogdag"):
        assert name not in figures, name

    # -- next year: the team starts again; coverage lists exactly the people missed
    clock.advance(days=310)
    assert "aktiv MUS-runde" not in await start(
        bot, deadline="2027-10-29", first="2027-11-01", last="2027-11-26"
    )
    assert "Alle medarbejdere" in await say(bot, LENE, "mus dækning")
    clock.advance(days=400)
    missed = await say(bot, LENE, "mus dækning")
    assert all(name in missed for name in ("Anna", "Bo", "Carl", "Dorte", "Erik"))
    assert chat(LENE)


async def press_as(bot: Bot, intruder: Account, owner: Account, action: str) -> str:
    """`intruder` sends the data of a button on `owner`'s card (a forged press)."""
    for activity_id, card in reversed(bot.stub.shown(chat(owner))):
        if action in actions(card):
            data = dict(actions(card)[action])
            data.pop("mus_owner", None)
            await bot.post(bot.submit(data, reply_to=activity_id, user=intruder))
            return text_of(latest(bot.stub, intruder)[1])
    raise AssertionError(action)
