"""The bolt app over real HTTP with signed requests, a stand-in core and the stand-in Slack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from adapters.slack.render import FormOrigin, render_form
from conversations.events import ButtonEvent, CommandEvent, FormEvent, InboundEvent, TextEvent
from conversations.messages import (
    Attachment,
    Button,
    DateTimeInput,
    Form,
    FormErrors,
    HomeView,
    Message,
    Paragraph,
    Quote,
    Reply,
    TextInput,
    ToActor,
    ToChannel,
    ToPerson,
)
from tests.adapters.slack.conftest import FakeCore
from tests.adapters.slack.harness import (
    SlackHarness,
    app_home_opened,
    message_im,
    slash_command,
)
from tests.support.slack_signing import (
    event_body,
    forged_headers,
    form_body,
    interactive_body,
    signed_headers,
    stale_headers,
    tampered_headers,
)
from tests.support.stub_slack import StubSlack


def say(text: str, **kwargs: Any) -> Reply:
    return Reply((Message(to=ToActor(), text=text, blocks=(Paragraph(text),), **kwargs),))


def answer_form(state: str = "7:0:q1:q") -> Form:
    return Form(
        id="prep.answer",
        title="Spørgsmål 1 af 3",
        submit_label="Gem",
        state=state,
        inputs=(TextInput(id="answer", label="Dit svar", multiline=True),),
    )


# ---------------------------------------------------------------- signatures


@pytest.mark.parametrize("make_headers", [forged_headers, stale_headers, tampered_headers])
@pytest.mark.parametrize("kind", ["command", "action", "event"])
async def test_bad_or_stale_signature_is_401_and_changes_nothing(
    slack: SlackHarness, stub: StubSlack, core: FakeCore, make_headers: Any, kind: str
) -> None:
    if kind == "command":
        body = form_body(slash_command(stub=stub, user="U1", text="start"))
        headers = make_headers(body)
    elif kind == "action":
        body = interactive_body(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "prep.share", "value": "1"}],
                "trigger_id": "t",
            }
        )
        headers = make_headers(body)
    else:
        body = event_body(
            {
                "type": "event_callback",
                "team_id": "T0MUS",
                "event_id": "Ev1",
                "event": message_im(user="U1", text="hej"),
            }
        )
        headers = make_headers(body, content_type="application/json")
    response = await slack.post(body, headers)
    assert response.status == 401
    await slack.settle()
    assert core.received == 0 and stub.calls == []


async def test_unsigned_request_is_401(slack: SlackHarness, core: FakeCore) -> None:
    body = form_body(slash_command(stub=slack.stub, user="U1"))
    response = await slack.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 401 and core.received == 0


async def test_url_verification_challenge(slack: SlackHarness) -> None:
    body = event_body({"type": "url_verification", "challenge": "c-123", "token": "x"})
    response = await slack.post(body, signed_headers(body, content_type="application/json"))
    assert response.status == 200 and "c-123" in await response.text()


# ---------------------------------------------------------------- commands


async def test_command_is_acked_before_slow_work_and_answered_ephemerally(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    release = asyncio.Event()
    finished: list[bool] = []

    async def slow(event: InboundEvent) -> Reply:
        await release.wait()  # the core is busy until the ack has been seen
        finished.append(True)
        return say("Hjælp til <!channel> & <@U0BOSS>")

    core.script = slow
    try:
        response = await asyncio.wait_for(slack.command(user="U1", text="hjælp", channel="C1"), 10)
        assert response.status == 200 and await response.text() == ""
        assert not finished  # the ack did not wait for the core
    finally:
        release.set()
    await slack.settle()
    (event,) = core.events
    assert isinstance(event, CommandEvent) and event.text == "hjælp"
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["blocks"][0]["text"]["text"] == "Hjælp til &lt;!channel&gt; &amp; &lt;@U0BOSS&gt;"
    assert "chat.postMessage" not in stub.methods()  # nothing public in the channel


async def test_command_in_the_bots_dm_posts_real_messages(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: say("Spørgsmål 1", buttons=(Button("Svar", "prep.answer", "1"),))
    await slack.command(user="U1", text="forbered", channel="D1")
    await slack.settle()
    assert stub.methods() == ["auth.test", "conversations.open", "chat.postMessage"]
    assert stub.calls_to("chat.postMessage")[0]["channel"] == "D1"


async def test_command_in_someone_elses_dm_stays_ephemeral(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: say("Hjælp")
    await slack.command(user="U1", text="", channel="D0COLLEAGUE")
    await slack.settle()
    assert "chat.postMessage" not in stub.methods()
    assert any(m.startswith("response_url:") for m in stub.methods())


async def test_command_form_opens_a_modal_with_the_trigger(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    stub.add_user("U1", tz="America/New_York", locale="en-US", is_admin=True)
    core.script = lambda event: Reply(
        (
            Form(
                id="round.start",
                title="New round",
                submit_label="Start",
                inputs=(DateTimeInput(id="kickoff_at", label="Kickoff"),),
            ),
        )
    )
    body = slash_command(stub=stub, user="U1", text="start", channel="C1")
    await slack.post(form_body(body), signed_headers(form_body(body)))
    await slack.settle()
    (opened,) = stub.calls_to("views.open")
    assert opened["trigger_id"] == body["trigger_id"]
    metadata = json.loads(opened["view"]["private_metadata"])
    assert metadata == {"f": "round.start", "s": "", "c": "C1", "d": 0, "z": "America/New_York"}


async def test_expired_trigger_tells_the_person(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    stub.fail("views.open", error="expired_trigger_id")
    core.script = lambda event: Reply((answer_form(),))
    await slack.command(user="U1", text="start", channel="C1")
    await slack.settle()
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert "Prøv venligst igen" in answer["text"]


async def test_a_file_for_the_actor_goes_to_their_dm_never_the_channel(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    plan = Attachment(filename="plan.txt", content=b"Udviklingsplan", mime_type="text/plain")
    core.script = lambda event: say("Din plan", attachments=(plan,))
    await slack.command(user="U1", text="plan", channel="C1")
    await slack.settle()
    assert "chat.postMessage" not in stub.methods()
    (complete,) = stub.calls_to("files.completeUploadExternal")
    assert complete["channel_id"] == "D1"


# ---------------------------------------------------------------- buttons


async def posted_question(slack: SlackHarness) -> str:
    """A question message the bot posted in the person's DM; returns its ts."""
    ref = await slack.bolt.port.send(
        workspace_id="T0MUS", message=Message(to=ToPerson("U1"), text="Spørgsmål 1")
    )
    assert ref is not None
    return ref.split(":")[1]


