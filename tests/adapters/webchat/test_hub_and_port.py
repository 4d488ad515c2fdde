"""The port the core delivers through, the in-memory panes behind it, and the demo file."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.webchat import (
    ChatHub,
    DirectoryError,
    WebChatPort,
    load_directory,
    parse_directory,
)
from adapters.webchat.translate import command_text
from conversations.messages import (
    Attachment,
    Button,
    Fields,
    Heading,
    HomeView,
    Message,
    Note,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.ports import DeliveryError
from tests.adapters.webchat.conftest import CHANNEL, PANE, Chat


def make() -> tuple[ChatHub, WebChatPort]:
    directory = load_directory()
    hub = ChatHub(directory=directory)
    return hub, WebChatPort(directory=directory, hub=hub)


async def test_port_answers_from_the_directory_and_refuses_unknown_targets() -> None:
    _, port = make()
    assert port.platform == "web"
    lene = await port.lookup(workspace_id="demo", user_id="lene")
    assert lene is not None and lene.is_admin and lene.display_name == "Lene Leder"
    assert lene.locale == "da-DK" and lene.timezone == "Europe/Copenhagen"
    assert await port.lookup(workspace_id="demo", user_id="nobody") is None
    members = await port.channel_members(workspace_id="demo", channel_id=CHANNEL)
    assert [m.user_id for m in members] == ["lene", "anna", "mads", "sofie", "jonas", "emma"]
    with pytest.raises(DeliveryError) as gone:
        await port.send(workspace_id="demo", message=Message(to=ToPerson("nobody"), text="x"))
    assert gone.value.kind == "user_gone"
    with pytest.raises(DeliveryError) as missing:
        await port.send(workspace_id="demo", message=Message(to=ToChannel("C-X"), text="x"))
    assert missing.value.kind == "channel_not_found"
    with pytest.raises(DeliveryError):
        await port.channel_members(workspace_id="demo", channel_id="C-X")
    with pytest.raises(DeliveryError):
        await port.send(workspace_id="other", message=Message(to=ToPerson("anna"), text="x"))
    with pytest.raises(DeliveryError):
        await port.send(workspace_id="demo", message=Message(to=ToActor(), text="x"))


async def test_every_block_is_sent_as_typed_text() -> None:
    hub, port = make()
    _, queue = hub.subscribe(user_id="anna")
    message = Message(
        to=ToPerson("anna"),
        text="fallback",
        blocks=(Heading("H"), Fields((("Frist", "4. dec."),)), Note("n")),
        buttons=(Button("Gå", "prep.open", "7", style="primary"),),
    )
    ref = await port.send(workspace_id="demo", message=message)
    item = queue.get_nowait()
    assert item is not None and item["ref"] == ref
    assert item["blocks"] == [
        {"type": "heading", "text": "H"},
        {"type": "fields", "items": [["Frist", "4. dec."]]},
        {"type": "note", "text": "n"},
    ]
    assert item["buttons"] == [
        {"label": "Gå", "action": "prep.open", "value": "7", "style": "primary"}
    ]


async def test_replaces_updates_in_place_only_within_the_same_audience() -> None:
    hub, port = make()
    dm_ref = await port.send(workspace_id="demo", message=Message(to=ToPerson("anna"), text="1/9"))
    post_ref = await port.send(
        workspace_id="demo", message=Message(to=ToChannel(CHANNEL), text="kickoff")
    )
    # An answer to a button on Anna's DM rewrites that DM where it stands.
    same = hub.answer(
        user_id="anna", pane="dm", message=Message(to=ToActor(), text="2/9", replaces=dm_ref)
    )
    assert same == dm_ref
    entries = hub.snapshot(user_id="anna")["entries"]
    assert [e["text"] for e in entries] == ["2/9", "kickoff"]
    # An answer meant for Anna can never rewrite what the whole channel sees.
    other = hub.answer(
        user_id="anna", pane=PANE, message=Message(to=ToActor(), text="mine", replaces=post_ref)
    )
    assert other != post_ref
    assert [e["text"] for e in hub.snapshot(user_id="mads")["entries"]] == ["kickoff"]
    # A stale ref is simply a new message.
    hub.answer(user_id="anna", pane="dm", message=Message(to=ToActor(), text="x", replaces="w999"))
    assert len(hub.snapshot(user_id="anna")["entries"]) == 4


async def test_history_is_bounded_per_pane() -> None:
    directory = load_directory()
    hub = ChatHub(directory=directory, history_limit=3)
    port = WebChatPort(directory=directory, hub=hub)
    for i in range(5):
        await port.send(workspace_id="demo", message=Message(to=ToPerson("anna"), text=str(i)))
    assert [e["text"] for e in hub.snapshot(user_id="anna")["entries"]] == ["2", "3", "4"]


async def test_home_views_go_to_their_person_only() -> None:
    hub, port = make()
    _, anna = hub.subscribe(user_id="anna")
    _, mads = hub.subscribe(user_id="mads")
    await port.publish_home(workspace_id="demo", view=HomeView(user_id="anna", blocks=()))
    assert anna.get_nowait() == {"type": "home", "view": {"blocks": [], "buttons": []}}
    assert mads.empty()
    with pytest.raises(DeliveryError):
        await port.publish_home(workspace_id="demo", view=HomeView(user_id="x", blocks=()))


async def test_attachments_are_offered_as_downloads(web_chat: Chat) -> None:
    plan = Attachment(
        filename="udviklingsplan anna.ics",
        content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        mime_type="text/calendar",
        title="Samtalen i kalenderen",
    )
    await web_chat.chat.port.send(
        workspace_id="demo",
        message=Message(to=ToPerson("anna"), text="Her er invitationen", attachments=(plan,)),
    )
    _, snapshot = await web_chat.stream("anna")
    [file] = snapshot["entries"][0]["attachments"]
    assert file["title"] == "Samtalen i kalenderen" and file["size"] == len(plan.content)
    got = await web_chat.client.get(file["url"])
    assert got.status == 200 and await got.read() == plan.content
    assert got.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in got.headers["Content-Disposition"]
    assert (await web_chat.client.get("/web/files/guess")).status == 404


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mus start", "start"),
        ("/mus start", "start"),
        ("  MUS   status ", "status"),
        ("mus", ""),
        ("/mus", ""),
        ("musik er godt", None),
        ("hej mus", None),
        ("mus\nstart", "start"),
    ],
)
def test_what_counts_as_a_command(text: str, words: str | None) -> None:
    assert command_text(text) == words


def test_demo_file_and_its_errors(tmp_path: Path) -> None:
    demo = load_directory()
    assert demo.workspace_id == "demo" and len(demo.people) == 6
    assert sum(p.admin for p in demo.people) == 1
    with pytest.raises(DirectoryError, match="unknown people: zed"):
        parse_directory(
            {"people": [{"id": "a", "name": "A"}], "channels": [{"id": "C", "members": ["zed"]}]}
        )
    with pytest.raises(DirectoryError, match="unique"):
        parse_directory({"people": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]})
    with pytest.raises(DirectoryError, match=r"people\[0\] needs an id and a name"):
        parse_directory({"people": [{"id": "a"}]})
    broken = tmp_path / "demo.yaml"
    broken.write_text("people: [", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"demo\.yaml"):
        load_directory(path=broken)
