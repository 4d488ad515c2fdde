"""The outbox against Slack's global (workspace) limit: one pause for the whole sender.

The real slack-bolt app starts a round (the kickoff DMs go out through it), then prep nudges
are queued for five people, three each, due now. The stand-in Slack answers the first posts
in flight HTTP 429 with Retry-After, all at once, as Slack does when the workspace's limit is
reached. The outbox's sender (the Slack port `musbot run` gives it) must wait that out once
for everyone, send every refused message again, lose nothing, send nothing twice, and keep
each person's messages in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.inproc import ManualClock
from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from bot.outbox import Sweeper
from conversations.context import CoreSettings
from conversations.domain import ReminderState
from conversations.engine import Engine
from conversations.ports import Store
from conversations.reminders import PREP_NUDGE
from conversations.templates.library import TemplateLibrary
from tests.adapters.slack.harness import SlackHarness
from tests.adapters.slack.test_scenario import TEAM, round_values
from tests.support.stub_slack import StubSlack

PEOPLE = ["U1", "U2", "U3", "U4", "U5"]
EACH = 3
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Copenhagen


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def slack(
    stub: StubSlack, store: Store, settings: SlackSettings, clock: ManualClock
) -> AsyncIterator[SlackHarness]:
    stub.add_user("UL", name="Lene Leder", is_admin=True)
    for n, user in enumerate(PEOPLE):
        stub.add_user(user, name=f"Person {n}")
    stub.members[TEAM] = ["UL", *PEOPLE]
    engine = Engine(store=store, templates=TemplateLibrary(), clock=clock, settings=CoreSettings())
    harness = await SlackHarness(
        bolt=build_slack_app(handler=engine, settings=settings), stub=stub
    ).start()
    yield harness
    await harness.settle()
    await harness.close()


async def _start_round_and_queue_nudges(slack: SlackHarness, stub: StubSlack, store: Store) -> None:
    """A round kicked off now (the kickoff DMs go out), then three nudges each, due now."""
    await slack.command(user="UL", text="start", channel=TEAM)
    await slack.settle()
    (opened,) = stub.calls_to("views.open")
    values = round_values(TEAM)
    values["kickoff_at"] = {"type": "datetimepicker", "selected_date_time": None}
    await slack.submit(user="UL", view=opened["view"], values=values)
    await slack.settle()
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id=stub.team_id)
        (round_,) = await tx.rounds.open_in_workspace(workspace_id=ws.id)
        for i in range(EACH):
            for user in PEOPLE:
                person = await tx.people.get_by_user_id(workspace_id=ws.id, user_id=user)
                assert person is not None
                await tx.outbox.schedule(
                    key=f"test:{user}:{i}:{NOW.date().isoformat()}",
                    kind=PREP_NUDGE,
                    round_id=round_.id,
                    recipient_id=person.id,
                    subject_id=None,
                    due_at=NOW - timedelta(minutes=1) + timedelta(seconds=i),
                )


def _nudges_to(stub: StubSlack, channel: str) -> int:
    return sum(
        1
        for (where, _), message in stub.messages.items()
        if where == channel
        and "din MUS-forberedelse skal være klar senest" in stub.texts_of(message)
    )


async def test_a_global_429_pauses_the_whole_sender_once_and_loses_nothing(
    slack: SlackHarness, stub: StubSlack, store: Store, clock: ManualClock
) -> None:
    await _start_round_and_queue_nudges(slack, stub, store)
    posted_before = len(stub.messages)
    stub.limit_globally(requests=len(PEOPLE), retry_after=1)  # one post per person in flight
    sweeper = Sweeper(
        store=store,
        ports={"slack": slack.bolt.port.for_background()},  # as `musbot run` wires the outbox
        clock=clock,
        worker="w1",
    )

    result = await sweeper.sweep()

    # The stand-in refused one post to each person, all in flight at once ...
    assert sorted(call["channel"] for call in stub.rejected) == [
        "D" + u.removeprefix("U") for u in PEOPLE
    ]
    # ... and the sender paused once for all of them, then sent each refused message again,
    # in memory: no row went back to the database to be retried separately.
    assert (result.rate_limited, result.paused, result.retried) == (len(PEOPLE), 1, 0)
    # Nothing lost, nothing twice: every nudge reached its person exactly once.
    assert result.sent == len(PEOPLE) * EACH
    assert len(stub.messages) - posted_before == len(PEOPLE) * EACH
    for user in PEOPLE:
        assert _nudges_to(stub, "D" + user.removeprefix("U")) == EACH
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="slack", external_id=stub.team_id)
        (round_,) = await tx.rounds.open_in_workspace(workspace_id=ws.id)
        ours = [
            r for r in await tx.outbox.for_round(round_id=round_.id) if r.key.startswith("test:")
        ]
    assert {r.state for r in ours} == {ReminderState.SENT}
