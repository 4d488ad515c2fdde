"""Issue #12 in Teams, the parts the Slack year scenario shows and the first Teams one did
not: a follow-up date moved by a re-approved plan after its first nudge is nudged again (on the
new date, in working hours, to both), and next year's round starts from last year's plan on
both sides. The same year as Slack's (`tests.support.year`), through the stand-in connector."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.inproc import ManualClock
from bot.outbox import Sweeper
from storage.db import SqlStore
from tests.adapters.teams.harness import ANNA, Bot
from tests.adapters.teams.test_scenario import LENE, chat, latest, text_of
from tests.adapters.teams.test_year_scenario import clock, say, start, submit, teams
from tests.support import year
from tests.support.stub_connector import Account

__all__ = ["clock", "teams"]  # the fixtures, shared with the first Teams year scenario


@pytest.fixture
def sweeper(teams: Bot, store: SqlStore, clock: ManualClock) -> Sweeper:
    return Sweeper(store=store, ports={"teams": teams.port}, clock=clock, worker="w1")


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in card.get("actions", []) if a.get("data")]


async def press(bot: Bot, user: Account, action: str, label: str = "") -> str:
    """Press the newest button `action` (whose title has `label`) in the user's chat, as
    Teams posts it; returns what the chat shows last afterwards."""
    for activity_id, card in reversed(bot.stub.shown(chat(user))):
        for button in buttons(card):
            if button["data"].get("mus_action") == action and label in button.get("title", ""):
                response = await bot.post(
                    bot.submit(button["data"], reply_to=activity_id, user=user)
                )
                assert response.status == 202
                return text_of(latest(bot.stub, user)[1])
    raise AssertionError(f"no {action} {label!r} button for {user.name}")


def seen_since(bot: Bot, user: Account, before: int) -> list[str]:
    """Texts of the messages posted to the user's chat after the first `before`."""
    return [text_of(c.card) for c in bot.stub.posted(chat(user))[before:] if c.card]


async def card_of(bot: Bot, name: str) -> str:
    await say(bot, LENE, "mus status")
    return await press(bot, LENE, "status.member", name)


async def agree_a_plan(bot: Bot, clock: ManualClock) -> None:
    """Year one up to Anna's agreed plan, its follow-up on a Saturday."""
    await bot.post(bot.team_install(user=LENE))
    await start(
        bot,
        deadline=year.YEAR_ONE["prep_deadline"],
        first=year.YEAR_ONE["first"],
        last=year.YEAR_ONE["last"],
    )
    await card_of(bot, "Anna")
    await press(bot, LENE, "booking.open")
    await submit(
        bot,
        LENE,
        {
            "starts_at__date": year.BOOKED_DAY,
            "starts_at__time": year.BOOKED_TIME,
            "minutes": "60",
        },
    )
    clock.set(year.HELD_AT)
    await card_of(bot, "Anna")
    await press(bot, LENE, "booking.held")
    await press(bot, LENE, "booking.held_confirm")
    await press(bot, LENE, "plan.open")
    await press(bot, LENE, "plan.item")
    await submit(bot, LENE, dict(year.PLAN_ITEM))
    await press(bot, LENE, "plan.followup")
    noted = await submit(bot, LENE, {"follow_up_on": year.FIRST_FOLLOW_UP})
    assert year.WEEKEND_NOTE in noted and year.FIRST_NUDGE_SHOWN in noted
    await press(bot, LENE, "plan.propose")
    await press(bot, ANNA, "plan.open")
    assert "aftalt" in await press(bot, ANNA, "plan.approve")


