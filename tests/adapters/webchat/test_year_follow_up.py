"""Issue #12 in the web chat, through its HTTP API: a follow-up date moved by a re-approved plan
after its first nudge is nudged again (on the new date, in working hours, to both), and next
year's round starts from last year's plan on both sides. The same year as Slack's and Teams'
(`tests.support.year`); time moves with the page's own `/web/clock`, which sweeps the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import ManualClock
from adapters.webchat import WebChat, add_webchat_routes, load_directory
from bot.outbox import Sweeper
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.adapters.webchat.conftest import PANE, ROUND, Chat, Stream, button, start_round
from tests.adapters.webchat.test_whole_round import named
from tests.support import year


@pytest.fixture
async def web_chat(library: TemplateLibrary, sqlite_store: SqlStore) -> AsyncIterator[Chat]:
    """The web chat with its clock hook wired to the outbox, as `musbot demo` has it."""
    clock = ManualClock()
    engine = Engine(store=sqlite_store, templates=library, clock=clock)
    sweepers: list[Sweeper] = []

    async def forward(by: timedelta) -> dict[str, Any]:
        clock.advance(seconds=by.total_seconds())
        return {"now": clock.now().isoformat(), **asdict(await sweepers[0].sweep())}

    chat = WebChat(directory=load_directory(), handler=engine, clock_forward=forward, clock=clock)
    sweepers.append(Sweeper(store=sqlite_store, ports={"web": chat.port}, clock=clock))
    app = web.Application()
    add_webchat_routes(app=app, chat=chat)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    holder = Chat(client=client, chat=chat, clock=clock)
    try:
        yield holder
    finally:
        for stream in holder.streams:
            stream.close()
        await client.close()


async def move_to(c: Chat, when: datetime) -> dict[str, Any]:
    """Move the clock to `when` with the page's clock route; what the sweep did."""
    hours = (when - c.clock.now()).total_seconds() / 3600
    response = await c.client.post("/web/clock", json={"hours": hours})
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    assert c.clock.now() == when
    return answer


async def form_of(stream: Stream) -> dict[str, Any]:
    form: dict[str, Any] = (await stream.next("form"))["form"]
    return form


async def card(c: Chat, lene: Stream, name: str, *, shows: str = "booking.") -> dict[str, Any]:
    """The leader's person card for `name` (from the status view), the first showing `shows`."""
    await c.say("lene", "mus status")
    status = await lene.message("status.member")
    await c.press("lene", named(status, "status.member", name), entry=status)
    return await lene.message(shows)


async def agree_a_plan(c: Chat, anna: Stream) -> Stream:
    """Year one up to Anna's agreed plan, its follow-up on a Saturday; Lene's stream."""
    lene = await start_round(c)
    assert ROUND["prep_deadline"] == year.YEAR_ONE["prep_deadline"]
    booking = await card(c, lene, "Anna Jensen")
    await c.press("lene", button(booking, "booking.open"), entry=booking)
    await c.submit(
        "lene",
        await form_of(lene),
        {"starts_at": f"{year.BOOKED_DAY}T{year.BOOKED_TIME}", "minutes": "60", "place": ""},
    )
    await lene.next("form_closed")
    c.clock.set(year.HELD_AT)
    held = await card(c, lene, "Anna Jensen", shows="booking.held")
    await c.press("lene", button(held, "booking.held"), entry=held)
    asked = await lene.message("booking.held_confirm")
    await c.press("lene", button(asked, "booking.held_confirm"), entry=asked)
    opened = await lene.message("plan.open")
    await c.press("lene", button(opened, "plan.open"), entry=opened)
    plan = await lene.message("plan.item")
    await c.press("lene", button(plan, "plan.item"), entry=plan)
    await c.submit("lene", await form_of(lene), dict(year.PLAN_ITEM))
    drafted = await lene.message("plan.followup")
    await c.press("lene", button(drafted, "plan.followup"), entry=drafted)
    await c.submit("lene", await form_of(lene), {"follow_up_on": year.FIRST_FOLLOW_UP})
    ready = await lene.message("plan.propose")
    noted = await lene.message(year.WEEKEND_NOTE)  # when the nudge will come
    assert year.FIRST_NUDGE_SHOWN in noted["text"]
    await c.press("lene", button(ready, "plan.propose"), entry=ready)
    notice = await anna.message("til din godkendelse")
    await c.press("anna", notice["buttons"][0], entry=notice)
    proposal = await anna.message("plan.approve")
    await c.press("anna", button(proposal, "plan.approve"), entry=proposal)
    await lene.message("aftalt")
    return lene


