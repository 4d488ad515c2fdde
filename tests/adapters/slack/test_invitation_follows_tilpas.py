"""Issue #15, "After tilpas": an invitation already sent says "Du får 9 spørgsmål"; after the
leader adapts the form with `tilpas` to 10 questions, the invitation of each member who has
not started yet is updated in place (chat.update of that very message) to say 10, the number
their preparation then has. A member who has started keeps theirs untouched. Asserted on what
the stand-in Slack received and shows.
"""

from __future__ import annotations

from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import TEAM, slack, start_round
from tests.adapters.slack.test_team_adapts_the_form import _add_question, _button, _click
from tests.support.stub_slack import StubSlack

__all__ = ["slack"]  # the fixture: Lene leads, Anna (U1, D1) and Bo (U2, D2) are members


def _invitation(stub: StubSlack, dm: str) -> str:
    found = stub.latest(dm, action="prep.open")
    assert found is not None, f"no invitation in {dm}"
    return found[0]


async def test_sent_invitations_follow_the_adapted_question_count(
    slack: SlackHarness, stub: StubSlack
) -> None:
    await start_round(slack, stub)
    anna_ts, bo_ts = _invitation(stub, "D1"), _invitation(stub, "D2")
    assert "Du får 9 spørgsmål" in stub.texts_of(stub.messages[("D1", anna_ts)])
    assert "Du får 9 spørgsmål" in stub.texts_of(stub.messages[("D2", bo_ts)])

    # Bo starts preparing before the leader adapts the form: his invitation is history.
    await _click(slack, stub, user="U2", button=_button(stub, "prep.open"), where="D2")
    bo_before = dict(stub.messages[("D2", bo_ts)])

    await slack.command(user="UL", text="tilpas", channel=TEAM)
    await slack.settle()
    updates = len(stub.calls_to("chat.update"))
    await _add_question(
        slack, stub, theme="trivsel", text="Hvad giver dig energi lige nu?", priority=True
    )

    # Anna's invitation, the same message, now says 10; nothing new was posted to her.
    (updated,) = [c for c in stub.calls_to("chat.update")[updates:] if c["channel"] == "D1"]
    assert updated["ts"] == anna_ts
    anna_invitation = stub.texts_of(stub.messages[("D1", anna_ts)])
    assert "Du får 10 spørgsmål" in anna_invitation
    assert "Du får 9 spørgsmål" not in anna_invitation
    assert _invitation(stub, "D1") == anna_ts  # still her one invitation, with its button
    assert not [c for c in stub.calls_to("chat.update")[updates:] if c["channel"] == "D2"]
    assert stub.messages[("D2", bo_ts)]["blocks"] == bo_before["blocks"]

    # ... and her preparation, started from it, has the 10 questions it promised.
    await _click(slack, stub, user="U1", button=_button(stub, "prep.open"), where="D1")
    shown = [stub.texts_of(m) for (ch, _), m in stub.messages.items() if ch == "D1"]
    assert any("Du får 10 spørgsmål, ét ad gangen" in t for t in shown)
    assert any("1/10" in t for t in shown)


async def test_an_overview_drawn_over_a_question_card_is_never_overwritten_by_an_answer(
    slack: SlackHarness, stub: StubSlack
) -> None:
    """Bo opens his overview from the question card (drawn over it in place); the leader then
    adds a question, so Bo's next typed text answers a question. The answered card is posted
    below: the overview, which no longer is a question card, is left as it is."""
    await start_round(slack, stub)
    await _click(slack, stub, user="U2", button=_button(stub, "prep.open"), where="D2")
    card_ts, review = stub.latest("D2", action="prep.review") or ("", {})
    await slack.click(
        user="U2",
        action_id=review["action_id"],
        value=review["value"],
        channel="D2",
        message_ts=card_ts,
    )
    await slack.settle()
    overview = dict(stub.messages[("D2", card_ts)])
    assert "Oversigt" in stub.texts_of(overview) or "oversigt" in stub.texts_of(overview).lower()

    await slack.command(user="UL", text="tilpas", channel=TEAM)
    await slack.settle()
    await _add_question(
        slack, stub, theme="trivsel", text="Hvad giver dig energi lige nu?", priority=True
    )
    updates = len(stub.calls_to("chat.update"))
    await slack.event(message_im(user="U2", text="Et svar skrevet efter oversigten"))
    await slack.settle()
    assert not [c for c in stub.calls_to("chat.update")[updates:] if c["ts"] == card_ts]
    assert stub.messages[("D2", card_ts)]["blocks"] == overview["blocks"]
    shown = [stub.texts_of(m) for (ch, _), m in stub.messages.items() if ch == "D2"]
    assert any("Et svar skrevet efter oversigten" in t for t in shown)
