"""Issue #15, stale buttons in Slack: the overview's "Del med min leder" is gone (chat.update)
once shared, and a button on a question card the person has moved past says so and shows
where they are now, last in the chat. Asserted on what the stand-in Slack received."""

from __future__ import annotations

from typing import Any

from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import slack, start_round  # noqa: F401 (fixture)
from tests.support.stub_slack import StubSlack


def _last(stub: StubSlack, dm: str) -> dict[str, Any]:
    return max((m for (ch, _), m in stub.messages.items() if ch == dm), key=lambda m: m["seq"])


async def _click(
    slack: SlackHarness,  # noqa: F811
    user: str,
    dm: str,
    ts: str,
    button: dict[str, Any],
) -> None:
    await slack.click(
        user=user, action_id=button["action_id"], value=button["value"], channel=dm, message_ts=ts
    )
    await slack.settle()


async def test_old_cards_say_they_are_done_and_share_disappears_once_shared(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    await start_round(slack, stub)
    ts, button = stub.latest("D1", action="prep.open") or ("", {})
    await _click(slack, "U1", "D1", ts, button)
    q1_ts, q1_skip = stub.latest("D1", action="prep.skip") or ("", {})
    await slack.event(message_im(user="U1", text="Første svar"))
    await slack.settle()

    # question 1's card is pressed after the answer moved Anna on to question 2
    await _click(slack, "U1", "D1", q1_ts, q1_skip)
    assert "Dette spørgsmål er du videre fra" in stub.texts_of(stub.messages[("D1", q1_ts)])
    assert "2/9" in stub.texts_of(_last(stub, "D1"))  # where she is, last in the chat

    for n in range(2, 10):
        await slack.event(message_im(user="U1", text=f"Svar {n}"))
        await slack.settle()
    review_ts, share = stub.latest("D1", action="prep.share") or ("", {})
    assert share
    await _click(slack, "U1", "D1", review_ts, share)
    updated = [c for c in stub.calls_to("chat.update") if c["ts"] == review_ts]
    assert updated, "the overview is redrawn in place"
    assert stub.latest("D1", action="prep.share") is None, "no live Del med min leder button"
    assert "Delt med din leder" in stub.texts_of(stub.messages[("D1", review_ts)])
