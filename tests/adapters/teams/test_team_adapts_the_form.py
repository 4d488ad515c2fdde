"""Issue #18, "Shown by", on the stand-in Teams connector: the team adapts the form between
kickoff and release. The leader adds two sub-questions and a priority question, removes one
Skema 2 question, previews, splits the team in two sub-groups and releases; each member's
preparation holds exactly their sub-group's form; a question added after one member shared
reaches that member once; a non-leader cannot change the form.

Activities go to /api/messages as Teams sends them; the assertions are on the cards the stub
connector received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

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


@pytest.fixture
async def teams(store: SqlStore, stub: StubConnector) -> AsyncIterator[Bot]:
    stub.rosters[TEAM_ID] = [LENE, ANNA, BO, Account(id="28:x", aad="", name="Bot", role="bot")]
    engine = Engine(
        store=store,
        templates=TemplateLibrary(),
        clock=ManualClock(),
        settings=CoreSettings(configured_leaders=frozenset({LENE.aad})),
    )
    bot = await start_bot(stub=stub, handler=engine, refs=StoreRefStore(store=store))
    yield bot
    await bot.client.close()


def _inputs(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def walk(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for el in elements:
            if el.get("type", "").startswith("Input."):
                yield el
            for key in ("items", "columns"):
                yield from walk(el.get(key, []))

    yield from walk(card.get("body", []))


async def _fill(bot: Bot, user: Account, values: dict[str, str]) -> dict[str, Any]:
    """Submit the newest form card in the user's chat with `values`; the newest card shown
    after it other than the submitted form itself (the answer, or the form with its errors)."""
    form_id, form = latest(bot.stub, user)
    (submit,) = [d for d in actions(form).values() if d.get("mus_form")]
    before = len(bot.stub.shown(chat(user)))
    response = await bot.post(bot.submit({**submit, **values}, reply_to=form_id, user=user))
    assert response.status == 202
    after = bot.stub.shown(chat(user))[before:]
    answers = [card for activity_id, card in after if activity_id != form_id]
    return answers[-1] if answers else latest(bot.stub, user)[1]


def _cards(stub: StubConnector, user: Account) -> list[str]:
    return [text_of(card) for _, card in stub.shown(chat(user))]


async def _press_labelled(bot: Bot, user: Account, action: str, label: str | None = None) -> None:
    """Press a button (not a form's submit) for `action`, with `label` if given."""
    for activity_id, card in reversed(bot.stub.shown(chat(user))):
        for a in card.get("actions", []):
            data = a.get("data") or {}
            if data.get("mus_action") == action and label in (None, a.get("title")):
                await bot.post(bot.submit(data, reply_to=activity_id, user=user))
                return
    raise AssertionError(f"no {action} button labelled {label}")


async def _add(bot: Bot, theme: str, text: str, *, priority: bool = False) -> str:
    await press(bot, LENE, "adapt.add")
    shown = await _fill(
        bot,
        LENE,
        {"theme": theme, "text": text, "help": "", "priority": "yes" if priority else "no"},
    )
    return text_of(shown)


async def test_the_team_adapts_the_form_then_releases_it_in_teams(teams: Bot) -> None:
    bot, stub = teams, teams.stub
    await bot.post(bot.team_install(user=LENE))
    await bot.post(bot.message("mus start", user=LENE))
    await _fill(
        bot,
        LENE,
        {
            "channel": TEAM_ID,
            "members": "",
            "template": "toender",
            "release": "later",
            "kerneopgave": "Vi skaber trygge rammer for børns læring.",
            "udviklingsmaal": "Mere samarbejde på tværs.",
            "prep_deadline": "2026-12-04",
            "conversations_from": "2026-12-07",
            "conversations_to": "2026-12-18",
        },
    )
    # members hear that preparation opens soon; no button to begin yet
    for member in (ANNA, BO):
        _, first = latest(stub, member)
        assert "Forberedelsen åbner snart" in text_of(first)
        assert "prep.open" not in actions(first)
    await bot.post(bot.message("mus forbered", user=ANNA))
    assert "Forberedelsen åbner snart" in text_of(latest(stub, ANNA)[1])

    # a non-leader cannot change the form
    await bot.post(bot.message("mus tilpas", user=BO))
    assert "leder for en aktiv MUS-runde" in text_of(latest(stub, BO)[1])

    await bot.post(bot.message("mus tilpas", user=LENE))
    overview = text_of(latest(stub, LENE)[1])
    assert "44 spørgsmål" in overview and "ikke sendt ud endnu" in overview
    _, card = latest(stub, LENE)
    stolen = actions(card)["adapt.add"]
    # a forged payload with the leader's button data, from Bo's own chat
    await bot.post(bot.submit({**stolen, "mus_owner": BO.aad}, reply_to="1", user=BO))
    assert "adgang" in text_of(latest(stub, BO)[1])

    # two sub-questions and a priority question; one Skema 2 question removed
    await _add(bot, "faglighed", "Hvordan bruger I den nye sprogmodel?")
    await _add(bot, "andet", "Hvordan fungerer overleveringen mellem vagterne?")
    overview = await _add(bot, "faglighed", "Hvad er vigtigst for dig i år?", priority=True)
    assert "47 spørgsmål" in overview
    assert overview.index("★ Hvad er vigtigst") < overview.index("Hvordan bruger I den nye")
    await press(bot, LENE, "adapt.drop")
    overview = text_of(await _fill(bot, LENE, {"question": "opgavefordeling"}))
    assert "44 spørgsmål" in overview and "fordeler opgaverne" not in overview

    # the preview, card by card as an employee meets it
    before = len(stub.shown(chat(LENE)))
    await press(bot, LENE, "adapt.preview")
    preview = "\n".join(text_of(c) for _, c in stub.shown(chat(LENE))[before:])
    assert "Du får 44 spørgsmål" in preview
    assert "Faglighed i opgaveløsningen · 1/44" in preview
    assert preview.index("Hvad er vigtigst for dig i år?") < preview.index(
        "Hvordan bruger I den nye sprogmodel?"
    )
    assert "fordeler opgaverne" not in preview

    # two sub-groups
    await press(bot, LENE, "adapt.groups")
    _, form = latest(stub, LENE)
    members = {el["label"]: el["id"] for el in _inputs(form) if el["id"].startswith("member-")}
    assert set(members) == {"Anna", "Bo"}
    await _fill(
        bot,
        LENE,
        {"name": "Pædagoger", members["Anna"]: "new", members["Bo"]: "team"},
    )
    await press(bot, LENE, "adapt.groups")
    shown = await _fill(
        bot,
        LENE,
        {"name": "Medhjælpere", members["Anna"]: "g1", members["Bo"]: "new"},
    )
    assert "Medhjælpere" in text_of(shown)
    await _add(bot, "andet", "Hvordan går det med vagtplanen?")  # the assistants' form only

    # release: each member is invited to their own form
    await press(bot, LENE, "adapt.release")
    assert "Du får 44 spørgsmål" in text_of(latest(stub, ANNA)[1])
    assert "Du får 45 spørgsmål" in text_of(latest(stub, BO)[1])
    for member in (ANNA, BO):
        await press(bot, member, "prep.open")
    await press(bot, ANNA, "prep.review")
    await press(bot, ANNA, "prep.pick")
    _, pick = latest(stub, ANNA)
    (steps,) = [el for el in _inputs(pick) if el["id"] == "step"]
    anna = [c["title"] for c in steps["choices"]]
    await press(bot, BO, "prep.review")
    await press(bot, BO, "prep.pick")
    _, pick = latest(stub, BO)
    (steps,) = [el for el in _inputs(pick) if el["id"] == "step"]
    bo = [c["title"] for c in steps["choices"]]
    assert len(anna) == 44 and len(bo) == 45
    assert anna[0].startswith("1. Hvad er vigtigst for dig i år?")
    assert not any("vagtplanen" in s for s in anna) and any("vagtplanen" in s for s in bo)

    # Anna answers the first question and shares
    await _press_labelled(bot, ANNA, "prep.goto")  # "continue" on her overview
    assert "Hvad er vigtigst for dig i år?" in text_of(latest(stub, ANNA)[1])
    await bot.post(bot.message("Sprogarbejdet betyder mest.", user=ANNA))
    await press(bot, ANNA, "prep.review")
    await press(bot, ANNA, "prep.share")
    assert "Anna" in text_of(stub.posted(chat(LENE))[-1].card or {})

    # a question added now reaches Anna once; Bo is in another form and has not shared
    await bot.post(bot.message("mus tilpas", user=LENE))
    await _press_labelled(bot, LENE, "adapt.open", "Skema: Pædagoger")
    anna_before, bo_before = len(_cards(stub, ANNA)), len(_cards(stub, BO))
    await _add(bot, "andet", "Hvad skal vi fejre i år?")
    new = _cards(stub, ANNA)[anna_before:]
    assert len(new) == 1 and "ét nyt spørgsmål" in new[0] and "fejre" in new[0]
    assert len(_cards(stub, BO)) == bo_before
    await press(bot, LENE, "adapt.move")
    moved = text_of(await _fill(bot, LENE, {"question": "lokal-1", "direction": "up"}))
    assert moved.index("Hvordan bruger I den nye") < moved.index("synspunkter om faglighed")
    assert len(_cards(stub, ANNA)) == anna_before + 1

    # the answered question stays: removing it is refused, nothing is lost
    await press(bot, LENE, "adapt.drop")
    refused = text_of(await _fill(bot, LENE, {"question": "lokal-3"}))
    assert "allerede besvaret" in refused
    await _press_labelled(bot, ANNA, "prep.goto")  # the button in the new-question message
    new_card = text_of(latest(stub, ANNA)[1])
    assert "Hvad skal vi fejre i år?" in new_card and "Sprogarbejdet" not in new_card
