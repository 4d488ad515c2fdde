"""Issue #15 in the web chat: a typed answer updates the question card it answered (the same
message, its ref and place kept: the saved answer, no buttons) and the next question follows
below it, last; a reload shows the same. Driven through the web chat's routes and stream.
"""

from __future__ import annotations

from tests.adapters.webchat.conftest import Chat, button, start_round


async def test_a_typed_answer_updates_its_card_in_place(web_chat: Chat) -> None:
    c = web_chat
    anna, _ = await c.stream("anna")
    await start_round(c)
    invitation = await anna.message("Start forberedelsen")
    await c.press("anna", button(invitation, "prep.open"), entry=invitation)
    q1 = await anna.message("1/9")

    await c.say("anna", "Mit skrevne svar")
    # The next question is sent first, then the answered card is rewritten where it stands.
    q2 = await anna.message("2/9")
    updated = await anna.message("Mit skrevne svar")
    while updated["author"].get("bot") is not True:  # skip the echo of what she typed
        updated = await anna.message("Mit skrevne svar")
    assert updated["ref"] == q1["ref"] and updated["seq"] == q1["seq"], "the same message"
    assert "Gemt ✓" in str(updated["blocks"])
    assert updated["buttons"] == []
    assert q2["ref"] != q1["ref"] and q2["seq"] > q1["seq"]
    assert {b["action"] for b in q2["buttons"]} >= {"prep.skip", "prep.answer"}

    # What a reload shows: question 1 answered in its place, question 2 the last message.
    _, snapshot = await c.stream("anna")
    mine = [e for e in snapshot["entries"] if e["pane"] == "dm" and e["author"].get("bot")]
    assert mine[-1]["ref"] == q2["ref"]
    (card_1,) = [e for e in mine if e["ref"] == q1["ref"]]
    assert "Mit skrevne svar" in str(card_1["blocks"]) and card_1["buttons"] == []
