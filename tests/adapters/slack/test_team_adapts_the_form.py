"""Issue #18, "Shown by", on the stand-in Slack: the team adapts the form between kickoff and
release. The leader adds two sub-questions and a priority question, removes one Skema 2
question, previews, splits the team in two sub-groups and releases; each member's preparation
holds exactly their sub-group's form; a question added after one member shared reaches that
member once; a non-leader cannot change the form.

The real slack-bolt app, the real Engine and flows on the SQL store; every assertion is on what
Slack (the stand-in) received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import SCENARIO_FORM_BUDGET, SlackHarness, message_im
from tests.support.stub_slack import Call, StubSlack

TEAM = "C0TEAM"


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
    stub.members[TEAM] = ["UL", "U1", "U2"]
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


def _shown(stub: StubSlack, call: Call) -> str:
    return stub.texts(call)


def _answers(stub: StubSlack) -> list[Call]:
    """Everything shown: posts, updates, ephemerals and response_url answers."""
    return [
        c
        for c in stub.calls
        if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        or c.method.startswith("response_url:")
    ]


def _button(stub: StubSlack, action: str, *, label: str | None = None) -> dict[str, Any]:
    """The newest button for `action` (and with `label`) the bot showed anywhere."""
    for call in reversed(_answers(stub)):
        for block in call.get("blocks") or []:
            if block.get("type") != "actions":
                continue
            for element in block.get("elements") or []:
                if element["action_id"].split("~~")[0] != action:
                    continue
                if label is None or element["text"]["text"] == label:
                    return dict(element)
    raise AssertionError(f"no {action} button shown")


async def _click(
    slack: SlackHarness, stub: StubSlack, *, user: str, button: dict[str, Any], where: str = TEAM
) -> None:
    await slack.click(
        user=user,
        action_id=button["action_id"],
        value=button.get("value", ""),
        channel=where,
        message_ts="1.1",
        ephemeral=where == TEAM,
    )
    await slack.settle()


def _view(stub: StubSlack) -> dict[str, Any]:
    view = stub.calls_to("views.open")[-1]["view"]
    assert isinstance(view, dict)
    return view


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


async def _submit(
    slack: SlackHarness, *, user: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    response = await slack.submit(user=user, view=view, values=values)
    assert response.status == 200
    ack = await slack.ack_json(response)
    await slack.settle()
    return ack


async def _start_held_round(slack: SlackHarness, stub: StubSlack) -> None:
    await slack.command(user="UL", text="start", channel=TEAM)
    await slack.settle()
    ack = await _submit(
        slack,
        user="UL",
        view=_view(stub),
        values={
            "channel": {"type": "conversations_select", "selected_conversation": TEAM},
            "members": {"type": "multi_users_select", "selected_users": []},
            "template": _select("toender"),
            "release": _select("later"),
            "kerneopgave": _text("Trygge rammer for børn."),
            "udviklingsmaal": _text("Sprogarbejde i alle grupper."),
            "kickoff_at": {"type": "datetimepicker", "selected_date_time": None},
            "prep_deadline": {"type": "datepicker", "selected_date": "2026-12-11"},
            "conversations_from": {"type": "datepicker", "selected_date": "2026-12-14"},
            "conversations_to": {"type": "datepicker", "selected_date": "2026-12-18"},
            "summary_at": {"type": "datetimepicker", "selected_date_time": None},
        },
    )
    assert "errors" not in ack, ack


async def _add_question(
    slack: SlackHarness, stub: StubSlack, *, theme: str, text: str, priority: bool = False
) -> None:
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.add"))
    ack = await _submit(
        slack,
        user="UL",
        view=_view(stub),
        values={
            "theme": _select(theme),
            "text": _text(text),
            "help": _text(""),
            "priority": _select("yes" if priority else "no"),
        },
    )
    assert "errors" not in ack, ack


def _dm_texts(stub: StubSlack, channel: str) -> list[str]:
    return [_shown(stub, c) for c in stub.calls_to("chat.postMessage") if c["channel"] == channel]


async def _prep_steps(slack: SlackHarness, stub: StubSlack, *, user: str, dm: str) -> list[str]:
    """The questions of a member's preparation, as their "jump to a question" list shows them."""
    await _click(slack, stub, user=user, button=_button(stub, "prep.review"), where=dm)
    await _click(slack, stub, user=user, button=_button(stub, "prep.pick"), where=dm)
    view = _view(stub)
    (select,) = [b for b in view["blocks"] if b.get("block_id") == "step"]
    return [o["text"]["text"] for o in select["element"]["options"]]


