"""The web chat over HTTP: events posted → the real engine → each person's event stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from adapters.webchat.server import STATIC
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from tests.adapters.webchat.conftest import (
    CHANNEL,
    PANE,
    ROUND,
    Chat,
    button,
    make_chat,
    start_round,
)


async def test_page_and_its_files_are_served_with_a_strict_policy(web_chat: Chat) -> None:
    page = await web_chat.client.get("/")
    assert page.status == 200
    html = await page.text()
    assert '<script type="module" src="/web/static/app.js">' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    for name, kind in (("app.js", "javascript"), ("style.css", "css")):
        found = await web_chat.client.get(f"/web/static/{name}")
        assert found.status == 200 and kind in found.headers["Content-Type"]
    assert (await web_chat.client.get("/web/static/../server.py")).status in (403, 404)


async def test_people_are_the_demo_workspace(web_chat: Chat) -> None:
    body = await (await web_chat.client.get("/web/people")).json()
    assert body["workspace"] == "demo"
    people = body["people"]
    assert len(people) == 6
    assert [p["name"] for p in people if p["admin"]] == ["Lene Leder"]
    [channel] = body["channels"]
    assert channel["id"] == CHANNEL and len(channel["members"]) == 6
    assert body["clock"] is False


async def test_a_stream_for_an_unknown_person_is_refused(web_chat: Chat) -> None:
    assert (await web_chat.client.get("/web/stream?user=mallory")).status == 404


async def test_mus_start_in_the_channel_opens_the_form_with_every_kind_of_input(
    web_chat: Chat,
) -> None:
    stream, snapshot = await web_chat.stream("lene")
    assert snapshot["entries"] == [] and snapshot["form"] is None
    await web_chat.say("lene", "/mus start", pane=PANE)
    said = await stream.next("message")
    assert said["author"]["id"] == "lene" and said["only_you"] is True  # like a slash command
    form = (await stream.next("form"))["form"]
    assert form["id"] == "round.start" and form["pane"] == PANE
    inputs = {i["id"]: i for i in form["inputs"]}
    assert inputs["channel"]["kind"] == "channel"
    assert inputs["channel"]["initial"] == CHANNEL  # started in the channel
    assert inputs["channel"]["options"] == [{"value": CHANNEL, "label": "#solsikken"}]
    # everyone but the leader herself (she is not a member of her own round)
    assert inputs["members"]["kind"] == "people" and len(inputs["members"]["options"]) == 5
    assert inputs["template"]["kind"] == "select" and inputs["template"]["initial"] == "kk-buf"
    assert inputs["kerneopgave"]["kind"] == "text"
    assert inputs["kerneopgave"]["multiline"] is True
    assert inputs["kerneopgave"]["max_length"] == 3000
    assert inputs["prep_deadline"] == {
        **inputs["prep_deadline"],
        "kind": "date",
        "initial": "2026-12-07",
    }
    assert inputs["kickoff_at"]["kind"] == "datetime" and inputs["kickoff_at"]["optional"]
    # A reload while the form is open shows it again.
    _, again = await web_chat.stream("lene")
    assert again["form"]["id"] == "round.start"


async def test_form_errors_arrive_next_to_the_inputs_and_the_form_stays_open(
    web_chat: Chat,
) -> None:
    stream, _ = await web_chat.stream("lene")
    await web_chat.say("lene", "mus start", pane=PANE)
    form = (await stream.next("form"))["form"]
    await web_chat.submit("lene", form, {**ROUND, "kerneopgave": "  ", "prep_deadline": "x"})
    errors = await stream.next("form_errors")
    assert errors["form"] == "round.start"
    assert set(errors["errors"]) == {"kerneopgave", "prep_deadline"}
    _, snapshot = await web_chat.stream("lene")
    assert snapshot["form"]["id"] == "round.start"


async def test_a_round_reaches_the_channel_and_each_employee_and_prep_is_shared(
    web_chat: Chat,
) -> None:
    anna, _ = await web_chat.stream("anna")
    mads, _ = await web_chat.stream("mads")
    lene = await start_round(web_chat)
    confirmation = await lene.message("5")
    assert confirmation["only_you"] is True and confirmation["pane"] == PANE
    post = await anna.message("Lene Leder har sat årets MUS-runde i gang")
    assert post["pane"] == PANE and post["only_you"] is False
    await mads.message("Lene Leder har sat årets MUS-runde i gang")
    dm = await anna.message("Start forberedelsen")
    assert dm["pane"] == "dm"

    await web_chat.press("anna", button(dm, "prep.open"), entry=dm)
    first = await anna.message("1/9")
    await web_chat.say("anna", "Jeg har nået mine mål.")
    said = await anna.next("message")
    assert said["author"]["id"] == "anna" and said["blocks"][0]["text"] == "Jeg har nået mine mål."
    second = await anna.message("2/9")
    assert second["ref"] != first["ref"]
    await web_chat.press("anna", button(second, "prep.review"), entry=second)
    review = await anna.message("prep.share")
    await web_chat.press("anna", button(review, "prep.share"), entry=review)
    await anna.message("Din forberedelse er delt med Lene Leder")

    notice = await lene.message("Anna Jensen har delt sin MUS-forberedelse med dig.")
    assert notice["pane"] == "dm" and notice["author"]["bot"] is True
    await web_chat.say("lene", "mus status")
    status = await lene.message("1 af 5 har delt")
    assert "✓ Anna Jensen: delt" in json.dumps(status, ensure_ascii=False)
    # Only the leader saw the notice; Mads saw the channel post and his own invitation.
    _, mads_now = await web_chat.stream("mads")
    texts = json.dumps(mads_now["entries"], ensure_ascii=False)
    assert "Anna Jensen" not in texts and "Start forberedelsen" in texts


async def test_history_survives_a_reload_in_order(web_chat: Chat) -> None:
    await start_round(web_chat)
    _, snapshot = await web_chat.stream("anna")
    entries = snapshot["entries"]
    assert [e["pane"] for e in entries] == [PANE, "dm"]
    assert entries[0]["seq"] < entries[1]["seq"]
    _, leader = await web_chat.stream("lene")
    kinds = [(e["pane"], e["author"]["id"], e["only_you"]) for e in leader["entries"]]
    assert kinds == [(PANE, "lene", True), (PANE, "musbot", False), (PANE, "musbot", True)]


async def test_a_browser_retry_with_the_same_event_id_does_nothing_twice(web_chat: Chat) -> None:
    await start_round(web_chat)
    anna, snapshot = await web_chat.stream("anna")
    dm = snapshot["entries"][-1]
    await web_chat.press("anna", button(dm, "prep.open"), entry=dm)
    await anna.message("1/9")
    status, first = await web_chat.post(
        "anna", event_id="retry-0001", kind="message", text="Mit svar", pane="dm"
    )
    status2, second = await web_chat.post(
        "anna", event_id="retry-0001", kind="message", text="Mit svar", pane="dm"
    )
    assert status == status2 == 200
    assert first["answered"] > 0 and second["answered"] == 0
    _, after = await web_chat.stream("anna")
    said = [e for e in after["entries"] if e["author"]["id"] == "anna"]
    assert len(said) == 1
    assert sum("2/9" in json.dumps(e, ensure_ascii=False) for e in after["entries"]) == 1


async def test_text_in_the_channel_is_talk_among_people_not_a_bot_event(web_chat: Chat) -> None:
    anna, _ = await web_chat.stream("anna")
    _, body = await web_chat.post("lene", kind="message", text="Godmorgen alle", pane=PANE)
    assert body["answered"] == 0
    said = await anna.next("message")
    assert said["author"]["name"] == "Lene Leder" and said["only_you"] is False


async def test_what_people_write_travels_as_text_only(web_chat: Chat) -> None:
    """The server sends text, never markup; the page inserts every string with textContent."""
    anna, _ = await web_chat.stream("anna")
    nasty = "<img src=x onerror=alert(1)> <!channel> &amp; *fed*"
    await web_chat.say("lene", nasty, pane=PANE)
    said = await anna.next("message")
    assert said["blocks"] == [{"type": "paragraph", "text": nasty}]
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script


async def test_bad_requests_are_refused_with_a_reason(web_chat: Chat) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"user": "mallory", "kind": "message", "text": "hej"}, "unknown person"),
        ({"user": "anna", "kind": "wave"}, "kind must be"),
        ({"user": "anna", "kind": "message", "text": "x", "pane": "channel:C-OTHER"}, "cannot"),
        ({"user": "anna", "kind": "form", "form": "round.start", "values": [1]}, "values"),
        ({"user": "anna", "kind": "button"}, "action"),
    ]
    for body, reason in cases:
        status, answer = await web_chat.post(**body)  # type: ignore[arg-type]
        assert status == 400 and reason in answer["error"], (body, answer)
    status, answer = await web_chat.post("anna", event_id="short", kind="command", text="")
    assert status == 400 and "event_id" in answer["error"]
    plain = await web_chat.client.post(
        "/web/event", data="x", headers={"Content-Type": "text/plain"}
    )
    assert plain.status == 415
    broken = await web_chat.client.post(
        "/web/event", data="{", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400


async def test_a_foreign_page_or_a_foreign_host_name_cannot_drive_it(web_chat: Chat) -> None:
    body = {"event_id": "abcdefgh-42", "user": "lene", "kind": "command", "text": "start"}
    foreign = await web_chat.client.post(
        "/web/event", json=body, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status == 403
    rebound = await web_chat.client.get("/web/people", headers={"Host": "evil.example:3978"})
    assert rebound.status == 403
    own = await web_chat.client.get(
        "/web/people", headers={"Origin": f"http://{web_chat.client.host}:{web_chat.client.port}"}
    )
    assert own.status == 200


async def test_a_dismissed_form_is_not_reopened_on_reload(web_chat: Chat) -> None:
    stream, _ = await web_chat.stream("lene")
    await web_chat.say("lene", "mus start", pane=PANE)
    await stream.next("form")
    await web_chat.post("lene", kind="dismiss", form="round.start", pane=PANE)
    assert (await stream.next("form_closed"))["form"] == "round.start"
    _, snapshot = await web_chat.stream("lene")
    assert snapshot["form"] is None


async def test_home_view_is_pushed_and_kept(web_chat: Chat) -> None:
    stream, _ = await web_chat.stream("lene")
    _, body = await web_chat.post("lene", kind="command", text="hjem", pane="dm")
    assert body["answered"] == 0  # the overview goes out through the port, not in place
    home = await stream.next("home")
    assert home["view"]["blocks"][0]["type"] == "heading"
    _, snapshot = await web_chat.stream("lene")
    assert snapshot["home"] == home["view"]


async def test_the_clock_hook_answers_501_until_the_scheduler_offers_one(
    web_chat: Chat, library: TemplateLibrary, open_sqlite_store: Callable[[], SqlStore]
) -> None:
    missing = await web_chat.client.post("/web/clock", json={"days": 1})
    assert missing.status == 501
    moved: list[timedelta] = []

    async def forward(by: timedelta) -> dict[str, object]:
        moved.append(by)
        return {"now": "2026-11-24T11:00:00+00:00", "sent": 2}

    app, _, _ = await make_chat(library, store=open_sqlite_store(), clock_forward=forward)
    async with TestClient(TestServer(app)) as client:
        people = await (await client.get("/web/people")).json()
        assert people["clock"] is True
        answer = await client.post("/web/clock", json={"days": 1, "hours": 2})
        assert (await answer.json())["sent"] == 2
        assert moved == [timedelta(hours=26)]
        assert (await client.post("/web/clock", json={"days": -1})).status == 400
