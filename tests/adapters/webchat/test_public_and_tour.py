"""The web chat for a first-time visitor (the guide, unread markers, the clock landing on a
working morning) and made public (a passphrase or a per-person link, caps, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import ManualClock
from adapters.webchat import WebChat, add_webchat_routes, load_directory
from adapters.webchat.server import MAX_TEXT_CHARS, access_token, clock_target, person_links
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.adapters.webchat.conftest import PANE, ROUND, Chat, Stream

SECRET = "solsikke-2026"


def test_the_clock_lands_on_the_next_working_day_at_nine() -> None:
    # 01:00 on a Wednesday night: "1 dag" is Thursday 09:00, not Thursday 01:00.
    wednesday_night = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 01:00 in Copenhagen
    assert clock_target(now=wednesday_night, days=1, timezone="Europe/Copenhagen") == datetime(
        2026, 12, 3, 8, 0, tzinfo=UTC
    )
    # Friday afternoon: the next working day is Monday.
    friday = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    assert clock_target(now=friday, days=1, timezone="Europe/Copenhagen") == datetime(
        2026, 12, 7, 8, 0, tzinfo=UTC
    )
    # Over Christmas: 25 and 26 December are public holidays, the 27th a Sunday.
    assert clock_target(
        now=datetime(2026, 12, 24, 10, 0, tzinfo=UTC), days=1, timezone="Europe/Copenhagen"
    ) == datetime(2026, 12, 28, 8, 0, tzinfo=UTC)


async def _chat(
    library: TemplateLibrary,
    store: SqlStore,
    *,
    public: bool = False,
    clock: ManualClock | None = None,
) -> tuple[TestClient[Any, Any], WebChat, list[timedelta]]:
    clock = clock or ManualClock(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    moved: list[timedelta] = []

    async def forward(by: timedelta) -> dict[str, Any]:
        moved.append(by)
        clock.advance(seconds=by.total_seconds())
        return {"now": clock.now().isoformat(), "sent": 0}

    engine = Engine(store=store, templates=library, clock=clock)
    chat = WebChat(
        directory=load_directory(),
        handler=engine,
        clock_forward=forward,
        public=public,
        passphrase=SECRET if public else None,
        clock=clock,
    )
    app = web.Application()
    add_webchat_routes(app=app, chat=chat)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client, chat, moved


async def test_the_page_buttons_land_on_a_working_morning(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    client, chat, moved = await _chat(library, sqlite_store)
    try:
        answer = await client.post("/web/clock", json={"days": 1, "land": "working_morning"})
        assert answer.status == 200
        # Monday 01:30 local -> Tuesday 09:00 local (08:00 UTC).
        assert chat.clock is not None
        assert chat.clock.now() == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        assert moved == [timedelta(hours=31, minutes=30)]
    finally:
        await client.close()


async def test_the_guide_follows_the_round_and_marks_unread_per_person(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    client, chat, _ = await _chat(
        library, sqlite_store, clock=ManualClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    )
    holder = Chat(client=client, chat=chat, clock=ManualClock())
    try:
        lene, snapshot = await holder.stream("lene")
        tour = await lene.next("tour")
        assert tour["step"] == "start" and tour["who"] == "lene"
        assert "mus start" in tour["text"]["da"] and "mus start" in tour["text"]["en"]
        assert snapshot["unread"] == {}

        await holder.say("lene", "mus start", pane=PANE)
        form = (await lene.next("form"))["form"]
        await holder.submit("lene", form, {**ROUND, "members": []})
        step = await lene.next("tour")
        assert step["step"] == "prep" and step["who"] == "anna"
        assert "Anna" in step["who_name"] and "Anna" in step["text"]["da"]
        # Anna was not looking: her invitation (and the channel post) wait for her.
        unread = [item for item in lene.seen if item["type"] == "unread"][-1]
        assert unread["counts"]["anna"] >= 2 and "lene" not in unread["counts"]
        assert unread["counts"] == chat.hub.unread()["counts"]

        anna, anna_snapshot = await holder.stream("anna")
        assert "anna" not in anna_snapshot["unread"]
        # The guide's own buttons step forward and back for everyone.
        assert (await client.post("/web/tour", json={"move": "next"})).status == 200
        assert (await _latest(anna, "tour"))["step"] == "status"
        assert (await client.post("/web/tour", json={"move": "back"})).status == 200
        assert (await _latest(anna, "tour"))["step"] == "prep"
        assert (await client.post("/web/tour", json={"move": "sideways"})).status == 400
    finally:
        for stream in holder.streams:
            stream.close()
        await client.close()


async def _latest(stream: Stream, kind: str) -> dict[str, Any]:
    item = await stream.next(kind)
    while True:  # the newest one already sent, if several
        try:
            item = await stream.next(kind, wait=0.2)
        except TimeoutError:
            return item


async def test_messages_are_capped_in_size(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    client, _, _ = await _chat(library, sqlite_store)
    try:
        long = await client.post(
            "/web/event",
            json={
                "event_id": "event-0001",
                "user": "anna",
                "kind": "message",
                "pane": "dm",
                "text": "x" * (MAX_TEXT_CHARS + 1),
            },
        )
        assert long.status == 413 and "for lang" in (await long.json())["error"]
        huge = await client.post(
            "/web/event",
            data=b'{"text": "' + b"y" * 2_000_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert huge.status == 413
    finally:
        await client.close()


async def test_public_mode_needs_the_passphrase_and_has_no_clock(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    client, chat, moved = await _chat(library, sqlite_store, public=True)
    try:
        assert chat.hub.history_limit == 200
        assert "clock" not in [step.key for step in chat.tour.steps]  # nothing to move
        assert (await client.get("/")).status == 200  # the page, with its passphrase prompt
        refused = await client.get("/web/people")
        assert refused.status == 401 and (await refused.json())["login"] is True
        assert (await client.get("/web/stream?user=lene")).status == 401
        event = {
            "event_id": "event-0002",
            "user": "lene",
            "kind": "message",
            "pane": "dm",
            "text": "hej",
        }
        assert (await client.post("/web/event", json=event)).status == 401
        wrong = await client.post("/web/login", json={"passphrase": "guess"})
        assert wrong.status == 401
        right = await client.post("/web/login", json={"passphrase": SECRET})
        assert right.status == 200
        people = await (await client.get("/web/people")).json()
        assert len(people["people"]) == 6 and people["clock"] is False
        assert (await client.post("/web/event", json=event)).status == 200
        assert (await client.post("/web/clock", json={"days": 1})).status == 501
        assert moved == []
    finally:
        await client.close()


async def test_a_per_person_link_acts_as_that_person_only(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    client, _, _ = await _chat(library, sqlite_store, public=True)
    try:
        links = person_links(secret=SECRET, base_url="https://demo.example.org", people=["anna"])
        key = links["anna"].split("key=", 1)[1]
        assert key == access_token(secret=SECRET, scope="anna")
        opened = await client.get(f"/?key={key}", allow_redirects=False)
        assert opened.status == 302 and opened.headers["Location"] == "/?as=anna"
        people = await (await client.get("/web/people")).json()
        assert [p["id"] for p in people["people"]] == ["anna"]
        assert (await client.get("/web/stream?user=lene")).status == 403
        as_lene = {
            "event_id": "event-0003",
            "user": "lene",
            "kind": "message",
            "pane": "dm",
            "text": "x",
        }
        assert (await client.post("/web/event", json=as_lene)).status == 403
        forged = access_token(secret="another", scope="*")
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({"musbot_web": forged})
        assert (await client.get("/web/people")).status == 401
    finally:
        await client.close()


async def test_a_per_person_link_fetches_only_files_that_person_was_shown(
    library: TemplateLibrary, sqlite_store: SqlStore
) -> None:
    from conversations.messages import Attachment, Message, ToPerson

    client, chat, _ = await _chat(library, sqlite_store, public=True)
    plan = Attachment(filename="plan.txt", content=b"Annas udviklingsplan", mime_type="text/plain")
    try:
        await chat.port.send(
            workspace_id="demo",
            message=Message(to=ToPerson("anna"), text="Din plan", attachments=(plan,)),
        )
        [entry] = chat.hub.snapshot(user_id="anna")["entries"]
        url = entry["attachments"][0]["url"]

        as_mads = access_token(secret=SECRET, scope="mads")  # another person's link
        client.session.cookie_jar.update_cookies({"musbot_web": as_mads})
        refused = await client.get(url)
        assert refused.status == 404 and b"udviklingsplan" not in await refused.read()

        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies(
            {"musbot_web": access_token(secret=SECRET, scope="anna")}
        )
        got = await client.get(url)
        assert got.status == 200 and await got.read() == plan.content
        assert got.headers["Cache-Control"] == "private, no-store"
        wrong = await client.get(url[:-1] + ("A" if not url.endswith("A") else "B"))
        assert wrong.status == 404

        client.session.cookie_jar.clear()  # no passphrase, no link: not let in at all
        assert (await client.get(url)).status == 401
    finally:
        await client.close()
