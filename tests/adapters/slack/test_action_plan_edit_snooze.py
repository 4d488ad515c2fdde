# ruff: noqa: F811  (the year scenario's fixtures are imported by name and used as parameters)
"""Issue #12 on Slack: the leader edits an agreement of the team's action plan (Skema 5), and an
owner puts their reminder off to tomorrow. The leader is told the truth about the team channel:
shared when the post went out, not shared when the bot is no longer in the channel.

The real slack-bolt app and Engine on the SQL store, the outbox Sweeper; every Web API call lands
on the stand-in Slack (the year scenario's fixtures).
"""

from __future__ import annotations

from adapters.inproc import ManualClock
from bot.outbox import Sweeper
from tests.adapters.slack.harness import SlackHarness
from tests.adapters.slack.test_plan_scenario import (
    _ephemeral_calls,
    cph,
    dm_text,
    posts_to,
    press_dm,
    press_ephemeral,
)
from tests.adapters.slack.test_scenario import TEAM
from tests.adapters.slack.test_year_scenario import (  # noqa: F401  (fixtures)
    PEOPLE,
    clock,
    command,
    fill,
    slack,
    start,
    summary_and_agreement,
    sweeper,
)
from tests.support import year
from tests.support.stub_slack import StubSlack


def answers_since(stub: StubSlack, seen: int) -> str:
    """Every ephemeral answer the leader got after the first `seen`."""
    return "\n".join(stub.texts(c) for c in _ephemeral_calls(stub)[seen:])


async def _agreement(slack: SlackHarness, clock: ManualClock) -> None:
    await start(slack, **year.YEAR_ONE)
    await summary_and_agreement(slack, clock, what="Fælles sprogdag")


async def test_an_edit_the_channel_did_not_get_is_not_called_shared(
    slack: SlackHarness, stub: StubSlack, clock: ManualClock, sweeper: Sweeper
) -> None:
    await _agreement(slack, clock)
    assert "Aftalen er gemt og delt i teamets kanal" in answers_since(stub, 0)
    stub.outside.add(TEAM)  # someone removed the bot from the channel
    posts = len(posts_to(stub, TEAM))
    await command(slack, "UL", "handleplan")
    seen = len(_ephemeral_calls(stub))
    await press_ephemeral(slack, user="UL", action="action.edit", label="Ret punkt 1")
    ack = await fill(
        slack, user="UL", form="action.edit", values={"due_on": "2027-02-22", "owners": ["U2"]}
    )
    assert "errors" not in ack, ack
    told = answers_since(stub, seen)
    assert "kom ikke frem til teamets kanal" in told
    assert "kanal har fået besked" not in told
    in_channel = [m for (where, _), m in stub.messages.items() if where == TEAM]
    assert in_channel and all("Ændret aftale" not in str(m) for m in in_channel)
    assert len(posts_to(stub, TEAM)) == posts + 1  # tried once, refused (not_in_channel)

    # The reminder follows the new date and owners all the same.
    clock.set(cph("2027-02-15", "08:00"))
    await sweeper.sweep()
    assert "ansvarlig for" not in dm_text(stub, "D2")
    clock.set(cph("2027-02-22", "08:00"))
    await sweeper.sweep()
    assert "du er ansvarlig for" in dm_text(stub, "D2")
    assert not [c for c in posts_to(stub, "D3") if "ansvarlig" in stub.texts(c)]


async def test_an_owner_snoozes_the_reminder_in_slack(
    slack: SlackHarness, stub: StubSlack, clock: ManualClock, sweeper: Sweeper
) -> None:
    await _agreement(slack, clock)
    clock.set(cph("2027-02-15", "08:00"))
    await sweeper.sweep()
    assert "du er ansvarlig for" in dm_text(stub, "D2")
    await press_dm(slack, user="U2", action="action.snooze")
    assert "16.2.2027 kl. 08.00" in dm_text(stub, "D2")
    before = len(posts_to(stub, "D2"))
    clock.set(cph("2027-02-16", "07:00"))
    await sweeper.sweep()
    assert len(posts_to(stub, "D2")) == before  # not before working hours
    clock.set(cph("2027-02-16", "08:00"))
    await sweeper.sweep()
    again = [stub.texts(c) for c in posts_to(stub, "D2")[before:]]
    assert any("Fælles sprogdag" in t for t in again), again
    assert PEOPLE["U2"]  # Bo Berg owns it
