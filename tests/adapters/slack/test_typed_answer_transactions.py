"""Issue 17 on the real Slack path: a typed answer is one transaction of at most four
statements, plus one short write after the next question card was posted (where that card
went, so the next typed answer can update it). Nothing else: no write to forget the answered
card's key, which the next card takes over. Counted with SQLAlchemy's event listeners."""

from __future__ import annotations

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


async def test_a_typed_answer_on_slack_is_one_transaction_and_one_record(
    slack: SlackHarness,  # noqa: F811
    stub: StubSlack,
    store: Store,
) -> None:
    assert isinstance(store, SqlStore)
    await start_round(slack, stub)
    await begin_preparation(slack, stub)  # the person is known now
    card_ts, _ = stub.latest("D1", action="prep.skip") or ("", {})
    with counting(store) as counter:
        await slack.event(message_im(user="U1", text="Andet svar"))
        await slack.settle()
    assert "Andet svar" in stub.texts_of(stub.messages[("D1", card_ts)])  # updated in place
    assert counter.transactions == 2, counter.statements
    writes = [s for s in counter.statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert not [s for s in writes if s.startswith("DELETE")], writes
    assert counter.work <= 5, counter.statements  # 4 for the answer, 1 for the card's ref
