"""Fifty modal submissions at once: every one acknowledged, every answer handled once, and
each person told the outcome (in the ack when the core was quick, afterwards when not)."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from adapters.slack.app import FORM_BUDGET, build_slack_app
from adapters.slack.config import SlackSettings
from conversations.events import FormEvent, InboundEvent
from conversations.messages import FormErrors, Message, Paragraph, Reply, ToActor
from tests.adapters.slack.conftest import FakeCore
from tests.adapters.slack.harness import SlackHarness
from tests.adapters.slack.test_app import submitted_view
from tests.support.stub_slack import StubSlack

PEOPLE = 50


async def test_fifty_concurrent_submissions_lose_nothing(
    stub: StubSlack, core: FakeCore, settings: SlackSettings
) -> None:
    stored: dict[str, str] = {}
    rng = random.Random(7)

    async def engine(event: InboundEvent) -> Reply:
        assert isinstance(event, FormEvent)
        # Some answers take longer than the budget, as a busy database would.
        await asyncio.sleep(rng.choice([0.0, FORM_BUDGET * 3]))
        value = event.values["answer"]
        if value == "bad":
            return Reply((FormErrors(errors={"answer": "Skriv mindst ét ord"}),))
        stored[event.actor.user_id] = value  # stored before the reply says so
        text = f"Gemt: {event.actor.user_id}"
        return Reply((Message(to=ToActor(), text=text, blocks=(Paragraph(text),)),))

    core.script = engine
    bolt = build_slack_app(handler=core, settings=settings)  # the production budget
    slack = await SlackHarness(bolt=bolt, stub=stub).start()
    try:
        users = [f"U{n:03d}" for n in range(PEOPLE)]
        values = {u: ("bad" if n % 5 == 0 else f"svar fra {u}") for n, u in enumerate(users)}
        responses = await asyncio.gather(
            *(
                slack.submit(
                    user=u,
                    view=submitted_view(message_ref=None),
                    values={"answer": {"type": "plain_text_input", "value": values[u]}},
                )
                for u in users
            )
        )
        acks = [await slack.ack_json(r) for r in responses]
        await slack.settle()
    finally:
        await slack.close()

    assert all(r.status == 200 for r in responses)
    assert sorted(e.actor.user_id for e in core.events) == users  # each handled once
    good = [u for u in users if values[u] != "bad"]
    assert stored == {u: values[u] for u in good}  # no answer lost
    calls = [
        c
        for method in ("chat.postMessage", "chat.postEphemeral", "chat.update")
        for c in stub.calls_to(method)
    ]
    for u, ack in zip(users, acks, strict=True):
        posted = " ".join(str(c.args) for c in calls if c.get("user") == u)
        if values[u] == "bad":
            # Errors in the ack (quick core), or a message that the form was not saved.
            assert ack.get("response_action") == "errors" or (
                ack == {} and "Skriv mindst" in posted
            )
        else:
            assert ack == {}
            assert f"Gemt: {u}" in posted


@pytest.mark.parametrize("stalled", [False, True])
async def test_time_a_submission_waited_before_its_listener_counts_against_the_budget(
    stub: StubSlack, core: FakeCore, settings: SlackSettings, stalled: bool
) -> None:
    """The budget runs from the request's arrival: a submission that waited in a stalled
    loop is acknowledged at once (the modal closes) and its outcome follows as a message,
    although the core alone answers within the budget (as it does, in the ack, unstalled)."""

    async def engine(event: InboundEvent) -> Reply:
        await asyncio.sleep(0.3)
        return Reply((FormErrors(errors={"answer": "Skriv mindst ét ord"}),))

    core.script = engine
    bolt = build_slack_app(handler=core, settings=settings, form_budget=0.5)

    async def stall(next: Any) -> None:  # bolt middleware: the loop is busy for 0.6 s
        time.sleep(0.6)  # noqa: ASYNC251 - the point: a blocked loop
        await next()

    if stalled:
        bolt.use(stall)
    slack = await SlackHarness(bolt=bolt, stub=stub).start()
    try:
        response = await slack.submit(
            user="U001",
            view=submitted_view(message_ref=None),
            values={"answer": {"type": "plain_text_input", "value": "bad"}},
        )
        ack = await slack.ack_json(response)
        await slack.settle()
    finally:
        await slack.close()
    if not stalled:
        assert ack.get("response_action") == "errors"
        return
    assert ack == {}  # not the errors: the core was not waited for
    posted = " ".join(
        str(c.args) for c in stub.calls_to("chat.postMessage") + stub.calls_to("chat.postEphemeral")
    )
    assert "Skriv mindst" in posted  # told afterwards, nothing silently dropped


async def test_a_form_that_closes_at_once_is_acked_before_the_core_runs(
    stub: StubSlack, core: FakeCore, settings: SlackSettings
) -> None:
    """A prep answer's modal (`Form.closes_at_once`) is acknowledged at once, however slow
    the core: the answer is stored after the ack and its reply follows as a message; an error
    found then says the form was not saved."""
    from dataclasses import replace

    from adapters.slack.render import FormOrigin, render_form
    from tests.adapters.slack.test_app import answer_form

    stored: dict[str, str] = {}

    async def engine(event: InboundEvent) -> Reply:
        assert isinstance(event, FormEvent)
        await asyncio.sleep(0.5)  # a slow database, far past the budget
        value = event.values["answer"]
        if value == "   ":
            return Reply((FormErrors(errors={"answer": "Skriv mindst ét ord"}),))
        assert isinstance(value, str)
        stored[event.actor.user_id] = value
        text = f"Gemt: {value}"
        return Reply((Message(to=ToActor(), text=text, blocks=(Paragraph(text),)),))

    core.script = engine
    bolt = build_slack_app(handler=core, settings=settings, form_budget=5.0)  # not waited for
    slack = await SlackHarness(bolt=bolt, stub=stub).start()
    view = render_form(
        replace(answer_form(), closes_at_once=True), origin=FormOrigin(channel_id="D1")
    )
    try:
        for user, value in (("U001", "Mit svar"), ("U002", "   ")):
            began = time.monotonic()
            response = await slack.submit(
                user=user,
                view=view,
                values={"answer": {"type": "plain_text_input", "value": value}},
            )
            assert await slack.ack_json(response) == {}
            assert time.monotonic() - began < 0.5  # acked before the core finished
            await slack.settle()
    finally:
        await slack.close()
    assert stored == {"U001": "Mit svar"}
    posted = " ".join(
        str(c.args) for c in stub.calls_to("chat.postMessage") + stub.calls_to("chat.postEphemeral")
    )
    assert "Gemt: Mit svar" in posted
    assert "Skriv mindst" in posted  # the late error is told, not dropped