async def test_the_team_adapts_the_form_then_releases_it(
    slack: SlackHarness, stub: StubSlack
) -> None:
    await _start_held_round(slack, stub)
    # -- members hear the round started and that preparation opens soon; no prep button yet
    for dm in ("D1", "D2"):
        (first,) = _dm_texts(stub, dm)
        assert "Forberedelsen åbner snart" in first
        assert stub.latest(dm, action="prep.open") is None
    await slack.event(message_im(user="U1", text="Hej, kan jeg gå i gang?"))
    await slack.settle()
    assert "Forberedelsen åbner snart" in _dm_texts(stub, "D1")[-1]

    # -- the leader opens the round's form
    await slack.command(user="UL", text="tilpas", channel=TEAM)
    await slack.settle()
    overview = _shown(stub, _answers(stub)[-1])
    assert "ikke sendt ud endnu" in overview and "44 spørgsmål" in overview

    # -- a non-leader cannot change it, neither with the leader's buttons nor the command
    opened = len(stub.calls_to("views.open"))
    await _click(slack, stub, user="U2", button=_button(stub, "adapt.add"))
    assert len(stub.calls_to("views.open")) == opened
    assert "adgang" in _shown(stub, _answers(stub)[-1])
    await slack.command(user="U2", text="tilpas", channel=TEAM)
    await slack.settle()
    assert "leder for en aktiv MUS-runde" in _shown(stub, _answers(stub)[-1])
    await slack.command(user="UL", text="tilpas", channel=TEAM)
    await slack.settle()

    # -- two sub-questions and a priority question
    await _add_question(
        slack, stub, theme="faglighed", text="Hvordan bruger du den nye sprogmodel i praksis?"
    )
    await _add_question(
        slack, stub, theme="trivsel-samarbejde", text="Hvordan fungerer overleveringen?"
    )
    await _add_question(
        slack, stub, theme="faglighed", text="Hvad er vigtigst for dig i år?", priority=True
    )
    overview = _shown(stub, _answers(stub)[-1])
    assert "47 spørgsmål" in overview
    # the ★ question is listed first in its theme, as the employees will get it
    assert overview.index("★ Hvad er vigtigst for dig i år?") < overview.index(
        "Hvad er dine vigtigste synspunkter om faglighed"
    )

    # -- one Skema 2 question removed (the optional block keeps the rest)
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.parts"))
    view = _view(stub)
    choices = {
        b["block_id"]: _select(b["element"]["initial_option"]["value"])
        for b in view["blocks"]
        if b.get("type") == "input"
    }
    assert "keep-nye-loesninger" in choices and "keep-samskabelse" in choices
    choices["keep-nye-loesninger"] = _select("drop")
    assert "errors" not in await _submit(slack, user="UL", view=view, values=choices)
    overview = _shown(stub, _answers(stub)[-1])
    assert "44 spørgsmål" in overview  # 44 + 3 - 3 (a Skema 2 question has three parts)
    assert "fundet nye løsninger" not in overview

    # -- the preview shows the form as an employee meets it
    before = len(_answers(stub))
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.preview"))
    preview = "\n".join(_shown(stub, c) for c in _answers(stub)[before:])
    assert "Du får 44 spørgsmål" in preview
    assert preview.index("Hvad er vigtigst for dig i år?") < preview.index(
        "Hvordan bruger du den nye sprogmodel i praksis?"
    )
    assert "fundet nye løsninger" not in preview
    assert "Faglighed i opgaveløsningen · 1/44" in preview

    # -- two sub-groups: Anna with the pedagogues, Bo with the assistants
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.groups"))
    view = _view(stub)
    people = {
        b["label"]["text"]: b["block_id"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("member-")
    }
    assert set(people) == {"Anna Andersen", "Bo Berg"}
    values = {"name": _text("Pædagoger"), people["Anna Andersen"]: _select("new")}
    values[people["Bo Berg"]] = _select("team")
    assert "errors" not in await _submit(slack, user="UL", view=view, values=values)
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.groups"))
    view = _view(stub)
    values = {"name": _text("Medhjælpere"), people["Anna Andersen"]: _select("g1")}
    values[people["Bo Berg"]] = _select("new")
    assert "errors" not in await _submit(slack, user="UL", view=view, values=values)
    # the assistants' form gets a question of its own
    assert "Skema: Medhjælpere" not in _shown(stub, _answers(stub)[-1])  # we are on it
    await _add_question(
        slack, stub, theme="trivsel-samarbejde", text="Hvordan går det med vagtplanen?"
    )

    # -- release: each member is invited to their own form
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.release"))
    anna_invite, bo_invite = _dm_texts(stub, "D1")[-1], _dm_texts(stub, "D2")[-1]
    assert "Du får 44 spørgsmål" in anna_invite
    assert "Du får 45 spørgsmål" in bo_invite
    for user, dm in (("U1", "D1"), ("U2", "D2")):
        found = stub.latest(dm, action="prep.open")
        assert found is not None
        await _click(slack, stub, user=user, button=found[1], where=dm)

    anna_steps = await _prep_steps(slack, stub, user="U1", dm="D1")
    bo_steps = await _prep_steps(slack, stub, user="U2", dm="D2")
    assert len(anna_steps) == 44 and len(bo_steps) == 45
    assert anna_steps[0].startswith("1. Hvad er vigtigst for dig i år?")
    assert not any("vagtplanen" in s for s in anna_steps)
    assert [s for s in bo_steps if "vagtplanen" in s]
    assert not any("fundet nye løsninger" in s for s in anna_steps + bo_steps)
    unnumbered = [{s.split(". ", 1)[1][:60] for s in steps} for steps in (anna_steps, bo_steps)]
    assert unnumbered[0] < unnumbered[1]

    # -- Anna answers the first question and shares
    await _click(slack, stub, user="U1", button=_button(stub, "prep.goto"), where="D1")
    assert "Hvad er vigtigst for dig i år?" in _shown(stub, _answers(stub)[-1])
    await slack.event(message_im(user="U1", text="Sprogarbejdet betyder mest."))
    await slack.settle()
    await _click(slack, stub, user="U1", button=_button(stub, "prep.review"), where="D1")
    await _click(slack, stub, user="U1", button=_button(stub, "prep.share"), where="D1")
    assert "Anna Andersen" in _dm_texts(stub, "DL")[-1]

    # -- the answered question cannot be removed: no answer is ever lost
    await slack.command(user="UL", text="tilpas", channel=TEAM)
    await slack.settle()
    switch = _button(stub, "adapt.open", label="Skema: Pædagoger")
    await _click(slack, stub, user="UL", button=switch)
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.drop"))
    drop = await _submit(
        slack, user="UL", view=_view(stub), values={"question": _select("lokal-3")}
    )
    assert "allerede besvaret" in str(drop.get("errors"))

    # -- a question added now reaches Anna once, gently; Bo (another form, not shared) not
    before_d1, before_d2 = len(_dm_texts(stub, "D1")), len(_dm_texts(stub, "D2"))
    await _add_question(slack, stub, theme="andet", text="Hvad skal vi fejre i år?")
    new_for_anna = _dm_texts(stub, "D1")[before_d1:]
    assert len(new_for_anna) == 1
    assert "ét nyt spørgsmål" in new_for_anna[0] and "Hvad skal vi fejre i år?" in new_for_anna[0]
    assert len(_dm_texts(stub, "D2")) == before_d2
    # another change to the form does not send it again
    await _click(slack, stub, user="UL", button=_button(stub, "adapt.move"))
    await _submit(
        slack,
        user="UL",
        view=_view(stub),
        values={"question": _select("lokal-1"), "direction": _select("up")},
    )
    moved = _shown(stub, _answers(stub)[-1])
    assert moved.index("sprogmodel i praksis") < moved.index("synspunkter om faglighed")
    assert len(_dm_texts(stub, "D1")) == before_d1 + 1
    # the new question's id is new: Anna's answer stays under the question she answered
    await _click(slack, stub, user="U1", button=_button(stub, "prep.goto"), where="D1")
    card = _shown(stub, _answers(stub)[-1])
    assert "Hvad skal vi fejre i år?" in card and "Sprogarbejdet betyder mest." not in card
