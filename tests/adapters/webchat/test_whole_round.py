"""A whole MUS round through the web chat's routes, exactly as the page drives it.

Kickoff, prep and sharing, booking with the calendar invite, the conversation held, the plan
drafted by the leader and approved by both, and the plan document: none of it needed a change
to the page, which only renders neutral messages and forms.
"""

from __future__ import annotations

from typing import Any

from tests.adapters.webchat.conftest import Chat, Stream, button, start_round


def named(entry: dict[str, Any], action: str, label: str) -> dict[str, Any]:
    found = [b for b in entry["buttons"] if b["action"] == action and label in b["label"]]
    assert found, f"no {action} {label!r} in {entry['buttons']}"
    return found[0]


async def share_prep(c: Chat, anna: Stream) -> None:
    dm = await anna.message("Start forberedelsen")
    await c.press("anna", button(dm, "prep.open"), entry=dm)
    question = await anna.message("1/9")
    await c.press("anna", button(question, "prep.review"), entry=question)
    review = await anna.message("prep.share")
    await c.press("anna", button(review, "prep.share"), entry=review)
    await anna.message("Din forberedelse er delt")


async def test_a_whole_round_in_the_web_chat(web_chat: Chat) -> None:
    c = web_chat
    anna, _ = await c.stream("anna")
    lene = await start_round(c)
    await share_prep(c, anna)

    # The leader books Anna's conversation from the status view; both get the invite.
    await c.say("lene", "mus status")
    status = await lene.message("status.member")
    await c.press("lene", named(status, "status.member", "Anna Jensen"), entry=status)
    card = await lene.message("booking.open")
    await c.press("lene", button(card, "booking.open"), entry=card)
    form = (await lene.next("form"))["form"]
    assert [i["kind"] for i in form["inputs"]] == ["datetime", "select", "text"]
    await c.submit(
        "lene", form, {"starts_at": "2026-12-08T10:00", "minutes": "60", "place": "Lokale 3"}
    )
    await lene.next("form_closed")
    booked = await lene.message(".ics")
    [invite] = booked["attachments"]
    ics = await (await c.client.get(invite["url"])).text()
    assert "BEGIN:VEVENT" in ics and "DTSTART:20261208T090000Z" in ics
    assert "METHOD:REQUEST" in ics and "LOCATION:Lokale 3" in ics
    employee_invite = await anna.message(".ics")
    assert employee_invite["pane"] == "dm"

    # After the conversation: held, then the plan drafted, proposed, and approved by both.
    await c.press("lene", named(status, "status.member", "Anna Jensen"), entry=status)
    card = await lene.message("booking.held")
    await c.press("lene", button(card, "booking.held"), entry=card)
    asked = await lene.message("booking.held_confirm")
    assert "Er samtalen med Anna Jensen holdt?" in str(asked)
    await c.press("lene", button(asked, "booking.held_confirm"), entry=asked)
    held = await lene.message("plan.open")
    await c.press("lene", button(held, "plan.open"), entry=held)
    plan = await lene.message("plan.item")
    await c.press("lene", button(plan, "plan.item"), entry=plan)
    item = (await lene.next("form"))["form"]
    values = {i["id"]: i.get("initial") or "" for i in item["inputs"]}
    values.update(
        laeringsmaal="Styrke sprogarbejdet <med børnene>",
        tiltag="Kursus i sprogarbejde",
        stoette="Kollega",
        tidsplan="Forår 2027",
        waits="no",
    )
    await c.submit("lene", item, values)
    await lene.next("form_closed")
    drafted = await lene.message("plan.followup")
    await c.press("lene", button(drafted, "plan.followup"), entry=drafted)
    follow = (await lene.next("form"))["form"]
    assert follow["inputs"][0]["kind"] == "date"
    await c.submit("lene", follow, {"follow_up_on": "2027-03-06"})
    ready = await lene.message("plan.propose")
    await c.press("lene", button(ready, "plan.propose"), entry=ready)
    await lene.message("sendt til godkendelse")

    notice = await anna.message("til din godkendelse")
    await c.press("anna", notice["buttons"][0], entry=notice)
    proposal = await anna.message("plan.approve")
    assert "Styrke sprogarbejdet <med børnene>" in str(proposal["blocks"])
    await c.press("anna", button(proposal, "plan.approve"), entry=proposal)
    agreed = await anna.message("Godkendt af Anna Jensen")
    await lene.message("aftalt")

    await c.press("anna", button(agreed, "plan.download"), entry=agreed)
    download = await anna.next("message")
    while not download["attachments"]:
        download = await anna.next("message")
    file, pdf = download["attachments"]  # the text, and beside it the PDF
    assert pdf["mime_type"] == "application/pdf"
    assert (await (await c.client.get(pdf["url"])).read()).startswith(b"%PDF-")
    got = await c.client.get(file["url"])
    assert got.headers["Content-Type"] == file["mime_type"]
    document = await got.text()
    assert "Styrke sprogarbejdet <med børnene>" in document
    assert document.count("Godkendt af") == 2
