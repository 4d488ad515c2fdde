"""SlackPort against the stand-in Slack: what it sends, and how failures reach the core."""

from __future__ import annotations

import asyncio
import socket

import pytest

from adapters.slack.port import SlackPort, build_web_client
from conversations.events import Actor
from conversations.messages import (
    Attachment,
    Button,
    HomeView,
    Message,
    Paragraph,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.ports import DeliveryError
from tests.support.stub_slack import BOT_TOKEN, StubSlack

WS = "T0MUS"


def dm(text: str = "Hej", **kwargs: object) -> Message:
    return Message(to=ToPerson("U1"), text=text, blocks=(Paragraph(text),), **kwargs)  # type: ignore[arg-type]


async def test_dm_opens_the_conversation_and_posts(stub: StubSlack, port: SlackPort) -> None:
    ref = await port.send(workspace_id=WS, message=dm("Velkommen <!channel>"))
    assert stub.methods() == ["conversations.open", "chat.postMessage"]
    assert stub.calls[0]["users"] == "U1"
    post = stub.calls[1]
    assert post["channel"] == "D1"
    assert post["blocks"][0]["text"]["text"] == "Velkommen &lt;!channel&gt;"
    assert post["unfurl_links"] is False
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert ref == f"D1:{stub.messages and next(iter(stub.messages))[1]}"
    await port.send(workspace_id=WS, message=dm("igen"))
    assert stub.methods().count("conversations.open") == 1  # the DM channel is cached


async def test_channel_post(stub: StubSlack, port: SlackPort) -> None:
    message = Message(to=ToChannel("C1"), text="Opstart", buttons=(Button("Start", "round.start"),))
    ref = await port.send(workspace_id=WS, message=message)
    assert stub.methods() == ["chat.postMessage"]
    assert ref is not None and ref.startswith("C1:")


async def test_replaces_updates_in_place_and_falls_back_to_a_new_post(
    stub: StubSlack, port: SlackPort
) -> None:
    ref = await port.send(workspace_id=WS, message=dm("Spørgsmål 1"))
    again = await port.send(workspace_id=WS, message=dm("Spørgsmål 2", replaces=ref))
    assert again == ref
    update = stub.calls_to("chat.update")[0]
    assert (update["channel"], update["ts"]) == tuple(ref.split(":"))  # type: ignore[union-attr]
    assert stub.messages[("D1", ref.split(":")[1])]["text"] == "Spørgsmål 2"  # type: ignore[union-attr]

    newer = await port.send(workspace_id=WS, message=dm("Spørgsmål 3", replaces="D1:999.1"))
    assert newer != ref and stub.methods()[-2:] == ["chat.update", "chat.postMessage"]


async def test_a_ref_in_another_channel_is_never_edited(stub: StubSlack, port: SlackPort) -> None:
    ref = await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="Opstart"))
    await port.send(workspace_id=WS, message=dm("privat", replaces=ref))
    assert "chat.update" not in stub.methods()
    assert stub.calls_to("chat.postMessage")[-1]["channel"] == "D1"


async def test_long_message_is_posted_in_parts_ref_is_the_last(
    stub: StubSlack, port: SlackPort
) -> None:
    blocks = tuple(Paragraph(f"p{i}") for i in range(70))
    ref = await port.send(
        workspace_id=WS, message=Message(to=ToChannel("C1"), text="t", blocks=blocks)
    )
    posts = stub.calls_to("chat.postMessage")
    assert [len(p["blocks"]) for p in posts] == [50, 20]
    assert ref == f"C1:{list(stub.messages)[-1][1]}"


async def test_to_actor_is_not_for_send(port: SlackPort) -> None:
    with pytest.raises(DeliveryError) as caught:
        await port.send(workspace_id=WS, message=Message(to=ToActor(), text="x"))
    assert caught.value.kind == "invalid"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("channel_not_found", "channel_not_found"),
        ("is_archived", "channel_not_found"),
        ("not_in_channel", "not_in_channel"),
        ("account_inactive", "user_gone"),
        ("missing_scope", "forbidden"),
        ("invalid_blocks", "invalid"),
        ("msg_too_long", "invalid"),
        ("something_new", "invalid"),
    ],
)
async def test_slack_errors_map_to_neutral_kinds(
    stub: StubSlack, port: SlackPort, error: str, kind: str
) -> None:
    stub.fail("chat.postMessage", error=error)
    with pytest.raises(DeliveryError) as caught:
        await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
    assert caught.value.kind == kind and caught.value.detail == error
    assert caught.value.permanent