async def test_a_moved_follow_up_is_nudged_again_to_both_in_working_hours(
    teams: Bot, clock: ManualClock, sweeper: Sweeper
) -> None:
    bot = teams
    await agree_a_plan(bot, clock)

    # -- the first date: both nudged on the Monday morning, each with "remind me tomorrow"
    anna_before, lene_before = len(bot.stub.posted(chat(ANNA))), len(bot.stub.posted(chat(LENE)))
    clock.set(year.FIRST_NUDGE)
    await sweeper.sweep()
    (anna_nudge,) = [t for t in seen_since(bot, ANNA, anna_before) if year.NUDGE_EMPLOYEE in t]
    (lene_nudge,) = [t for t in seen_since(bot, LENE, lene_before) if year.NUDGE_LEADER in t]
    assert "Anna" in lene_nudge and year.PLAN_ITEM["laeringsmaal"] in anna_nudge
    assert any(b["title"] == year.SNOOZE for _, c in bot.stub.shown(chat(ANNA)) for b in buttons(c))

    # -- after that nudge Anna moves the date; Lene approves the new version
    clock.set(year.MOVED_AT)
    await say(bot, ANNA, "mus plan")
    await press(bot, ANNA, "plan.revise")
    await press(bot, ANNA, "plan.followup")
    await submit(bot, ANNA, {"follow_up_on": year.MOVED_FOLLOW_UP})
    await press(bot, ANNA, "plan.propose")
    await press(bot, LENE, "plan.open")
    assert "aftalt" in await press(bot, LENE, "plan.approve")
    listed = await say(bot, LENE, "mus påmindelser")
    assert "Opfølgning på planen – til Anna, 1.6.2027 kl. 08.00: planlagt" in listed

    # -- the new date: nothing before working hours, then both are nudged once
    anna_before, lene_before = len(bot.stub.posted(chat(ANNA))), len(bot.stub.posted(chat(LENE)))
    clock.set(year.BEFORE_WORKING_HOURS)
    await sweeper.sweep()
    assert seen_since(bot, ANNA, anna_before) == seen_since(bot, LENE, lene_before) == []
    clock.set(year.MOVED_NUDGE)
    await sweeper.sweep()
    assert [t for t in seen_since(bot, ANNA, anna_before) if year.NUDGE_EMPLOYEE in t]
    assert [t for t in seen_since(bot, LENE, lene_before) if year.NUDGE_LEADER in t]
    await sweeper.sweep()  # never twice
    assert len(seen_since(bot, ANNA, anna_before)) == 1
    assert len(seen_since(bot, LENE, lene_before)) == 1


async def test_next_year_starts_from_last_years_plan_on_both_sides(
    teams: Bot, clock: ManualClock, sweeper: Sweeper
) -> None:
    bot = teams
    await agree_a_plan(bot, clock)
    clock.set(year.FIRST_NUDGE)
    await sweeper.sweep()
    await press(bot, ANNA, "plan.status", f"1: {year.ITEM_DONE}")

    clock.set(year.CLOSE_AT)
    assert "Afslut MUS-runden" in await say(bot, LENE, "mus afslut")
    assert "er afsluttet" in await press(bot, LENE, "summary.close")

    clock.set(year.YEAR_TWO_AT)
    started = await start(
        bot,
        deadline=year.YEAR_TWO["prep_deadline"],
        first=year.YEAR_TWO["first"],
        last=year.YEAR_TWO["last"],
    )
    assert "aktiv MUS-runde" not in started
    # -- the employee's prep opens with last year's plan
    await press(bot, ANNA, "prep.open")
    opened = "\n".join(text_of(c) for _, c in bot.stub.shown(chat(ANNA))[-3:])
    assert year.LAST_PLAN_IN_PREP in opened and year.PLAN_ITEM["laeringsmaal"] in opened
    # -- the leader's status and person card show it, items and status
    status = await say(bot, LENE, "mus status")
    assert year.LAST_PLAN_IN_STATUS in status
    anna = await card_of(bot, "Anna")
    assert year.LAST_PLAN_ON_CARD in anna and year.PLAN_ITEM["laeringsmaal"] in anna
    assert year.ITEM_DONE in anna.split(year.LAST_PLAN_ON_CARD, 1)[1]
    # -- nobody else's: Bo's card has no plan from last time
    bo = await card_of(bot, "Bo")
    assert year.PLAN_ITEM["laeringsmaal"] not in bo
