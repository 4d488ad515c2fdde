"""Issue #15: pressing "Start forberedelsen" keeps the invitation; the questions follow below it
and the current question is always the last message; an answer is confirmed on its own card,
not by a separate "Gemt ✓" message, whether it was typed or given in the form (a typed
answer updates the card it answered, found by its `Message.key`). Asserted on what the stand-in Slack received."""

from __future__ import annotations

from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import (  # noqa: F401 (fixture)
    answer_by_button,
    slack,
    start_round,
)
from tests.support.stub_slack import StubSlack


def dm_messages(stub: StubSlack, dm: str) -> list[dict]:  # type: ignore[type-arg]
    """The DM as Slack shows it: by ts (an update rewrites a message where it stands)."""
    return sorted((m for (ch, _), m in stub.messages.items() if ch == dm), key=lambda m: m["ts"])


async def test_the_invitation_stays_and_each_answer_is_confirmed_on_its_card(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    await start_round(slack, stub)
    ts, button = stub.latest("D1", action="prep.open") or ("", {})
    invitation = dict(stub.messages[("D1", ts)])
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    assert stub.messages[("D1", ts)]["blocks"] == invitation["blocks"], "invitation untouched"
    assert not [c for c in stub.calls_to("chat.update") if c["ts"] == ts]
    last = dm_messages(stub, "D1")[-1]
    assert "1/9" in stub.texts_of(last)

    # question 1 answered through its form: its card now shows the answer, question 2 below
    await answer_by_button(slack, stub, user="U1", dm="D1", text="Mit første svar")
    messages = dm_messages(stub, "D1")
    card_1 = next(m for m in messages if "Mit første svar" in stub.texts_of(m))
    assert "Gemt ✓" in stub.texts_of(card_1)
    assert not [e for b in card_1["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "2/9" in stub.texts_of(messages[-1])

    # typed answers: no separate "Gemt ✓" messages; the card of the question answered is
    # updated in place (chat.update: the saved answer, no live buttons), the next one below
    before = len(dm_messages(stub, "D1"))
    for n in range(2, 6):
        card_ts, _ = stub.latest("D1", action="prep.skip") or ("", {})
        updates = len(stub.calls_to("chat.update"))
        await slack.event(message_im(user="U1", text=f"Svar {n} skrevet i chatten"))
        await slack.settle()
        assert [c for c in stub.calls_to("chat.update")[updates:] if c["ts"] == card_ts]
        card = stub.messages[("D1", card_ts)]
        assert f"Svar {n} skrevet i chatten" in stub.texts_of(card)
        assert "Gemt ✓" in stub.texts_of(card)
        assert not [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert f"{n + 1}/9" in stub.texts_of(dm_messages(stub, "D1")[-1]), "current one last"
    messages = dm_messages(stub, "D1")
    assert len(messages) == before + 4  # one new card per question, nothing else
    assert not [m for m in messages if stub.texts_of(m).strip() in ("Gemt ✓", "Gemt ✓ Gemt ✓")]
    live = [m for m in messages if any(b["type"] == "actions" for b in m["blocks"])]
    assert [stub.texts_of(m) for m in live if "/9" in stub.texts_of(m)] == [
        stub.texts_of(messages[-1])
    ], "only the current question card has live buttons"


async def test_reopening_leaves_one_live_question_card(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    """Pressing "Start forberedelsen" again (or a stale button) posts the current question
    anew, last in the chat; the card shown before it loses its buttons in place."""
    await start_round(slack, stub)
    ts, button = stub.latest("D1", action="prep.open") or ("", {})
    for _ in range(2):
        await slack.click(
            user="U1",
            action_id=button["action_id"],
            value=button["value"],
            channel="D1",
            message_ts=ts,
        )
        await slack.settle()
    messages = dm_messages(stub, "D1")
    live = [m for m in messages if any(b["type"] == "actions" for b in m["blocks"])]
    questions = [m for m in live if "/9" in stub.texts_of(m)]
    assert [stub.texts_of(m) for m in questions] == [stub.texts_of(messages[-1])]
    assert any("Du fortsætter længere nede" in stub.texts_of(m) for m in messages)
