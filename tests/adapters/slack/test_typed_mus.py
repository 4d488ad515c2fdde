"""Text that begins with "MUS" is an answer while someone is answering (Slack DMs).

The core decides (conversations.router): typed text is a command only when its second word is
a known command, or when the person has no question open.
"""

from __future__ import annotations

import json

from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import slack, start_round  # noqa: F401 - the fixture
from tests.support.stub_slack import StubSlack

ANSWER = "MUS er for mig en god anledning til at tale om min udvikling"


async def test_mus_typed_during_prep_is_stored_as_the_answer(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    await start_round(slack, stub)
    found = stub.latest("D1", action="prep.open")
    assert found is not None
    ts, button = found
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    before = len(stub.calls)

    await slack.event(message_im(user="U1", text=ANSWER))
    await slack.settle()
    said = "\n".join(stub.texts(c) for c in stub.calls[before:])
    assert "»er«" not in said  # not the unknown command "er"

    # A known command typed mid-prep is still a command, and never an answer.
    await slack.event(message_im(user="U1", text="mus hjælp"))
    await slack.settle()

    found = stub.latest("D1", action="prep.review")
    assert found is not None
    ts, review_button = found
    await slack.click(
        user="U1",
        action_id=review_button["action_id"],
        value=review_button["value"],
        channel="D1",
        message_ts=ts,
    )
    await slack.settle()
    ts, _ = stub.latest("D1", action="prep.share") or ("", {})
    review = next(m for (ch, t), m in stub.messages.items() if (ch, t) == ("D1", ts))
    review_text = json.dumps(review["blocks"], ensure_ascii=False)
    assert ANSWER in review_text
    assert "mus hjælp" not in review_text


async def test_mus_with_an_unknown_word_is_a_command_when_no_question_is_open(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    await slack.event(message_im(user="U1", text="mus er der nogen?"))
    await slack.settle()
    assert "»er«" in "\n".join(stub.texts(c) for c in stub.calls if c.method == "chat.postMessage")
