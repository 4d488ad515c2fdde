"""Old, forged and unknown buttons through real Slack requests: a friendly answer, nothing else.

Buttons carry typed actions (`conversations.actions`). Whatever a click carries, the person
who clicked gets "this button is out of date" where they clicked, nothing is written, and no
request fails. And an answer to one person never rewrites the channel message they pressed.
"""

from __future__ import annotations

import json

from adapters.slack.render import strip_action_index
from conversations.actions import PrepReview, PrepSkip, unpack_button
from conversations.ports import Store
from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import TEAM, shown, slack, start_round
from tests.support.stub_slack import TEAM_ID, StubSlack

__all__ = ["slack"]  # the fixture, shared with the whole-round scenario

STALE_DA = "Den knap er forældet. Skriv /mus hjælp for at komme videre."


async def _open_prep(slack: SlackHarness, stub: StubSlack) -> tuple[str, dict[str, str]]:
    await start_round(slack, stub)
    found = stub.latest("D1", action="prep.open")
    assert found is not None
    ts, button = found
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    question = stub.latest("D1", action="prep.skip")
    assert question is not None
    return question


async def _answers(store: Store) -> int:
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id=TEAM_ID)
        anna = await tx.people.get_by_user_id(workspace_id=ws.id, user_id="U1")
        assert anna is not None
        [round_] = await tx.rounds.with_member(person_id=anna.id)
        return len(await tx.prep.answers(round_id=round_.id, person_id=anna.id))


async def test_a_stale_forged_or_unknown_button_gets_the_friendly_answer(
    slack: SlackHarness, stub: StubSlack, store: Store
) -> None:
    ts, skip = await _open_prep(slack, stub)
    pressed = unpack_button(strip_action_index(skip["action_id"]), skip["value"])
    assert isinstance(pressed, PrepSkip)
    moved = PrepSkip(round_id=pressed.round_id, index=pressed.index, step="spoergsmaal-der-gik")
    clicks = [
        ("prep.skip", moved.pack()),  # the question at that place is another one now
        ("prep.skip", "1:2:<!channel>"),  # tampered
        ("prep.skip", ""),  # emptied
        ("prep.skip", skip["value"] + ":9:9"),  # fields added
        ("prep.vanished", "1"),  # a button from a version of the bot that had it
    ]
    before = len(stub.calls_to("chat.postMessage"))
    for action_id, value in clicks:
        response = await slack.click(
            user="U1", action_id=action_id, value=value, channel="D1", message_ts=ts
        )
        assert response.status == 200
        await slack.settle()
    answers = [c for c in stub.calls_to("chat.postMessage")[before:] if c["channel"] == "D1"]
    assert [shown(c, stub).strip().splitlines()[0] for c in answers] == [STALE_DA] * len(clicks)
    assert await _answers(store) == 0  # nothing was skipped or saved
    # The real button still works afterwards.
    await slack.event(message_im(user="U1", text="Mit første svar"))
    await slack.settle()
    assert await _answers(store) == 1


async def test_an_answer_never_rewrites_the_channel_message_it_was_pressed_on(
    slack: SlackHarness, stub: StubSlack
) -> None:
    _ts, skip = await _open_prep(slack, stub)
    pressed = unpack_button(strip_action_index(skip["action_id"]), skip["value"])
    assert isinstance(pressed, PrepSkip)
    review = PrepReview(round_id=pressed.round_id).button("Oversigt")
    (kickoff,) = [c for c in stub.calls_to("chat.postMessage") if c["channel"] == TEAM]
    await slack.click(
        user="U1",
        action_id=review.action,
        value=review.value,
        channel=TEAM,
        message_ts=kickoff.get("ts") or "1700000000.000100",
    )
    await slack.settle()
    assert not [c for c in stub.calls_to("chat.update") if c["channel"] == TEAM]
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert answer["response_type"] == "ephemeral" and not answer.get("replace_original")


async def test_a_form_whose_state_was_tampered_with_saves_nothing(
    slack: SlackHarness, stub: StubSlack, store: Store
) -> None:
    ts, _ = await _open_prep(slack, stub)
    answer = stub.latest("D1", action="prep.answer")
    assert answer is not None
    await slack.click(
        user="U1",
        action_id=answer[1]["action_id"],
        value=answer[1]["value"],
        channel="D1",
        message_ts=ts,
    )
    await slack.settle()
    view = dict(stub.calls_to("views.open")[-1]["view"])
    metadata = json.loads(view["private_metadata"])
    metadata["s"] = metadata["s"].replace(":", ":9", 1)  # another question's position
    view["private_metadata"] = json.dumps(metadata)
    before = len(stub.calls_to("chat.postMessage"))
    response = await slack.submit(
        user="U1", view=view, values={"answer": {"type": "plain_text_input", "value": "Svar"}}
    )
    assert response.status == 200 and await slack.ack_json(response) == {}
    await slack.settle()
    (told,) = [c for c in stub.calls_to("chat.postMessage")[before:] if c["channel"] == "D1"]
    assert STALE_DA in shown(told, stub)
    assert await _answers(store) == 0