async def test_rate_limit_carries_retry_after(stub: StubSlack, port: SlackPort) -> None:
    stub.fail("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(DeliveryError) as caught:
        await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
    assert caught.value.kind == "rate_limited" and caught.value.retry_after == 30
    assert not caught.value.permanent


async def test_server_error_is_unavailable(stub: StubSlack, port: SlackPort) -> None:
    stub.fail("chat.postMessage", status=500, times=2)  # the one server-error retry fails too
    with pytest.raises(DeliveryError) as caught:
        await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
    assert caught.value.kind == "unavailable" and not caught.value.permanent
    assert len(stub.calls_to("chat.postMessage")) == 2


async def test_unknown_user_dm_is_user_gone(stub: StubSlack, port: SlackPort) -> None:
    stub.add_user("U1", deleted=True)
    with pytest.raises(DeliveryError) as caught:
        await port.send(workspace_id=WS, message=dm())
    assert caught.value.kind == "user_gone"


async def test_network_failure_is_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    port = SlackPort(
        client=build_web_client(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free}/api/")
    )
    try:
        with pytest.raises(DeliveryError) as caught:
            await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
    finally:
        await port.close()
    assert caught.value.kind == "unavailable"


async def test_short_rate_limits_are_retried_long_ones_are_not(stub: StubSlack) -> None:
    port = SlackPort(
        client=build_web_client(
            token=BOT_TOKEN, base_url=stub.api_url, rate_limit_retries=2, max_retry_wait=5
        )
    )
    try:
        stub.fail("chat.postMessage", status=429, retry_after=0)
        assert await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
        assert len(stub.calls_to("chat.postMessage")) == 2

        stub.fail("chat.postMessage", status=429, retry_after=60)
        with pytest.raises(DeliveryError) as caught:
            async with asyncio.timeout(5):
                await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
        assert caught.value.retry_after == 60
        assert len(stub.calls_to("chat.postMessage")) == 3

        stub.fail("chat.postMessage", status=429, retry_after=0, times=3)  # more than 2 retries
        with pytest.raises(DeliveryError):
            await port.send(workspace_id=WS, message=Message(to=ToChannel("C1"), text="x"))
        assert len(stub.calls_to("chat.postMessage")) == 6
    finally:
        await port.close()


async def test_channel_members_paginates_and_drops_bots_and_deactivated(
    stub: StubSlack, port: SlackPort
) -> None:
    stub.add_user("U1", name="Anne", is_admin=True, locale="en-GB", tz="Europe/London")
    stub.add_user("U2", name="Bo")
    stub.add_user("UB", name="Robot", is_bot=True)
    stub.add_user("UX", name="Gammel", deleted=True)
    stub.members["C1"] = ["U1", "UB", "U2", "UX", "USLACKBOT", "U404"]
    stub.page_size = 2
    members = await port.channel_members(workspace_id=WS, channel_id="C1")
    assert members == [
        Actor(
            platform="slack",
            workspace_id=WS,
            user_id="U1",
            display_name="Anne",
            locale="en-GB",
            timezone="Europe/London",
            is_admin=True,
        ),
        Actor(
            platform="slack",
            workspace_id=WS,
            user_id="U2",
            display_name="Bo",
            locale="da-DK",
            timezone="Europe/Copenhagen",
            is_admin=False,
        ),
    ]
    assert len(stub.calls_to("conversations.members")) == 3
    assert all(c["include_locale"] in ("true", "1", True) for c in stub.calls_to("users.info"))


async def test_channel_members_unreadable(stub: StubSlack, port: SlackPort) -> None:
    with pytest.raises(DeliveryError) as caught:
        await port.channel_members(workspace_id=WS, channel_id="CNOPE")
    assert caught.value.kind == "channel_not_found"
    stub.members["C1"] = ["U1"]
    stub.fail("conversations.members", error="missing_scope")
    with pytest.raises(DeliveryError) as caught:
        await port.channel_members(workspace_id=WS, channel_id="C1")
    assert caught.value.kind == "forbidden"


async def test_lookup_is_cached_and_owners_count_as_admins(
    stub: StubSlack, port: SlackPort
) -> None:
    stub.add_user("U1", name="Ejer", is_owner=True, locale="da-DK")
    actor = await port.lookup(workspace_id=WS, user_id="U1")
    assert actor is not None and actor.is_admin and actor.locale == "da-DK"
    await port.lookup(workspace_id=WS, user_id="U1")
    assert len(stub.calls_to("users.info")) == 1
    assert port.cached_locale("U1") == "da-DK"
    assert await port.lookup(workspace_id=WS, user_id="U404") is None


async def test_lookup_failure_is_a_delivery_error(stub: StubSlack, port: SlackPort) -> None:
    stub.fail("users.info", status=429, retry_after=3)
    with pytest.raises(DeliveryError) as caught:
        await port.lookup(workspace_id=WS, user_id="U1")
    assert caught.value.kind == "rate_limited"


async def test_publish_home(stub: StubSlack, port: SlackPort) -> None:
    await port.publish_home(
        workspace_id=WS,
        view=HomeView(
            user_id="U1",
            blocks=(Paragraph("Din MUS"),),
            buttons=(Button("Fortsæt", "prep.open", "3"),),
        ),
    )
    (call,) = stub.calls_to("views.publish")
    assert call["user_id"] == "U1" and call["view"]["type"] == "home"
    assert call["view"]["blocks"][-1]["elements"][0]["action_id"] == "prep.open"
    stub.fail("views.publish", error="not_authed")
    with pytest.raises(DeliveryError):
        await port.publish_home(workspace_id=WS, view=HomeView(user_id="U1", blocks=()))


async def test_attachments_are_uploaded_to_the_same_conversation(
    stub: StubSlack, port: SlackPort
) -> None:
    invite = Attachment(
        filename="mus.ics",
        content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        mime_type="text/calendar",
    )
    await port.send(workspace_id=WS, message=dm("Din samtale", attachments=(invite,)))
    assert stub.methods() == [
        "conversations.open",
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert stub.calls_to("files.completeUploadExternal")[0]["channel_id"] == "D1"