async def test_button_in_dm_updates_the_message_in_place(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    ts = await posted_question(slack)
    core.script = lambda event: say("Spørgsmål 2", replaces=event.context.message_ref)
    calls_before = len(stub.calls)
    await slack.click(user="U1", action_id="prep.skip~~1", value="7:0", channel="D1", message_ts=ts)
    await slack.settle()
    (event,) = core.events
    assert isinstance(event, ButtonEvent) and (event.action, event.value) == ("prep.skip", "7:0")
    assert event.context.message_ref == f"D1:{ts}"
    assert [c.method for c in stub.calls[calls_before:]] == ["auth.test", "chat.update"]
    assert stub.messages[("D1", ts)]["text"] == "Spørgsmål 2"


async def test_button_on_an_ephemeral_message_replaces_it_via_response_url(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: say("Opdateret", replaces=event.context.message_ref)
    await slack.click(
        user="U1",
        action_id="status.show",
        value="1",
        channel="C1",
        message_ts="5.5",
        ephemeral=True,
    )
    await slack.settle()
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    assert "chat.update" not in stub.methods()


async def test_private_answer_to_a_channel_button_never_edits_the_channel_message(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: say("Kun til dig", replaces=event.context.message_ref)
    await slack.click(user="U2", action_id="round.join", value="1", channel="C1", message_ts="5.5")
    await slack.settle()
    assert "chat.update" not in stub.methods() and "chat.postMessage" not in stub.methods()
    (answer,) = [c for c in stub.calls if c.method.startswith("response_url:")]
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"


async def test_home_tab_button_answers_in_the_dm(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: say("Lad os fortsætte")
    await slack.click(user="U1", action_id="prep.open", value="7", home=True)
    await slack.settle()
    assert stub.methods() == ["auth.test", "conversations.open", "chat.postMessage"]
    assert stub.calls_to("chat.postMessage")[0]["channel"] == "D1"


async def test_button_form_opens_with_its_origin(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: Reply((answer_form(),))
    await slack.click(
        user="U1", action_id="prep.answer", value="7:0", channel="D1", message_ts="3.3"
    )
    await slack.settle()
    (opened,) = stub.calls_to("views.open")
    assert json.loads(opened["view"]["private_metadata"]) == {
        "f": "prep.answer",
        "s": "7:0:q1:q",
        "c": "D1",
        "m": "D1:3.3",
    }
    assert "users.info" not in stub.methods()  # no datetime input, no profile needed


# ---------------------------------------------------------------- form submissions


def submitted_view(*, message_ref: str | None = "D1:3.3") -> dict[str, Any]:
    return render_form(answer_form(), origin=FormOrigin(channel_id="D1", message_ref=message_ref))


async def test_form_errors_are_answered_in_the_ack(slack: SlackHarness, core: FakeCore) -> None:
    core.script = lambda event: Reply((FormErrors(errors={"answer": "Skriv mindst ét ord"}),))
    response = await slack.submit(
        user="U1",
        view=submitted_view(),
        values={"answer": {"type": "plain_text_input", "value": " "}},
    )
    assert await slack.ack_json(response) == {
        "response_action": "errors",
        "errors": {"answer": "Skriv mindst ét ord"},
    }
    (event,) = core.events
    assert (
        isinstance(event, FormEvent) and event.form == "prep.answer" and event.state == "7:0:q1:q"
    )


async def test_submission_answer_updates_the_message_the_form_came_from(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    ts = await posted_question(slack)
    core.script = lambda event: say("Spørgsmål 2", replaces=event.context.message_ref)
    response = await slack.submit(
        user="U1",
        view=submitted_view(message_ref=f"D1:{ts}"),
        values={"answer": {"type": "plain_text_input", "value": "Godt <!here>"}},
    )
    assert response.status == 200 and await slack.ack_json(response) == {}
    await slack.settle()
    (event,) = core.events
    assert isinstance(event, FormEvent) and event.values == {"answer": "Godt <!here>"}
    assert stub.calls_to("chat.update")[0]["ts"] == ts


async def test_submission_answered_with_a_form_updates_the_modal(
    slack: SlackHarness, core: FakeCore
) -> None:
    core.script = lambda event: Reply((answer_form(state="7:1:q2:q"),))
    response = await slack.submit(
        user="U1",
        view=submitted_view(),
        values={"answer": {"type": "plain_text_input", "value": "x"}},
    )
    body = await slack.ack_json(response)
    assert body["response_action"] == "update"
    assert json.loads(body["view"]["private_metadata"])["s"] == "7:1:q2:q"


async def test_slow_submission_closes_the_modal_and_answers_afterwards(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    release = asyncio.Event()
    finished: list[bool] = []

    async def slow(event: InboundEvent) -> Reply:
        await release.wait()  # busy past the fixture's budget of 1 s
        finished.append(True)
        return Reply((FormErrors(errors={"answer": "For langt"}),))

    core.script = slow
    try:
        response = await slack.submit(
            user="U1",
            view=submitted_view(),
            values={"answer": {"type": "plain_text_input", "value": "x"}},
        )
        assert await slack.ack_json(response) == {}
        assert not finished  # the modal was closed before the core was done
    finally:
        release.set()
    await slack.settle()
    (post,) = stub.calls_to("chat.postMessage")
    assert post["channel"] == "D1" and "For langt" in stub.texts(post)


# ---------------------------------------------------------------- events


async def test_dm_text_reaches_the_core_and_is_answered_in_the_dm(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: Reply(
        (Message(to=ToActor(), text="Gemt", blocks=(Quote(event.text, label="Dit svar"),)),)
        if isinstance(event, TextEvent)
        else ()
    )
    response = await slack.event(
        message_im(user="U1", text="Jeg vil lære &lt;!channel&gt; <!channel>")
    )
    assert response.status == 200
    await slack.settle()
    (event,) = core.events
    assert isinstance(event, TextEvent) and event.text == "Jeg vil lære <!channel> @channel"
    (post,) = stub.calls_to("chat.postMessage")
    assert post["channel"] == "D1" and "conversations.open" not in stub.methods()
    assert (
        post["blocks"][0]["text"]["text"] == "*Dit svar*\n>Jeg vil lære &lt;!channel&gt; @channel"
    )


async def test_bot_messages_and_edits_are_ignored(slack: SlackHarness, core: FakeCore) -> None:
    for extra in ({"bot_id": "BMUS"}, {"subtype": "message_changed"}):
        response = await slack.event({**message_im(user="U1", text="hej"), **extra})
        assert response.status == 200
    await slack.settle()
    assert core.received == 0


async def test_redelivered_event_is_handled_once(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    release = asyncio.Event()

    async def slow(event: InboundEvent) -> Reply:
        await release.wait()  # still running while the retries arrive
        return say("Gemt")

    core.script = slow
    event = message_im(user="U1", text="mit svar")
    try:
        first = await slack.event(event, event_id="EvSame")
        retry = await slack.event(event, event_id="EvSame", retry=1)  # while the first runs
        later = await slack.event(event, event_id="EvSame", retry=2)
        assert [first.status, retry.status, later.status] == [200, 200, 200]
    finally:
        release.set()
    await slack.settle()
    assert core.received == 1
    assert len(stub.calls_to("chat.postMessage")) == 1


async def test_a_failed_delivery_can_be_retried(slack: SlackHarness, core: FakeCore) -> None:
    attempts: list[str] = []

    def flaky(event: InboundEvent) -> Reply:
        attempts.append(event.event_id)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return Reply()

    core.script = flaky
    core._seen.clear()
    await slack.event(message_im(user="U1", text="hej"), event_id="EvFlaky")
    await slack.settle()
    core._seen.clear()  # the engine's claim rolled back with its transaction
    await slack.event(message_im(user="U1", text="hej"), event_id="EvFlaky", retry=1)
    await slack.settle()
    assert attempts == ["evt:EvFlaky", "evt:EvFlaky"]


async def test_home_tab_opened_publishes_the_home_and_posts_nothing(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    core.script = lambda event: Reply(
        (
            HomeView(user_id=event.actor.user_id, blocks=(Paragraph("Din MUS"),)),
            Message(to=ToActor(), text="ups"),
        )
    )
    await slack.event(app_home_opened(user="U1"))
    await slack.event(app_home_opened(user="U1", tab="messages"))
    await slack.settle()
    (event,) = core.events
    assert isinstance(event, CommandEvent) and event.text == "hjem"
    assert stub.methods() == ["auth.test", "views.publish"]


async def test_core_deliveries_and_their_failures_use_the_port(
    slack: SlackHarness, stub: StubSlack, core: FakeCore
) -> None:
    stub.fail("chat.postMessage", error="not_in_channel")
    core.script = lambda event: Reply((Message(to=ToChannel("C1"), text="Opstart"),))
    await slack.command(user="U1", text="start", channel="C1")
    await slack.settle()
    (error,) = core.delivery_errors
    assert error.kind == "not_in_channel"
