"""Issue #12, "Shown by", in Slack: two years of a five-person team.

Year one: a plan is agreed and followed up (a date changed after its first nudge is nudged
again), the summary meeting is called, the team's action plan (Skema 5) reaches its owners,
the round is closed with `/mus afslut`, the anonymous evaluation is answered, and the
committee sees figures without names. Year two: `/mus start` works again and both sides see
last year's plan; coverage lists exactly the people missed. The real slack-bolt app, the real
Engine on the SQL store, the outbox Sweeper; every Web API call lands on the stand-in Slack.
The year's dates, plan and expected texts are `tests.support.year`, shared with the Teams
(`tests/adapters/teams/test_year_follow_up.py`) and web chat versions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from adapters.inproc import ManualClock
from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import SCENARIO_FORM_BUDGET, SlackHarness
from tests.adapters.slack.test_plan_scenario import (
    _initial,
    book,
    cph,
    dm_text,
    ephemeral_text,
    posts_to,
    press_dm,
    press_ephemeral,
)
from tests.adapters.slack.test_scenario import TEAM, epoch
from tests.support import year
from tests.support.stub_slack import StubSlack

PEOPLE = {"U1": "Anna Andersen", "U2": "Bo Berg", "U3": "Carl Clausen", "U4": "Dorte Dahl"}
PEOPLE["U5"] = "Erik Eskildsen"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
async def slack(
    stub: StubSlack, store: Store, settings: SlackSettings, clock: ManualClock
) -> AsyncIterator[SlackHarness]:
    stub.add_user("UL", name="Lene Leder", is_admin=True)
    for user, name in PEOPLE.items():
        stub.add_user(user, name=name)
    stub.add_user("UC", name="Connie Udvalg")
    stub.add_user("UD", name="Dan Udvalg")
    stub.members[TEAM] = ["UL", *PEOPLE]
    engine = Engine(store=store, templates=TemplateLibrary(), clock=clock, settings=CoreSettings())
    harness = await SlackHarness(
        bolt=build_slack_app(handler=engine, settings=settings, form_budget=SCENARIO_FORM_BUDGET),
        stub=stub,
    ).start()
    yield harness
    await harness.settle()
    await harness.close()


@pytest.fixture
def sweeper(slack: SlackHarness, store: Store, clock: ManualClock) -> Sweeper:
    return Sweeper(store=store, ports={"slack": slack.bolt.port}, clock=clock, worker="w1")


def _state(kind: str, value: Any) -> dict[str, Any]:
    match kind:
        case "plain_text_input":
            return {"type": kind, "value": value}
        case "static_select":
            return {"type": kind, "selected_option": {"value": value} if value else None}
        case "datepicker":
            return {"type": kind, "selected_date": value}
        case "datetimepicker":
            return {"type": kind, "selected_date_time": value}
        case "multi_users_select":
            return {"type": kind, "selected_users": list(value or [])}
        case "conversations_select":
            return {"type": kind, "selected_conversation": value}
    raise AssertionError(f"no state for {kind}")


async def fill(slack: SlackHarness, *, user: str, form: str, values: Mapping[str, Any]) -> dict:  # type: ignore[type-arg]
    view = slack.stub.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == form, view["callback_id"]
    state = {
        b["block_id"]: _state(
            b["element"]["type"], values.get(b["block_id"], _initial(b["element"]))
        )
        for b in view["blocks"]
        if b["type"] == "input"
    }
    response = await slack.submit(user=user, view=view, values=state)
    ack = await slack.ack_json(response)
    await slack.settle()
    return ack


async def command(slack: SlackHarness, user: str, words: str, channel: str = TEAM) -> str:
    await slack.command(user=user, text=words, channel=channel)
    await slack.settle()
    return ephemeral_text(slack.stub)


async def start(slack: SlackHarness, *, prep_deadline: str, first: str, last: str) -> None:
    await slack.command(user="UL", text="start", channel=TEAM)
    await slack.settle()
    ack = await fill(
        slack,
        user="UL",
        form="round.start",
        values={
            "channel": TEAM,
            "members": [],
            "template": "kk-buf",
            "kerneopgave": "Trygge rammer for børn",
            "udviklingsmaal": "Sprogarbejde i alle grupper.",
            "kickoff_at": None,
            "prep_deadline": prep_deadline,
            "conversations_from": first,
            "conversations_to": last,
            "summary_at": epoch("2027-01-12", "13:00") if prep_deadline < "2027" else None,
        },
    )
    assert "errors" not in ack, ack


async def card(slack: SlackHarness, name: str) -> str:
    await command(slack, "UL", "status")
    await press_ephemeral(slack, user="UL", action="status.member", label=name)
    return ephemeral_text(slack.stub)


async def summary_and_agreement(slack: SlackHarness, clock: ManualClock, *, what: str) -> None:
    """The summary meeting is called; afterwards the leader writes one agreement of the team's
    action plan (Skema 5), due 15.2.2027, owned by Bo and Carl."""
    clock.set(cph("2027-01-05", "10:00"))
    assert "Opsamling" in await command(slack, "UL", "opsamling")
    await press_ephemeral(slack, user="UL", action="summary.announce")
    await press_ephemeral(slack, user="UL", action="summary.follow_up")
    clock.set(cph("2027-01-13", "10:00"))
    await command(slack, "UL", "handleplan")
    await press_ephemeral(slack, user="UL", action="action.add")
    ack = await fill(
        slack,
        user="UL",
        form="action.add",
        values={
            "what": what,
            "due_on": "2027-02-15",
            "owners": ["U2", "U3"],
            "follow_up": "På personalemødet",
        },
    )
    assert "errors" not in ack, ack


async def test_two_years_of_a_five_person_team(
    slack: SlackHarness, stub: StubSlack, store: Store, clock: ManualClock, sweeper: Sweeper
) -> None:
    # ================================================================ year one
    await start(slack, **year.YEAR_ONE)
    await card(slack, "Anna Andersen")
    await book(slack, day=year.BOOKED_DAY, time=year.BOOKED_TIME)
    clock.set(year.HELD_AT)
    await card(slack, "Anna Andersen")
    await press_ephemeral(slack, user="UL", action="booking.held")
    await press_ephemeral(slack, user="UL", action="booking.held_confirm")
    await press_ephemeral(slack, user="UL", action="plan.open")
    await press_ephemeral(slack, user="UL", action="plan.item")
    await fill(
        slack,
        user="UL",
        form="plan.item",
        values=year.PLAN_ITEM,
    )
    await press_ephemeral(slack, user="UL", action="plan.followup")
    await fill(
        slack, user="UL", form="plan.followup", values={"follow_up_on": year.FIRST_FOLLOW_UP}
    )
    noted = ephemeral_text(stub)
    assert year.WEEKEND_NOTE in noted and year.FIRST_NUDGE_SHOWN in noted
    await press_ephemeral(slack, user="UL", action="plan.propose")
    await press_dm(slack, user="U1", action="plan.open")
    await press_dm(slack, user="U1", action="plan.approve")
    assert "version 1 (aftalt)" in dm_text(stub, "D1")

    # -- the summary meeting is called; afterwards the team's action plan (Skema 5)
    await summary_and_agreement(slack, clock, what="Fælles sprogdag <!channel>")
    posted = stub.texts(posts_to(stub, TEAM)[-1])
    assert "Ny aftale i handleplanen" in posted and "Bo Berg, Carl Clausen" in posted
    assert "<!channel>" not in posted and "&lt;!channel&gt;" in posted  # escaped

    # -- Skema 5 reminders reach their owners, and an owner moves it on from the reminder
    clock.set(cph("2027-02-15", "08:00"))
    await sweeper.sweep()
    assert "du er ansvarlig for" in dm_text(stub, "D2") and "du er ansvarlig for" in dm_text(
        stub, "D3"
    )
    assert not [c for c in posts_to(stub, "D4") if "ansvarlig" in stub.texts(c)]
    await press_dm(slack, user="U2", action="action.move", label="Gennemført")
    assert "Status er opdateret: gennemført" in dm_text(stub, "D2")
    await slack.command(user="U4", text="handleplan", channel="D4")
    await slack.settle()
    assert "Fælles sprogdag" in ephemeral_text(stub) + dm_text(stub, "D4")

    # -- the follow-up: nudged on 8.3; the date is moved and re-approved; nudged again
    clock.set(year.FIRST_NUDGE)
    await sweeper.sweep()
    assert year.NUDGE_EMPLOYEE in dm_text(stub, "D1")
    assert year.SNOOZE in dm_text(stub, "D1")
    clock.set(year.MOVED_AT)
    await slack.command(user="U1", text="plan", channel="D1")
    await slack.settle()
    await press_dm(slack, user="U1", action="plan.revise")
    await press_dm(slack, user="U1", action="plan.followup")
    await fill(
        slack, user="U1", form="plan.followup", values={"follow_up_on": year.MOVED_FOLLOW_UP}
    )
    await press_dm(slack, user="U1", action="plan.propose")
    await press_dm(slack, user="UL", action="plan.open")
    await press_dm(slack, user="UL", action="plan.approve")
    before = len(posts_to(stub, "D1"))
    clock.set(year.MOVED_NUDGE)
    await sweeper.sweep()
    assert len(posts_to(stub, "D1")) == before + 1
    assert year.NUDGE_EMPLOYEE in dm_text(stub, "D1")
    await press_dm(slack, user="U1", action="plan.status", label="1: gennemført")
    assert "Anna Andersen har sat punkt 1" in dm_text(stub, "DL")  # seen by both

    # -- /mus påmindelser: exactly what is scheduled and what was sent
    listed = await command(slack, "UL", "påmindelser")
    assert "Sendt (" in listed and "annulleret" not in listed

    # -- the round is closed: confirmation first, then the evaluation goes out
    clock.set(year.CLOSE_AT)
    asked = await command(slack, "UL", "afslut")
    assert "Afslut MUS-runden" in asked and "opfølgning fortsætter" in asked
    await press_ephemeral(slack, user="UL", action="summary.close")
    assert "er afsluttet" in ephemeral_text(stub)
    for user in ("U1", "U2", "U3"):
        await press_dm(slack, user=user, action="evaluation.open")
        ack = await fill(
            slack,
            user=user,
            form="evaluation.answer",
            values={
                "prep_useful": "4",
                "time_enough": "3",
                "conversation_useful": "5",
                "plan_followed": "4",
                "comment": f"Godt forløb {user[-1]}",
            },
        )
        assert "errors" not in ack, ack
    async with store.transaction() as tx:
        session = tx.conn  # type: ignore[attr-defined]
        slots = (await session.execute(text("SELECT * FROM evaluation_slots"))).mappings().all()
    assert {"id", "round_id", "filled", "scores", "comment"} == set(slots[0].keys())
    assert sum(1 for s in slots if s["filled"]) == 3 and len(slots) == 6  # 5 members + leader

    # -- the committee: named by the admin; figures without names, small ones suppressed
    await command(slack, "UL", "udvalg")
    await fill(slack, user="UL", form="committee.save", values={"members": ["UC"]})
    figures = await command(slack, "UC", "udvalg")
    assert "Tilbudt MUS*\n5" in figures
    assert "Samtaler holdt*\n(vises ikke)" in figures  # 1 of 5: singles someone out
    assert "3 af 6 har svaret" in figures and "Godt forløb 2" in figures  # 3 answers: shown
    for name in (*PEOPLE.values(), "Lene", "Styrke", "sprogdag"):
        assert name not in figures, name
    assert "Kun medlemmer af samarbejdsudvalget" in await command(slack, "UD", "udvalg")

    # ================================================================ year two
    clock.set(year.YEAR_TWO_AT)
    await start(slack, **year.YEAR_TWO)
    assert "Teamet har allerede en aktiv MUS-runde" not in ephemeral_text(stub)
    await press_dm(slack, user="U1", action="prep.open")
    shown = [stub.texts(c) for c in stub.calls if c.get("channel") == "D1"]
    assert any(year.LAST_PLAN_IN_PREP in t and year.PLAN_ITEM["laeringsmaal"] in t for t in shown)
    status = await command(slack, "UL", "status")
    assert year.LAST_PLAN_IN_STATUS in status
    anna = await card(slack, "Anna Andersen")
    assert year.LAST_PLAN_ON_CARD in anna and year.PLAN_ITEM["laeringsmaal"] in anna

    # -- coverage: everyone is in this year's round; a year on nobody is
    assert "Alle medarbejdere" in await command(slack, "UL", "dækning")
    clock.set(cph("2028-11-06", "09:00"))
    missed = await command(slack, "UL", "dækning")
    assert all(name in missed for name in PEOPLE.values())
    assert [c for c in posts_to(stub, "DL") if "stadig ikke afsluttet" in stub.texts(c)] == []
    await sweeper.sweep()  # year two's round was never closed: flagged 13 months on
    assert "stadig ikke afsluttet" in dm_text(stub, "DL")
