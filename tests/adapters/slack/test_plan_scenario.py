"""Issue #4, "Shown by", in Slack: the booking, the development plan, and the reminders.

The real slack-bolt app behind the real aiohttp route gets signed requests as Slack sends them;
the real Engine runs on the SQL store with a clock the test moves by hand; the outbox Sweeper
sends through the bolt app's own SlackPort. Every Web API call lands on the stand-in Slack.

The leader works from the team channel, where every answer is ephemeral (response_url and
chat.postEphemeral); the employee works in the DM with the bot (chat.postMessage/chat.update).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.inproc import ManualClock
from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.domain import Reminder, ReminderState
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import SCENARIO_FORM_BUDGET, SlackHarness
from tests.adapters.slack.test_scenario import TEAM, epoch, start_round
from tests.support.stub_slack import TEAM_ID, Call, StubSlack, _block_texts

CPH = ZoneInfo("Europe/Copenhagen")
EPHEMERAL_TS = "1700000000.900000"  # Slack gives ephemeral messages a ts the bot never sees


def cph(day: str, time: str = "08:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=CPH)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday morning


@pytest.fixture
async def slack(
    stub: StubSlack, store: Store, settings: SlackSettings, clock: ManualClock
) -> AsyncIterator[SlackHarness]:
    stub.add_user("UL", name="Lene Leder", is_admin=True)
    stub.add_user("U1", name="Anna Andersen")
    stub.add_user("U2", name="Bo Berg")
    stub.add_user("UB", name="Kalender-bot", is_bot=True)
    stub.members[TEAM] = ["UL", "U1", "U2", "UB"]
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
    """The outbox sweep, sending through the bolt app's port (the one `musbot run` wires)."""
    return Sweeper(store=store, ports={"slack": slack.bolt.port}, clock=clock, worker="w1")


# ---------------------------------------------------------------- finding what Slack shows


def _buttons(blocks: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        element
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    ]


def _is(button: Mapping[str, Any], action: str, label: str | None) -> bool:
    return button["action_id"].split("~~")[0] == action and (
        label is None or label in button["text"]["text"]
    )


def in_dm(
    stub: StubSlack, channel: str, action: str, label: str | None = None
) -> tuple[str, Mapping[str, Any]]:
    """(ts, button) on the most recently posted or updated message in a DM."""
    for (where, ts), message in sorted(stub.messages.items(), key=lambda kv: -kv[1]["seq"]):
        if where != channel:
            continue
        for button in _buttons(message["blocks"]):
            if _is(button, action, label):
                return ts, button
    raise AssertionError(f"no {action!r} ({label}) button in {channel}")


def _ephemeral_calls(stub: StubSlack) -> list[Call]:
    return [
        c
        for c in stub.calls
        if c.method == "chat.postEphemeral" or c.method.startswith("response_url:")
    ]


def ephemeral_button(stub: StubSlack, action: str, label: str | None = None) -> Mapping[str, Any]:
    """A button on the newest ephemeral answer (response_url or chat.postEphemeral) having it."""
    for call in reversed(_ephemeral_calls(stub)):
        for button in _buttons(call.get("blocks") or []):
            if _is(button, action, label):
                return button
    raise AssertionError(f"no {action!r} ({label}) button on an ephemeral answer")


def ephemeral_text(stub: StubSlack) -> str:
    """What the newest ephemeral answer shows."""
    return stub.texts(_ephemeral_calls(stub)[-1])


def dm_text(stub: StubSlack, channel: str) -> str:
    """What the newest (posted or updated) message in a DM shows."""
    message = max(
        (m for (where, _), m in stub.messages.items() if where == channel),
        key=lambda m: m["seq"],
    )
    return "\n".join([str(message["text"] or ""), *_block_texts(message["blocks"])])


def posts_to(stub: StubSlack, channel: str) -> list[Call]:
    return [c for c in stub.calls_to("chat.postMessage") if c["channel"] == channel]


def uploads_to(stub: StubSlack, channel: str) -> list[tuple[str, bytes]]:
    """(title, bytes) of every file shared in a channel (files_upload_v2's three calls)."""
    found = []
    for call in stub.calls_to("files.completeUploadExternal"):
        if call["channel_id"] == channel:
            for file in call["files"]:
                found.append((file["title"], stub.uploads[file["id"]]))
    return found


# ---------------------------------------------------------------- acting in Slack


async def press_dm(
    slack: SlackHarness, *, user: str, action: str, label: str | None = None
) -> None:
    channel = "D" + user.removeprefix("U")
    ts, button = in_dm(slack.stub, channel, action, label)
    await slack.click(
        user=user,
        action_id=button["action_id"],
        value=button.get("value", ""),
        channel=channel,
        message_ts=ts,
    )
    await slack.settle()