async def test_a_moved_follow_up_is_nudged_again_to_both_in_working_hours(web_chat: Chat) -> None:
    c = web_chat
    anna, _ = await c.stream("anna")
    lene = await agree_a_plan(c, anna)

    # -- the first date: both nudged on the Monday morning, each with "remind me tomorrow"
    assert (await move_to(c, year.FIRST_NUDGE))["sent"] == 2
    nudge = await anna.message(year.NUDGE_EMPLOYEE)
    assert nudge["pane"] == "dm" and button(nudge, "reminder.later")["label"] == year.SNOOZE
    assert "Anna Jensen" in json.dumps(await lene.message(year.NUDGE_LEADER), ensure_ascii=False)

    # -- after that nudge Anna moves the date; Lene approves the new version
    await move_to(c, year.MOVED_AT)
    await c.say("anna", "mus plan")
    agreed = await anna.message("plan.revise")
    await c.press("anna", button(agreed, "plan.revise"), entry=agreed)
    draft = await anna.message("plan.followup")
    await c.press("anna", button(draft, "plan.followup"), entry=draft)
    await c.submit("anna", await form_of(anna), {"follow_up_on": year.MOVED_FOLLOW_UP})
    ready = await anna.message("plan.propose")
    await c.press("anna", button(ready, "plan.propose"), entry=ready)
    notice = await lene.message("til din godkendelse")
    await c.press("lene", notice["buttons"][0], entry=notice)
    proposal = await lene.message("plan.approve")
    await c.press("lene", button(proposal, "plan.approve"), entry=proposal)
    await anna.message("aftalt")

    # -- the new date: nothing before working hours, then both are nudged, once
    assert (await move_to(c, year.BEFORE_WORKING_HOURS))["sent"] == 0
    assert (await move_to(c, year.MOVED_NUDGE))["sent"] == 2
    again = await anna.message(year.NUDGE_EMPLOYEE)
    assert button(again, "reminder.later")["label"] == year.SNOOZE
    await lene.message(year.NUDGE_LEADER)
    assert (await move_to(c, year.MOVED_NUDGE + timedelta(hours=1)))["sent"] == 0


async def test_next_year_starts_from_last_years_plan_on_both_sides(web_chat: Chat) -> None:
    c = web_chat
    anna, _ = await c.stream("anna")
    lene = await agree_a_plan(c, anna)
    await move_to(c, year.FIRST_NUDGE)
    nudge = await anna.message(year.NUDGE_EMPLOYEE)
    await c.press("anna", named(nudge, "plan.status", f"1: {year.ITEM_DONE}"), entry=nudge)

    await move_to(c, year.CLOSE_AT)
    await c.say("lene", "mus afslut")
    asked = await lene.message("Afslut MUS-runden")
    await c.press("lene", button(asked, "summary.close"), entry=asked)
    await lene.message("er afsluttet")

    await move_to(c, year.YEAR_TWO_AT)
    await c.say("lene", "mus start", pane=PANE)
    await c.submit(
        "lene",
        await form_of(lene),
        {
            **ROUND,
            "kickoff_at": "",
            "prep_deadline": year.YEAR_TWO["prep_deadline"],
            "conversations_from": year.YEAR_TWO["first"],
            "conversations_to": year.YEAR_TWO["last"],
        },
    )
    await lene.next("form_closed")
    # -- the employee's prep opens with last year's plan
    invitation = await anna.message("Start forberedelsen")
    await c.press("anna", button(invitation, "prep.open"), entry=invitation)
    opened = await anna.message(year.LAST_PLAN_IN_PREP)
    assert year.PLAN_ITEM["laeringsmaal"] in json.dumps(opened, ensure_ascii=False)
    # -- the leader's status and person card show it, items and status
    await c.say("lene", "mus status")
    await lene.message(year.LAST_PLAN_IN_STATUS)
    shown = json.dumps(await card(c, lene, "Anna Jensen"), ensure_ascii=False)
    assert year.LAST_PLAN_ON_CARD in shown and year.PLAN_ITEM["laeringsmaal"] in shown
    assert year.ITEM_DONE in shown.split(year.LAST_PLAN_ON_CARD, 1)[1]
    mads = json.dumps(await card(c, lene, "Mads Nielsen"), ensure_ascii=False)
    assert year.PLAN_ITEM["laeringsmaal"] not in mads
