"""Issue #15: the bot is not in the team channel. The form says so, by the channel's name and
how to add the bot; a kickoff post that still fails is not reported as sent, and the leader can
send it again once the bot is in. Asserted on what the stand-in Slack received."""

from __future__ import annotations

from typing import Any

from tests.adapters.slack.harness import SlackHarness
from tests.adapters.slack.test_scenario import TEAM, round_values, slack  # noqa: F401 (fixture)
from tests.support.stub_slack import StubSlack


async def _open_and_submit(slack: SlackHarness, stub: StubSlack) -> dict[str, Any]:  # noqa: F811
    await slack.command(user="UL", text="start", channel=TEAM)
    await slack.settle()
    view = stub.calls_to("views.open")[-1]["view"]
    response = await slack.submit(user="UL", view=view, values=round_values(TEAM))
    answer = await slack.ack_json(response)
    await slack.settle()
    return answer


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements") or []]


async def test_the_form_says_the_bot_is_not_in_the_channel_and_how_to_add_it(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    stub.channel_names[TEAM] = "team-a"
    stub.outside.add(TEAM)
    answer = await _open_and_submit(slack, stub)
    assert answer["response_action"] == "errors"
    error = answer["errors"]["channel"]
    assert "#team-a" in error and "/invite @MUS-bot" in error
    assert TEAM not in error
    # nothing started: no kickoff, no DMs, so the leader can simply submit again
    assert not stub.calls_to("chat.postMessage")

    stub.outside.discard(TEAM)
    answer = await _open_and_submit(slack, stub)
    assert "errors" not in answer
    assert [c for c in stub.calls_to("chat.postMessage") if c["channel"] == TEAM]
    told = " ".join(stub.texts(c) for c in stub.calls_to("chat.postEphemeral"))
    assert "Opstartsbeskeden er sendt til #team-a" in told


async def test_a_kickoff_that_fails_later_is_told_truthfully_and_can_be_sent_again(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    stub.channel_names[TEAM] = "team-a"
    stub.fail("chat.postMessage", error="not_in_channel", channel=TEAM)
    answer = await _open_and_submit(slack, stub)
    assert "errors" not in answer
    told = [stub.texts(c) for c in stub.calls_to("chat.postEphemeral")]
    everything = " ".join(told)
    assert "kom ikke frem til #team-a" in everything
    assert "Kanalen har fået opstartsbeskeden" not in everything
    assert "2 medarbejdere" in everything  # the round did start, the DMs went out
    resend = [
        (call, button)
        for call in stub.calls_to("chat.postEphemeral")
        for button in _buttons(call.get("blocks") or [])
        if button["text"]["text"] == "Send opstartsbeskeden igen"
    ]
    assert len(resend) == 1
    _, button = resend[0]

    # an employee pressing the leader's button gets nothing posted
    await slack.click(
        user="U1",
        action_id=button["action_id"],
        value=button["value"],
        channel=TEAM,
        message_ts="1.1",
        ephemeral=True,
    )
    await slack.settle()
    assert not [m for (where, _), m in stub.messages.items() if where == TEAM]

    await slack.click(
        user="UL",
        action_id=button["action_id"],
        value=button["value"],
        channel=TEAM,
        message_ts="1.1",
        ephemeral=True,
    )
    await slack.settle()
    kickoffs = [m for (where, _), m in stub.messages.items() if where == TEAM]
    assert len(kickoffs) == 1 and "Trygge rammer for børn" in str(kickoffs[0]["blocks"])
    after = " ".join(
        stub.texts(c)
        for c in stub.calls
        if c.method == "chat.postEphemeral" or c.method.startswith("response_url:")
    )
    assert "Opstartsbeskeden er sendt til #team-a" in after
