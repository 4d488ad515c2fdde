"""Issue #13: confidential content stays out of Slack's chat history.

The leader learns from a DM that there is something to read; the answers themselves open in
a modal (views.open), which Slack keeps in no history, export or eDiscovery. No chat message
(chat.postMessage, chat.update, chat.postEphemeral or a response_url post) carries an answer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from bot.logsafe import CONTENT_LOGGERS, hold_content_loggers
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.ports import Store
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import SCENARIO_FORM_BUDGET, SlackHarness, message_im
from tests.adapters.slack.test_scenario import TEAM, FixedClock, start_round
from tests.support.stub_slack import StubSlack

SECRET = "FORTROLIGMARKØR"
CHAT_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


async def _harness(
    stub: StubSlack, store: Store, settings: SlackSettings, *, content_in_messages: bool
) -> SlackHarness:
    stub.add_user("UL", name="Lene Leder", is_admin=True)
    stub.add_user("U1", name="Anna Andersen")
    stub.add_user("U2", name="Bo Berg")
    stub.members[TEAM] = ["UL", "U1", "U2"]
    engine = Engine(
        store=store,
        templates=TemplateLibrary(),
        clock=FixedClock(),
        settings=CoreSettings(content_in_messages=content_in_messages),
    )
    return await SlackHarness(
        bolt=build_slack_app(handler=engine, settings=settings, form_budget=SCENARIO_FORM_BUDGET),
        stub=stub,
    ).start()


@pytest.fixture
async def private(
    stub: StubSlack, store: Store, settings: SlackSettings
) -> AsyncIterator[SlackHarness]:
    harness = await _harness(stub, store, settings, content_in_messages=False)
    yield harness
    await harness.settle()
    await harness.close()


def chat_texts(stub: StubSlack) -> str:
    return "\n".join(
        stub.texts(call)
        for call in stub.calls
        if call.method in CHAT_METHODS or call.method.startswith("response_url:")
    )


async def _prepare_and_share(slack: SlackHarness, stub: StubSlack) -> None:
    await start_round(slack, stub)
    found = stub.latest("D1", action="prep.open")
    assert found is not None
    ts, button = found
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    for n in range(30):
        if stub.latest("D1", action="prep.share") is not None:
            break
        await slack.event(message_im(user="U1", text=f"{SECRET} svar {n}"))
        await slack.settle()
    ts, share = stub.latest("D1", action="prep.share") or ("", {})
    await slack.click(
        user="U1", action_id=share["action_id"], value=share["value"], channel="D1", message_ts=ts
    )
    await slack.settle()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG everywhere, as MUSBOT_LOG_LEVEL=DEBUG would set it, with the bot's own hold."""
    saved = {name: logging.getLogger(name).level for name in CONTENT_LOGGERS}
    caplog.set_level(logging.DEBUG)
    hold_content_loggers()
    yield caplog
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def test_the_leader_reads_shared_prep_in_a_modal_not_a_message(
    private: SlackHarness, stub: StubSlack, debug_logs: pytest.LogCaptureFixture
) -> None:
    await _prepare_and_share(private, stub)
    # Anna's own review (her DM with the bot) is hers; the leader's side is what is checked.
    leader_chat = [c for c in stub.calls if c.method in CHAT_METHODS and c.get("channel") == "DL"]
    assert leader_chat, "the leader got a notice"
    assert all(SECRET not in stub.texts(c) for c in leader_chat)
    assert "Anna Andersen" in stub.texts(leader_chat[-1])

    found = stub.latest("DL", action="prep.view")
    assert found is not None
    ts, button = found
    modals_before = len(stub.calls_to("views.open"))
    posts_before = [c for c in stub.calls if c.method in CHAT_METHODS and c.get("channel") == "DL"]
    await private.click(
        user="UL", action_id=button["action_id"], value=button["value"], channel="DL", message_ts=ts
    )
    await private.settle()
    modals = stub.calls_to("views.open")[modals_before:]
    assert len(modals) == 1
    view = modals[0]["view"]
    assert view["type"] == "modal" and "submit" not in view
    assert SECRET in stub.texts(modals[0])
    posts_after = [c for c in stub.calls if c.method in CHAT_METHODS and c.get("channel") == "DL"]
    assert len(posts_after) == len(posts_before)  # nothing new was posted to the leader's DM
    leader_side = [
        c
        for c in stub.calls
        if (c.method in CHAT_METHODS and c.get("channel") != "D1")
        or c.method.startswith("response_url:")
    ]
    assert all(SECRET not in stub.texts(c) for c in leader_side)
    # slack_sdk and slack_bolt log whole request bodies at DEBUG: held back, nothing leaked.
    assert debug_logs.records and SECRET not in debug_logs.text


async def test_the_setting_restores_content_in_messages(
    stub: StubSlack, store: Store, settings: SlackSettings
) -> None:
    slack = await _harness(stub, store, settings, content_in_messages=True)
    try:
        await _prepare_and_share(slack, stub)
        found = stub.latest("DL", action="prep.view")
        assert found is not None
        ts, button = found
        await slack.click(
            user="UL",
            action_id=button["action_id"],
            value=button["value"],
            channel="DL",
            message_ts=ts,
        )
        await slack.settle()
        posted = [c for c in stub.calls if c.method in CHAT_METHODS and c.get("channel") == "DL"]
        assert SECRET in stub.texts(posted[-1])
    finally:
        await slack.settle()
        await slack.close()
