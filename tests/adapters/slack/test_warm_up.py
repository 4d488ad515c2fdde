"""Bolt's `auth.test` is asked before serving, so a burst after a restart is acked at once.

Without the warm-up bolt asks it while the first request waits for its ack, and every
request arriving meanwhile asks again: after a restart under load, the first burst of events
was acked hundreds of milliseconds late (bench/README.md, issue 17).
"""

from __future__ import annotations

import asyncio

from conversations.messages import Reply
from tests.adapters.slack.conftest import FakeCore
from tests.adapters.slack.harness import SlackHarness, message_im
from tests.support.stub_slack import StubSlack


async def test_warm_up_asks_auth_test_once_before_the_first_event(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: Reply()
    await slack.bolt.warm_up()
    assert stub.methods() == ["auth.test"]
    responses = await asyncio.gather(
        *(slack.event(message_im(user=f"U{n}", text="hej")) for n in range(1, 21))
    )
    assert all(response.status == 200 for response in responses)
    await slack.settle()
    assert stub.methods().count("auth.test") == 1  # the burst asked nothing again
    assert len(core.events) == 20


async def test_a_failed_warm_up_leaves_bolt_to_ask_on_the_first_request(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: Reply()
    stub.fail("auth.test", status=500)
    await slack.bolt.warm_up()  # logged, not raised: the server still starts
    response = await slack.event(message_im(user="U1", text="hej"))
    assert response.status == 200
    await slack.settle()
    assert stub.methods().count("auth.test") == 2
    assert len(core.events) == 1
