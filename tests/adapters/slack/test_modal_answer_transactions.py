"""Issue 17 on the real Slack path, for answers through the modal: the click on "Svar" is two
reads and no transaction or claim (it only opens the form: `Store.reading`), the submission
one transaction of at most four statements plus the short write that records where the next
question card went. No write forgets the answered card's key: the next card takes it over."""

from __future__ import annotations

import json

from conversations.ports import Store
from storage.db import SqlStore
from tests.adapters.slack.harness import SlackHarness, message_im
from tests.adapters.slack.test_scenario import (  # noqa: F401 (fixture)
    begin_preparation,
    slack,
    start_round,
)
from tests.storage.test_statement_counts import counting
from tests.support.stub_slack import StubSlack


async def test_a_modal_answer_on_slack_is_two_short_transactions_and_one_record(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
    store: Store,
) -> None:
    assert isinstance(store, SqlStore)
    await start_round(slack, stub)
    await begin_preparation(slack, stub)  # the person is known now
    for n in (2, 3):
        card_ts, button = stub.latest("D1", action="prep.answer") or ("", {})
        with counting(store) as click:
            await slack.click(
                user="U1",
                action_id=button["action_id"],
                value=button["value"],
                channel="D1",
                message_ts=card_ts,
            )
            await slack.settle()
        # The person, then their round with its form, session and answers; nothing written.
        assert len(click.statements) == 2, click.statements
        assert all(s.startswith("SELECT") for s in click.statements), click.statements
        view = stub.calls_to("views.open")[-1]["view"]
        assert json.loads(view["private_metadata"])["q"] == 1  # acked before the core runs
        with counting(store) as submit:
            response = await slack.submit(
                user="U1",
                view=view,
                values={"answer": {"type": "plain_text_input", "value": f"Svar {n} i modal"}},
            )
            assert await slack.ack_json(response) == {}
            await slack.settle()
        # The card the button sat on shows the saved answer, the next question follows.
        assert f"Svar {n} i modal" in stub.texts_of(stub.messages[("D1", card_ts)])
        assert (stub.latest("D1", action="prep.answer") or ("", {}))[0] != card_ts
        assert submit.transactions == 2, submit.statements
        writes = [s for s in submit.statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        assert not [s for s in writes if s.startswith("DELETE")], writes
        assert submit.work <= 5, submit.statements  # 4 for the answer, 1 for the card's ref
    # A typed answer after the modal ones still updates the current card in place.
    card_ts, _ = stub.latest("D1", action="prep.skip") or ("", {})
    await slack.event(message_im(user="U1", text="Skrevet efter modalen"))
    await slack.settle()
    assert "Skrevet efter modalen" in stub.texts_of(stub.messages[("D1", card_ts)])