async def press_ephemeral(
    slack: SlackHarness, *, user: str, action: str, label: str | None = None
) -> None:
    button = ephemeral_button(slack.stub, action, label)
    await slack.click(
        user=user,
        action_id=button["action_id"],
        value=button.get("value", ""),
        channel=TEAM,
        message_ts=EPHEMERAL_TS,
        ephemeral=True,
    )
    await slack.settle()


def _initial(element: Mapping[str, Any]) -> Any:
    match element["type"]:
        case "plain_text_input":
            return element.get("initial_value")
        case "static_select":
            return (element.get("initial_option") or {}).get("value")
        case "datepicker":
            return element.get("initial_date")
        case "datetimepicker":
            return element.get("initial_date_time")
    return None


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
    raise AssertionError(f"no state for {kind}")


async def fill_in(
    slack: SlackHarness, *, user: str, form: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Submit the newest modal as Slack would: every input's state, initial values kept."""
    view = slack.stub.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == form
    state = {
        block["block_id"]: _state(
            block["element"]["type"], values.get(block["block_id"], _initial(block["element"]))
        )
        for block in view["blocks"]
        if block["type"] == "input"
    }
    response = await slack.submit(user=user, view=view, values=state)
    assert response.status == 200
    ack = await slack.ack_json(response)
    assert "errors" not in ack, ack
    await slack.settle()
    return ack


async def status(slack: SlackHarness) -> str:
    await slack.command(user="UL", text="status", channel=TEAM)
    await slack.settle()
    return ephemeral_text(slack.stub)


async def person_card(slack: SlackHarness) -> str:
    await status(slack)
    await press_ephemeral(slack, user="UL", action="status.member", label="Anna Andersen")
    return ephemeral_text(slack.stub)


async def book(slack: SlackHarness, *, day: str, time: str) -> None:
    """The leader books the open person card's employee for an hour (its "Book samtale")."""
    await press_ephemeral(slack, user="UL", action="booking.open")
    await fill_in(
        slack,
        user="UL",
        form="booking.save",
        values={"starts_at": epoch(day, time), "minutes": "60"},
    )


async def reminders(store: Store) -> dict[str, Reminder]:
    """Every reminder of the (one) round, by key."""
    async with store.transaction() as tx:
        workspace = await tx.workspaces.get_or_create(platform="slack", external_id=TEAM_ID)
        team = await tx.teams.get_by_channel(workspace_id=workspace.id, channel_id=TEAM)
        assert team is not None
        [round_] = await tx.rounds.for_team(team_id=team.id)
        return {r.key: r for r in await tx.outbox.for_round(round_id=round_.id)}


def of_kind(found: Mapping[str, Reminder], prefix: str) -> list[Reminder]:
    return [r for k, r in found.items() if k.startswith(prefix)]


async def nudges(store: Store, day: datetime) -> tuple[Reminder, Reminder]:
    """Anna's and Bo's prep nudges of `day`."""
    found = await reminders(store)
    by_user: dict[str, Reminder] = {}
    async with store.transaction() as tx:
        for key, reminder in found.items():
            if key.startswith("prep:") and key.endswith(day.date().isoformat()):
                person = await tx.people.get(person_id=reminder.recipient_id)
                assert person is not None
                by_user[person.user_id] = reminder
    return by_user["U1"], by_user["U2"]


# ---------------------------------------------------------------- the scenario


async def test_plan_drafted_approved_changed_reapproved_and_followed_up(
    slack: SlackHarness, stub: StubSlack, store: Store, clock: ManualClock, sweeper: Sweeper
) -> None:
    await start_round(slack, stub)

    # -- the leader books Anna's conversation from the person card in /mus status
    card = await person_card(slack)
    assert "Anna Andersen" in card and "Book samtale" in card
    await book(slack, day="2026-12-08", time="10:00")
    [invite] = posts_to(stub, "D1")[-1:]
    assert "Lene Leder har booket din MUS-samtale til 8.12.2026 kl. 10.00" in stub.texts(invite)
    for dm in (
        "D1",
        "DL",
    ):  # the leader's own copy goes to the leader's DM: files are not ephemeral
        [(title, ics)] = uploads_to(stub, dm)
        assert b"BEGIN:VEVENT" in ics and b"DTSTART:20261208T090000Z" in ics, title
    assert "Samtalen med Anna Andersen er booket" in ephemeral_text(stub)
    booking = of_kind(await reminders(store), "booking:")
    assert [r.due_at for r in booking] == [cph("2026-12-07").astimezone(UTC)] * 2  # Monday 08:00

    # -- the sweeps as the scheduler would run them: prep nudges, then the day-before reminder
    for day in ("2026-12-01", "2026-12-03"):
        clock.set(cph(day))
        assert (await sweeper.sweep()).sent == 2  # Anna and Bo have not shared
    clock.set(cph("2026-12-07"))
    assert (await sweeper.sweep()).sent == 2
    assert "Husk din MUS-samtale 8.12.2026 kl. 10.00" in stub.texts(posts_to(stub, "D1")[-1])
    assert "MUS-samtale med Anna Andersen 8.12.2026" in stub.texts(posts_to(stub, "DL")[-1])

    # -- after the conversation the leader marks it held
    clock.set(cph("2026-12-08", "11:15"))
    await person_card(slack)
    await press_ephemeral(slack, user="UL", action="booking.held")
    assert "Er samtalen med Anna Andersen holdt?" in ephemeral_text(stub)
    assert "ikke kommet endnu" not in ephemeral_text(stub)  # 11.15, after the booked time
    await press_ephemeral(slack, user="UL", action="booking.held_confirm")
    assert "er markeret som holdt" in ephemeral_text(stub)
    assert "Lene Leder har markeret jeres MUS-samtale som holdt" in dm_text(stub, "D1")

    # -- the leader drafts the plan with the BUF fields: buttons and modals, then proposes
    await press_ephemeral(slack, user="UL", action="plan.open")
    assert "Der er ingen plan endnu" in ephemeral_text(stub)
    await press_ephemeral(slack, user="UL", action="plan.item")
    item_form = stub.calls_to("views.open")[-1]["view"]
    assert [b["block_id"] for b in item_form["blocks"] if b["type"] == "input"] == [
        "laeringsmaal",
        "tiltag",
        "stoette",
        "tidsplan",
        "waits",
    ]
    await fill_in(
        slack,
        user="UL",
        form="plan.item",
        values={
            "laeringsmaal": "Styrke sprogarbejdet",
            "tiltag": "Kursus i sprogarbejde",
            "stoette": "Kollega",
            "tidsplan": "Forår 2027, Anna",
            "waits": "no",
        },
    )
    assert "Styrke sprogarbejdet" in ephemeral_text(stub)
    await press_ephemeral(slack, user="UL", action="plan.followup")
    await fill_in(
        slack, user="UL", form="plan.followup", values={"follow_up_on": "2027-03-25"}
    )  # skærtorsdag
    assert "25.3.2027" in ephemeral_text(stub)
    await press_ephemeral(slack, user="UL", action="plan.propose")
    assert "sendt til godkendelse" in ephemeral_text(stub)
    assert "Lene Leder har sendt udviklingsplanen til din godkendelse" in dm_text(stub, "D1")

    # -- Bo cannot open Anna's plan with her button
    _, anna_button = in_dm(stub, "D1", "plan.open")
    await slack.click(
        user="U2",
        action_id="plan.open",
        value=anna_button["value"],
        channel="D2",
        message_ts="1700000000.000001",
    )
    await slack.settle()
    assert all("Styrke" not in stub.texts(c) for c in posts_to(stub, "D2"))

    # -- Anna approves from the DM notice: agreed, both signatures
    clock.set(cph("2026-12-09", "09:30"))
    await press_dm(slack, user="U1", action="plan.open")
    shown = dm_text(stub, "D1")
    assert "version 1 (til godkendelse)" in shown and "Styrke sprogarbejdet" in shown
    await press_dm(slack, user="U1", action="plan.approve")
    shown = dm_text(stub, "D1")
    assert "version 1 (aftalt)" in shown
    assert "Godkendt af Lene Leder den 8.12.2026" in shown
    assert "Godkendt af Anna Andersen den 9.12.2026" in shown
    assert "Udviklingsplanen er aftalt: Anna Andersen" in dm_text(stub, "DL")
    follow_ups = of_kind(await reminders(store), "followup:")
    # Skærtorsdag, langfredag, the weekend and 2. påskedag: Tuesday 30 March, 08:00 summer time.
    assert [r.due_at for r in follow_ups] == [datetime(2027, 3, 30, 6, 0, tzinfo=UTC)] * 2

    # -- Anna changes the agreed plan: revise, edit item 1, propose
    clock.set(cph("2027-01-11", "13:00"))
    await slack.command(user="U1", text="plan", channel="D1")
    await slack.settle()
    assert "version 1 (aftalt)" in dm_text(stub, "D1")
    await press_dm(slack, user="U1", action="plan.revise")
    assert "version 2 (kladde)" in dm_text(stub, "D1")
    await press_dm(slack, user="U1", action="plan.item", label="Ret punkt 1")
    edit = stub.calls_to("views.open")[-1]["view"]
    initial = {
        b["block_id"]: _initial(b["element"]) for b in edit["blocks"] if b["type"] == "input"
    }
    assert initial["laeringsmaal"] == "Styrke sprogarbejdet" and initial["tiltag"] == (
        "Kursus i sprogarbejde"
    )
    await fill_in(
        slack, user="U1", form="plan.item", values={"laeringsmaal": "Styrke sprog og leg"}
    )
    shown = dm_text(stub, "D1")  # the plan message is updated in place
    assert "Styrke sprog og leg" in shown and "Kursus i sprogarbejde" in shown
    await press_dm(slack, user="U1", action="plan.propose")
    assert "Anna Andersen har sendt udviklingsplanen til din godkendelse" in dm_text(stub, "DL")

    # -- the leader re-approves from the notice in the DM
    await press_dm(slack, user="UL", action="plan.open")
    shown = dm_text(stub, "DL")
    assert "version 2 (til godkendelse)" in shown and "Styrke sprog og leg" in shown
    await press_dm(slack, user="UL", action="plan.approve")
    assert "version 2 (aftalt)" in dm_text(stub, "DL")
    assert "Udviklingsplanen er aftalt: Lene Leder" in dm_text(stub, "D1")

    # -- the history keeps version 1; /mus plan shows the agreed plan; download attaches it
    await press_dm(slack, user="U1", action="plan.open")
    await press_dm(slack, user="U1", action="plan.history")
    history = dm_text(stub, "D1")
    assert "version 1 (tidligere version)" in history and "Styrke sprogarbejdet" in history
    assert "version 2 (aftalt)" in history and "Styrke sprog og leg" in history
    await slack.command(user="U1", text="plan", channel="D1")
    await slack.settle()
    mine = dm_text(stub, "D1")
    assert "version 2 (aftalt)" in mine and "Styrke sprog og leg" in mine
    assert "Godkendt af Anna Andersen den 11.1.2027" in mine and "Godkendt af Lene Leder" in mine
    await press_dm(slack, user="U1", action="plan.download")
    assert "Her er udviklingsplanen som dokument" in dm_text(stub, "D1")
    [(title, document), (pdf_title, pdf)] = uploads_to(stub, "D1")[-2:]
    text = document.decode("utf-8")
    assert title == "udviklingsplan.txt"
    assert pdf_title == "udviklingsplan.pdf" and pdf.startswith(b"%PDF-")
    assert "Styrke sprog og leg" in text and "Styrke sprogarbejdet" in text
    assert text.count("Godkendt af") == 4

    # -- the follow-up: nothing on the holidays or the weekend, nor before 08:00 on Tuesday
    before = len(stub.calls_to("chat.postMessage"))
    for moment in (
        cph("2027-03-25", "09:00"),  # skærtorsdag
        cph("2027-03-26", "10:00"),  # langfredag
        cph("2027-03-27", "10:00"),  # Saturday
        cph("2027-03-29", "10:00"),  # 2. påskedag
        cph("2027-03-30", "07:59"),
    ):
        clock.set(moment)
        result = await sweeper.sweep()
        assert (result.claimed, result.sent) == (0, 0), moment
    assert len(stub.calls_to("chat.postMessage")) == before
    clock.set(cph("2027-03-30", "08:00"))
    assert (await sweeper.sweep()).sent == 2
    assert (await sweeper.sweep()).sent == 0  # sent once
    assert "Opfølgning på din udviklingsplan" in stub.texts(posts_to(stub, "D1")[-1])
    leader_copy = stub.texts(posts_to(stub, "DL")[-1])
    assert "Opfølgning på udviklingsplanen for Anna Andersen" in leader_copy
    assert "Styrke sprog og leg" in leader_copy and "ikke startet" in leader_copy

    # -- Anna sets item 1 "under way" from the reminder itself
    clock.set(cph("2027-03-30", "08:20"))
    await press_dm(slack, user="U1", action="plan.status", label="1: i gang")
    assert "Status opdateret: i gang" in dm_text(stub, "D1")
    # -- Lene's copy says so, by name, with the new status (issue #15)
    lene_copy = stub.texts(posts_to(stub, "DL")[-1])
    assert "Anna Andersen har sat punkt 1 i udviklingsplanen til: i gang" in lene_copy
    assert "Styrke sprog og leg" in lene_copy and "i gang" in lene_copy
    # -- and both App Homes were brought up to date without anyone opening them
    homes = {c["user_id"]: c for c in stub.calls_to("views.publish")}
    assert {"U1", "UL"} <= set(homes)

    # -- the leader sees it in the plan from the status view
    await person_card(slack)
    await press_ephemeral(slack, user="UL", action="plan.open")
    assert "Punkt 1 · i gang" in ephemeral_text(stub)


# ---------------------------------------------------------------- rate limits and failures


async def test_retry_after_is_honoured_and_a_gone_user_fails_once(
    slack: SlackHarness, stub: StubSlack, store: Store, clock: ManualClock, sweeper: Sweeper
) -> None:
    await start_round(slack, stub)
    # Longer than the web client's own max_retry_wait (5 s): the client gives it to the outbox.
    stub.fail("chat.postMessage", status=429, retry_after=120, channel="D1")
    stub.fail("chat.postMessage", error="account_inactive", channel="D2")
    now = cph("2026-12-01")  # Tuesday, 3 days before the deadline: a prep nudge for each
    clock.set(now)
    result = await sweeper.sweep()
    assert (result.sent, result.retried, result.failed) == (0, 1, 1)
    assert len(posts_to(stub, "D1")) == 2  # the kickoff DM, and one 429: the client did not retry

    anna, bo = await nudges(store, now)
    assert anna.state == ReminderState.PENDING and anna.attempts == 1
    assert anna.due_at == now  # held, in its place: not sent before the Retry-After (below)
    assert anna.last_error is not None and "rate_limited" in anna.last_error
    assert bo.state == ReminderState.FAILED and bo.attempts == 1 and bo.last_error == "user_gone"

    clock.set(now + timedelta(seconds=119))
    assert (await sweeper.sweep()).claimed == 0
    clock.set(now + timedelta(seconds=120))
    assert (await sweeper.sweep()).sent == 1
    assert "din MUS-forberedelse skal være klar senest 4.12.2026" in stub.texts(
        posts_to(stub, "D1")[-1]
    )
    for later in (5, 60, 300):  # later sweeps that day: the failed one is not tried again
        clock.set(now + timedelta(minutes=later))
        assert (await sweeper.sweep()).claimed == 0
    assert len(posts_to(stub, "D2")) == 2  # the kickoff DM and the one refused nudge
    anna, bo = await nudges(store, now)
    assert anna.state == ReminderState.SENT and anna.attempts == 2
    assert bo.state == ReminderState.FAILED and bo.attempts == 1

    shown = await status(slack)
    assert "1 fejlet" in shown
    await press_ephemeral(slack, user="UL", action="reminder.list")
    assert (
        "til Bo Berg, 1.12.2026 kl. 08.00: fejlet – personen er ikke længere i arbejdsområdet"
        in ephemeral_text(stub)
    )


async def test_a_short_retry_after_is_waited_out_by_the_web_client(
    slack: SlackHarness, stub: StubSlack, store: Store, clock: ManualClock, sweeper: Sweeper
) -> None:
    """Within max_retry_wait (5 s) the SlackPort's client sleeps and retries by itself, so the
    outbox sees one successful send: the reminder is sent, not rescheduled."""
    await start_round(slack, stub)
    stub.fail("chat.postMessage", status=429, retry_after=1, channel="D1")
    now = cph("2026-12-01")
    clock.set(now)
    result = await sweeper.sweep()
    assert (result.sent, result.retried, result.failed) == (2, 0, 0)
    assert len(posts_to(stub, "D1")) == 3  # the kickoff DM, the 429, and the client's retry
    anna, _ = await nudges(store, now)
    assert anna.state == ReminderState.SENT and anna.attempts == 1 and anna.last_error is None


async def test_holding_the_conversation_takes_the_buttons_off_her_question_card(
    slack: SlackHarness, stub: StubSlack, clock: ManualClock
) -> None:
    """Issue 15: after the conversation is held her preparation is locked; the question card
    she left open says so in place, with no live buttons."""
    await start_round(slack, stub)
    await press_dm(slack, user="U1", action="prep.open")
    card_ts, _ = stub.latest("D1", action="prep.skip") or ("", {})
    assert card_ts
    await person_card(slack)
    await book(slack, day="2026-12-08", time="10:00")
    clock.set(cph("2026-12-08", "11:15"))
    await person_card(slack)
    await press_ephemeral(slack, user="UL", action="booking.held")
    await press_ephemeral(slack, user="UL", action="booking.held_confirm")
    card = stub.messages[("D1", card_ts)]
    assert "kan ikke længere ændres" in stub.texts_of(card)
    assert not [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
