"""Issue #15, booking: unusual times are warned about and can be confirmed, a move opens with
the current time and says "flyttet", a place reaches both and the invite, the invite is a real
iTIP request, and marking held asks first. Asserted on what each person is shown."""

from __future__ import annotations

from icalendar import Calendar

from adapters.inproc.harness import Seen, message_text
from conversations.messages import Form, Paragraph
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import member_card


def intro(form: Form) -> str:
    return "\n".join(b.text for b in form.intro if isinstance(b, Paragraph))


async def open_booking(world: World) -> Form:
    card = await member_card(world)
    return (await world.h.press("UL", card.button("booking.open"))).form


async def submit(world: World, form: Form, when: str, place: str = "") -> Seen:
    return await world.h.submit("UL", form, {"starts_at": when, "minutes": "60", "place": place})


def invite_of(seen: Seen) -> Calendar:
    return Calendar.from_ical(seen.messages[0].attachments[0].content)


async def test_a_saturday_is_warned_about_and_can_be_booked_anyway(world: World) -> None:
    await start_round(world.h)
    warned = await submit(world, await open_booking(world), "2026-12-12T10:00")
    again = warned.form
    assert "lørdag" in intro(again)
    assert again.submit_label == "Book alligevel"
    assert not [m for m in world.h.dms("U1") if m.attachments]  # nothing booked yet
    booked = await submit(world, again, "2026-12-12T10:00")
    assert "booket til 12.12.2026 kl. 10.00" in booked.text


async def test_a_holiday_outside_the_period_names_both_problems(world: World) -> None:
    await start_round(world.h)
    warned = await submit(world, await open_booking(world), "2026-12-25T10:00")
    text = intro(warned.form)
    assert "Juledag" in text
    assert "uden for rundens samtaleperiode (7.12.2026 – 18.12.2026)" in text
    # a different unusual time is warned about again, not booked on the first confirmation
    rewarned = await submit(world, warned.form, "2026-12-26T10:00")
    assert "Anden juledag" in intro(rewarned.form)


async def test_a_move_opens_filled_in_says_moved_and_updates_the_same_invite(
    world: World,
) -> None:
    await start_round(world.h)
    first = await submit(world, await open_booking(world), "2026-12-08T10:00", "Mødelokale 2")
    assert "booket" in first.text and "Sted: Mødelokale 2" in first.text
    [dm] = [m for m in world.h.dms("U1") if m.attachments]
    assert "Sted: Mødelokale 2" in message_text(dm)

    form = await open_booking(world)
    assert form.title == "Flyt samtale"
    values = {i.id: getattr(i, "initial", None) for i in form.inputs}
    assert (
        values["starts_at"] is not None and values["starts_at"].isoformat() == "2026-12-08T10:00:00"
    )
    assert values["place"] == "Mødelokale 2"
    moved = await submit(world, form, "2026-12-09T13:00", "https://meet.example/mus")
    assert "flyttet til 9.12.2026 kl. 13.00" in moved.text and "booket" not in moved.text
    assert "flyttet" in message_text(world.h.dms("U1")[-1])

    one, two = invite_of(first), invite_of(moved)
    assert str(one["method"]) == str(two["method"]) == "REQUEST"
    (e1,), (e2,) = one.walk("VEVENT"), two.walk("VEVENT")
    assert e1["uid"] == e2["uid"]
    assert int(e1["sequence"]) == 0 and int(e2["sequence"]) == 1
    assert (
        str(e1["location"]) == "Mødelokale 2" and str(e2["location"]) == "https://meet.example/mus"
    )
    assert e2["organizer"].params["cn"] == "Lene Leder"
    attendees = e2["attendee"] if isinstance(e2["attendee"], list) else [e2["attendee"]]
    assert [a.params["cn"] for a in attendees] == ["Anna Andersen"]


async def test_marking_held_asks_first_and_warns_before_the_booked_time(world: World) -> None:
    await start_round(world.h)
    await submit(world, await open_booking(world), "2026-12-08T10:00")
    card = await member_card(world)
    asked = await world.h.press("UL", card.button("booking.held"))
    assert "Er samtalen med Anna Andersen holdt?" in asked.text
    assert "8.12.2026 kl. 10.00, og det tidspunkt er ikke kommet endnu" in asked.text
    assert not any("holdt" in message_text(m) for m in world.h.dms("U1"))  # nothing locked yet
    done = await world.h.press("UL", asked.button("booking.held_confirm"))
    assert "markeret som holdt" in done.text
    assert "markeret jeres MUS-samtale som holdt" in message_text(world.h.dms("U1")[-1])
