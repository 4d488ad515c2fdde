"""Issue #3, "Shown by": a whole MUS kickoff and one preparation, through Slack, end to end.

The real slack-bolt app runs behind the real aiohttp route and gets signed HTTP requests as
Slack would send them. The real Engine runs with the real flows and templates on the SQL store
(`store` from tests/conftest.py). Every Web API call the bot makes goes to the local stand-in
Slack, which records it. The test then asserts on what Slack would have received.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import (
    SCENARIO_FORM_BUDGET,
    SlackHarness,
    app_home_opened,
    message_im,
    slash_command,
    view_submission,
)
from tests.support.slack_signing import forged_headers, form_body, interactive_body, stale_headers
from tests.support.stub_slack import Call, StubSlack

TEAM = "C0TEAM"
INJECTION = "<!channel> <@UL> <https://evil.example|klik her>"


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def slack(
    stub: StubSlack, store: Store, settings: SlackSettings
) -> AsyncIterator[SlackHarness]:
    stub.add_user("UL", name="Lene Leder", is_admin=True)
    stub.add_user("U1", name="Anna Andersen")
    stub.add_user("U2", name="Bo Berg")
    stub.add_user("UB", name="Kalender-bot", is_bot=True)
    stub.add_user("UX", name="Xenia Udenfor")
    stub.members[TEAM] = ["UL", "U1", "U2", "UB"]
    engine = Engine(
        store=store, templates=TemplateLibrary(), clock=FixedClock(), settings=CoreSettings()
    )
    harness = await SlackHarness(
        bolt=build_slack_app(handler=engine, settings=settings, form_budget=SCENARIO_FORM_BUDGET),
        stub=stub,
    ).start()
    yield harness
    await harness.settle()
    await harness.close()


def epoch(day: str, time: str) -> int:
    local = datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=ZoneInfo("Europe/Copenhagen"))
    return int(local.timestamp())


def round_values(channel: str) -> dict[str, dict[str, Any]]:
    return {
        "channel": {"type": "conversations_select", "selected_conversation": channel},
        "members": {"type": "multi_users_select", "selected_users": []},
        "template": {"type": "static_select", "selected_option": {"value": "kk-buf"}},
        "kerneopgave": {"type": "plain_text_input", "value": f"Trygge rammer for børn {INJECTION}"},
        "udviklingsmaal": {"type": "plain_text_input", "value": "Sprogarbejde i alle grupper."},
        "kickoff_at": {
            "type": "datetimepicker",
            "selected_date_time": epoch("2026-11-25", "09:00"),
        },
        "prep_deadline": {"type": "datepicker", "selected_date": "2026-12-04"},
        "conversations_from": {"type": "datepicker", "selected_date": "2026-12-07"},
        "conversations_to": {"type": "datepicker", "selected_date": "2026-12-18"},
        "summary_at": {"type": "datetimepicker", "selected_date_time": None},
    }


def shown(call: Call, stub: StubSlack) -> str:
    return stub.texts(call)


def every_shown_text(stub: StubSlack) -> list[str]:
    """Every mrkdwn and fallback text the bot sent to Slack (messages, responses, views)."""
    texts: list[str] = []
    for call in stub.calls:
        if call.method in (
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
        ) or call.method.startswith("response_url:"):
            texts.append(str(call.get("text") or ""))
            blocks = call.get("blocks") or []
        elif call.method in ("views.open", "views.publish"):
            blocks = call["view"]["blocks"]
        else:
            continue
        for block in blocks:
            for text in [
                block.get("text"),
                *(block.get("fields") or []),
                *(block.get("elements") or []),
            ]:
                if isinstance(text, dict) and text.get("type") == "mrkdwn":
                    texts.append(text["text"])
    return texts


async def start_round(slack: SlackHarness, stub: StubSlack) -> None:
    await slack.command(user="UL", text="start", channel=TEAM)
    await slack.settle()
    (opened,) = stub.calls_to("views.open")
    view = opened["view"]
    assert view["callback_id"] == "round.start"
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["channel"]["initial_conversation"] == TEAM
    response = await slack.submit(user="UL", view=view, values=round_values(TEAM))
    assert response.status == 200
    assert "errors" not in await slack.ack_json(response)
    await slack.settle()


async def begin_preparation(slack: SlackHarness, stub: StubSlack) -> None:
    """After `start_round`: U1 opens the preparation and types the first answer, so she is a
    known person and the next question card is hers (what the statement-count tests count)."""
    ts, button = stub.latest("D1", action="prep.open") or ("", {})
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    await slack.event(message_im(user="U1", text="Første svar"))
    await slack.settle()


async def answer_by_button(
    slack: SlackHarness, stub: StubSlack, *, user: str, dm: str, text: str
) -> None:
    found = stub.latest(dm, action="prep.answer")
    assert found is not None, "no question with an answer button"
    ts, button = found
    opened_before = len(stub.calls_to("views.open"))
    await slack.click(
        user=user,
        action_id=button["action_id"],
        value=button.get("value", ""),
        channel=dm,
        message_ts=ts,
    )
    await slack.settle()
    opened = stub.calls_to("views.open")
    assert len(opened) == opened_before + 1
    view = opened[-1]["view"]
    assert json.loads(view["private_metadata"])["m"] == f"{dm}:{ts}"
    response = await slack.submit(
        user=user, view=view, values={"answer": {"type": "plain_text_input", "value": text}}
    )
    assert await slack.ack_json(response) == {}
    await slack.settle()


async def test_a_round_in_slack_from_start_to_status(slack: SlackHarness, stub: StubSlack) -> None:
    # -- the leader starts the round: kickoff in the channel, one DM per member, no bots
    await start_round(slack, stub)
    (kickoff,) = [c for c in stub.calls_to("chat.postMessage") if c["channel"] == TEAM]
    assert "Trygge rammer for børn &lt;!channel&gt; &lt;@UL&gt;" in shown(kickoff, stub)
    opened_dms = sorted(c["users"] for c in stub.calls_to("conversations.open"))
    assert opened_dms == ["U1", "U2"]
    first_dms = {
        c["channel"]: c for c in stub.calls_to("chat.postMessage") if c["channel"].startswith("D")
    }
    assert set(first_dms) == {"D1", "D2"}
    assert all("Lene Leder" in shown(c, stub) for c in first_dms.values())
    (confirmation,) = stub.calls_to("chat.postEphemeral")
    assert confirmation["channel"] == TEAM and confirmation["user"] == "UL"
    assert "2 medarbejdere" in shown(confirmation, stub)

    # -- Anna opens her prep from the DM and answers every question, alternating button+modal
    #    and typing in the DM; one answer tries to mention the whole channel
    found = stub.latest("D1", action="prep.open")
    assert found is not None
    ts, button = found
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    answered = 0
    for n in range(1, 30):
        if stub.latest("D1", action="prep.share") is not None:
            break
        if n % 2:
            text = f"Svar {n} via formular {INJECTION}" if n == 1 else f"Svar {n} via formular"
            await answer_by_button(slack, stub, user="U1", dm="D1", text=text)
        else:
            await slack.event(message_im(user="U1", text=f"Svar {n} skrevet i chatten"))
            await slack.settle()
        answered += 1
    assert answered == 9  # the kk-buf template's questions
    assert stub.calls_to("chat.update"), "questions are updated in place after a modal answer"

    # -- the review shows the answers (escaped), then Anna shares with her leader
    ts, share = stub.latest("D1", action="prep.share") or ("", {})
    review = next(m for (ch, t), m in stub.messages.items() if (ch, t) == ("D1", ts))
    review_text = json.dumps(review["blocks"], ensure_ascii=False)
    assert "Svar 1 via formular &lt;!channel&gt; &lt;@UL&gt;" in review_text
    assert "Svar 2 skrevet i chatten" in review_text
    await slack.click(
        user="U1", action_id=share["action_id"], value=share["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    notice = [c for c in stub.calls_to("chat.postMessage") if c["channel"] == "DL"]
    assert notice and "Anna Andersen" in shown(notice[-1], stub)

    # -- an outsider cannot open Anna's answer form with her button
    found = stub.latest("D1", action="prep.answer") or stub.latest("D1", action="prep.pick")
    assert found is not None
    opened_before = len(stub.calls_to("views.open"))
    await slack.click(
        user="UX",
        action_id="prep.answer",
        value=found[1]["value"],
        channel="DX",
        message_ts="1.1",
        ephemeral=True,
    )
    await slack.settle()
    assert len(stub.calls_to("views.open")) == opened_before
    assert "Svar 1" not in "\n".join(every_shown_text(stub)[-3:])

    # -- the leader's status: one of two has prepared
    await slack.command(user="UL", text="status", channel=TEAM)
    await slack.settle()
    status = [c for c in stub.calls if c.method.startswith("response_url:")][-1]
    assert status["response_type"] == "ephemeral"
    assert "1 af 2 har delt deres forberedelse" in shown(status, stub)

    # -- the Home tab
    await slack.event(app_home_opened(user="U1"))
    await slack.settle()
    home = stub.calls_to("views.publish")[-1]  # sharing already brought both Homes up to date
    assert home["user_id"] == "U1" and home["view"]["type"] == "home"

    # -- nowhere did a person's text become a live mention or link
    for text in every_shown_text(stub):
        assert "<!channel>" not in text and "<@UL>" not in text and "<https://evil" not in text


async def test_a_retried_delivery_changes_nothing(slack: SlackHarness, stub: StubSlack) -> None:
    await start_round(slack, stub)
    found = stub.latest("D1", action="prep.open")
    assert found is not None
    await slack.click(
        user="U1",
        action_id=found[1]["action_id"],
        value=found[1]["value"],
        channel="D1",
        message_ts=found[0],
    )
    await slack.settle()
    before = len(stub.calls)
    event = message_im(user="U1", text="Mit første svar")
    await slack.event(event, event_id="EvAnswer1")
    await slack.settle()
    after_first = len(stub.calls)
    assert after_first > before
    await slack.event(event, event_id="EvAnswer1", retry=1)
    await slack.event(event, event_id="EvAnswer1", retry=2)
    await slack.settle()
    assert len(stub.calls) == after_first  # no second "saved", no skipped question


async def test_web_api_errors_reach_the_leader_as_a_clear_message(
    slack: SlackHarness, stub: StubSlack
) -> None:
    # The bot was never invited to the team channel: Slack refuses every post there.
    stub.fail("chat.postMessage", error="not_in_channel", channel=TEAM, times=9)
    stub.fail("chat.postEphemeral", error="not_in_channel", channel=TEAM, times=9)
    await start_round(slack, stub)
    assert {c["channel"] for c in stub.calls_to("chat.postMessage")} >= {"D1", "D2"}
    to_leader = [shown(c, stub) for c in stub.calls_to("chat.postMessage") if c["channel"] == "DL"]
    assert any("ikke medlem af kanalen" in text for text in to_leader), to_leader
    assert all("not_in_channel" not in text for text in to_leader)


async def test_someone_who_may_not_lead_is_refused_politely(
    slack: SlackHarness, stub: StubSlack
) -> None:
    await slack.command(user="U2", text="start", channel=TEAM)
    await slack.settle()
    assert not stub.calls_to("views.open")
    (refusal,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert refusal["response_type"] == "ephemeral" and shown(refusal, stub).strip()


async def test_unknown_subcommand_answers_with_help(slack: SlackHarness, stub: StubSlack) -> None:
    await slack.command(user="U1", text="blabla", channel=TEAM)
    await slack.settle()
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert "/mus" in shown(answer, stub)


async def test_forged_and_stale_requests_start_nothing(
    slack: SlackHarness, stub: StubSlack, store: Store
) -> None:
    body = form_body(slash_command(stub=stub, user="UL", text="start", channel=TEAM))
    for headers in (forged_headers(body), stale_headers(body)):
        response = await slack.post(body, headers)
        assert response.status == 401
    view = {
        "callback_id": "round.start",
        "private_metadata": json.dumps({"f": "round.start", "s": "", "c": TEAM, "d": 0}),
    }
    submission = interactive_body(
        view_submission(stub=stub, user="UL", view=view, values=round_values(TEAM))
    )
    assert (await slack.post(submission, forged_headers(submission))).status == 401
    assert (await slack.post(submission, stale_headers(submission))).status == 401
    await slack.settle()
    assert stub.calls == []
    async with store.transaction() as tx:
        assert await tx.audit.entries() == []
