"""Issue #15: a mention typed in an answer shows the person's name, and numbers the bot writes
are formatted for the reader's language. Asserted on what the stand-in Slack received."""

from __future__ import annotations

from conversations import i18n
from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import slack, start_round  # noqa: F401 (fixture)
from tests.support.stub_slack import StubSlack


async def test_a_mention_in_an_answer_shows_the_persons_name(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
) -> None:
    await start_round(slack, stub)
    ts, button = stub.latest("D1", action="prep.open") or ("", {})
    await slack.click(
        user="U1", action_id=button["action_id"], value=button["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    await slack.event(message_im(user="U1", text="Jeg vil gerne tale med <@UL> om det"))
    await slack.settle()
    ts, review = stub.latest("D1", action="prep.review") or ("", {})
    await slack.click(
        user="U1", action_id=review["action_id"], value=review["value"], channel="D1", message_ts=ts
    )
    await slack.settle()
    shown = "\n".join(stub.texts_of(m) for (ch, _), m in stub.messages.items() if ch == "D1")
    assert "Jeg vil gerne tale med @Lene Leder om det" in shown
    assert "tale med @UL " not in shown


def test_numbers_in_texts_are_formatted_for_the_reader() -> None:
    assert "20.000 tegn" in i18n.t("da", "error.too_long", length=20000, limit=3000)
    assert "3.000" in i18n.t("da", "error.too_long", length=20000, limit=3000)
    assert "20,000 characters" in i18n.t("en", "error.too_long", length=20000, limit=3000)
