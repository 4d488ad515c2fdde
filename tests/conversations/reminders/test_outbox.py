"""The outbox sweep on the in-process platform: timing, retries, failures, restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.inproc.harness import message_text
from bot.outbox import Sweeper
from conversations.domain import ReminderState
from conversations.messages import Button, ToPerson
from tests.conversations.flows.conftest import World, start_round
from tests.conversations.reminders.test_plan_and_booking import _round_id, draft_and_propose, held

CPH = ZoneInfo("Europe/Copenhagen")


def sweeper(world: World, worker: str = "w1") -> Sweeper:
    return Sweeper(
        store=world.store, ports={"test": world.h.port}, clock=world.clock, worker=worker
    )


def sent_to(world: World, user: str) -> list[str]:
    return [
        message_text(m)
        for _, m in world.h.port.sent
        if isinstance(m.to, ToPerson) and m.to.user_id == user
    ]


async def states(world: World) -> dict[str, ReminderState]:
    round_id = await _round_id(world)
    async with world.store.transaction() as tx:
        return {r.key: r.state for r in await tx.outbox.for_round(round_id=round_id)}


async def test_prep_nudges_go_only_to_those_who_have_not_shared(world: World) -> None:
    await start_round(world.h)  # deadline Friday 4 December 2026
    seen = await world.h.press("U2", world.h.dms("U2")[0].buttons[0])
    seen = await world.h.press("U2", seen.button("prep.review"))
    await world.h.press("U2", seen.button("prep.share"))
    before = len(world.h.port.sent)
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=CPH))  # Tuesday: 3 days before
    result = await sweeper(world).sweep()
    nudged = [m.to.user_id for _, m in world.h.port.sent[before:] if isinstance(m.to, ToPerson)]
    assert sorted(nudged) == ["U1", "U3"]  # not U2, who has shared
    assert result.cancelled == 1
    assert "senest 4.12.2026" in sent_to(world, "U1")[-1]


async def test_remind_me_tomorrow_moves_to_the_next_working_morning(world: World) -> None:
    await start_round(world.h)
    world.clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=CPH))  # Thursday, 1 day before
    await sweeper(world).sweep()
    nudge = next(m for _, m in reversed(world.h.port.sent) if m.to == ToPerson("U1"))
    snooze = next(b for b in nudge.buttons if b.action == "reminder.snooze")
    user = nudge.to.user_id  # type: ignore[union-attr]
    seen = await world.h.press(user, snooze)
    assert "4.12.2026 kl. 08.00" in seen.text
    seen = await world.h.press(user, snooze)  # twice: still one reminder for tomorrow
    keys = [k for k in await states(world) if k.endswith("2026-12-04") and k.startswith("prep:")]
    assert len(keys) == 1  # pressed twice, still one reminder for tomorrow


async def test_nothing_is_sent_outside_working_hours(world: World) -> None:
    await start_round(world.h)
    world.clock.set(datetime(2026, 12, 1, 3, 0, tzinfo=CPH))
    assert (await sweeper(world).sweep()).sent == 0
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=CPH))
    assert (await sweeper(world).sweep()).sent == 3


async def test_rate_limit_is_honoured_and_permanent_errors_recorded_once(world: World) -> None:
    await start_round(world.h)
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=CPH))
    world.h.port.fail_next("rate_limited", target="U1", retry_after=120)
    world.h.port.fail_next("user_gone", target="U3")
    first = await sweeper(world).sweep()
    assert (first.sent, first.retried, first.failed) == (1, 1, 1)
    # The leader sees when the held nudge goes: after the Retry-After, not its past due time.
    status = await world.h.command("UL", "status")
    listing = await world.h.press("UL", status.button("reminder.list"))
    anna = next(line for line in listing.text.splitlines() if "Anna" in line)
    assert "1.12.2026 kl. 08.02" in anna, anna
    world.clock.set(datetime(2026, 12, 1, 8, 1, tzinfo=CPH))
    assert (await sweeper(world).sweep()).sent == 0  # Retry-After not yet passed
    world.clock.set(datetime(2026, 12, 1, 8, 2, tzinfo=CPH))
    assert (await sweeper(world).sweep()).sent == 1
    world.clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=CPH))
    await sweeper(world).sweep()
    failed = [k for k, s in (await states(world)).items() if s == ReminderState.FAILED]
    assert len(failed) == 1  # U3's first nudge failed once; not retried forever
    status = await world.h.command("UL", "status")
    assert "1 fejlet" in status.text
    listing = await world.h.press("UL", status.button("reminder.list"))
    assert (
        "Carl Clausen" in listing.text
        and "fejlet – personen er ikke længere i arbejdsområdet" in listing.text
    )


async def test_network_errors_back_off_exponentially(world: World) -> None:
    await start_round(world.h)
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=CPH))
    for _ in range(2):
        world.h.port.fail_next("unavailable", target="U1")
    s = sweeper(world)
    assert (await s.sweep()).retried == 1
    # A back-off moves the row alone (a new due time), unlike a 429's hold: the recipient's
    # other messages are not held up behind it.
    round_id = await _round_id(world)
    async with world.store.transaction() as tx:
        (failing,) = [r for r in await tx.outbox.for_round(round_id=round_id) if r.last_error]
    assert failing.state == ReminderState.PENDING
    assert failing.due_at == datetime(2026, 12, 1, 8, 0, 30, tzinfo=CPH)
    world.clock.set(datetime(2026, 12, 1, 8, 0, 31, tzinfo=CPH))
    assert (await s.sweep()).retried == 1  # second failure: next try 60 s later
    world.clock.set(datetime(2026, 12, 1, 8, 1, 0, tzinfo=CPH))
    assert (await s.sweep()).sent == 0
    world.clock.set(datetime(2026, 12, 1, 8, 1, 32, tzinfo=CPH))
    assert (await s.sweep()).sent == 1


async def test_a_worker_dying_mid_sweep_loses_nothing_and_sends_nothing_twice(world: World) -> None:
    await start_round(world.h)
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=CPH))
    async with world.store.transaction() as tx:  # worker "dead" claims everything, then dies
        claimed = await tx.outbox.claim_due(
            now=world.clock.now(), limit=50, worker="dead", lease_seconds=300
        )
    assert len(claimed) == 3
    before = len(world.h.port.sent)
    assert (await sweeper(world, "w2").sweep()).sent == 0  # leased: not taken yet
    world.clock.set(datetime(2026, 12, 1, 8, 6, tzinfo=CPH))
    assert (await sweeper(world, "w2").sweep()).sent == 3
    assert (await sweeper(world, "w3").sweep()).sent == 0
    assert len(world.h.port.sent) == before + 3


async def test_follow_up_reaches_both_and_items_are_updated_from_it(world: World) -> None:
    await start_round(world.h)
    await held(world)
    await draft_and_propose(world, by="UL", goal="Styrke sprogarbejdet")
    await world.h.press(
        "U1", Button("", "plan.approve", world.h.dms("U1")[-1].buttons[0].value + ":1")
    )
    world.clock.set(datetime(2027, 3, 6, 9, 0, tzinfo=CPH))  # Saturday: nothing
    assert (await sweeper(world).sweep()).sent == 0
    world.clock.set(datetime(2027, 3, 8, 8, 0, tzinfo=CPH))  # Monday 08:00
    await sweeper(world).sweep()
    reminder = world.h.port.sent[-1][1]
    assert {m.to.user_id for _, m in world.h.port.sent[-2:]} == {"U1", "UL"}  # type: ignore[union-attr]
    employee_copy = next(m for _, m in world.h.port.sent[-2:] if m.to == ToPerson("U1"))
    under_way = next(b for b in employee_copy.buttons if "i gang" in b.label)
    seen = await world.h.press("U1", under_way)
    assert "i gang" in seen.text
    status = await world.h.command("UL", "status")
    assert "plan aftalt · 1 i gang" in status.text
    card = await world.h.press("UL", status.button("status.member", label="Anna"))
    plan = await world.h.press("UL", card.button("plan.open"))
    assert "Punkt 1 · i gang" in plan.text
    assert reminder is not None


async def _shared_noted_booked(world: World) -> None:
    await start_round(world.h)
    seen = await world.h.press("U1", world.h.dms("U1")[0].buttons[0])
    seen = await world.h.say("U1", "Mit delte svar")
    seen = await world.h.press("U1", seen.button("prep.review"))
    await world.h.press("U1", seen.button("prep.share"))
    status = await world.h.command("UL", "status")
    card = await world.h.press("UL", status.button("status.member", label="Anna"))
    notes = (await world.h.press("UL", card.button("notes.open"))).form
    await world.h.submit("UL", notes, {"note": "Husk at rose projektet"})
    form = (await world.h.press("UL", card.button("booking.open"))).form
    await world.h.submit("UL", form, {"starts_at": "2026-12-08T10:00", "minutes": "60"})
    world.clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=CPH))


async def test_booking_reminder_brings_each_their_own_material(world: World) -> None:
    await _shared_noted_booked(world)
    await sweeper(world).sweep()
    # The reminders say only that the material is ready: no answer or note in the chat ...
    for user in ("U1", "UL"):
        assert "Mit delte svar" not in sent_to(world, user)[-1]
        assert "Husk at rose" not in sent_to(world, user)[-1]
    # ... each reads their own material in a private view.
    views = {}
    for user in ("U1", "UL"):
        message = [m for _, m in world.h.port.sent if m.to == ToPerson(user) and m.buttons][-1]
        views[user] = await world.h.press(user, message.buttons[0])
        assert views[user].messages[0].private
    assert "Mit delte svar" in views["U1"].text and "Husk at rose" not in views["U1"].text
    assert "Mit delte svar" in views["UL"].text and "Husk at rose projektet" in views["UL"].text
    assert datetime(2026, 12, 7, 7, 0, tzinfo=UTC) == world.clock.now().astimezone(UTC)


async def test_booking_reminder_with_content_in_messages_carries_the_material(
    world: World,
) -> None:
    """MUSBOT_CONTENT_IN_MESSAGES=true: the reminder itself carries the material, as before."""
    await _shared_noted_booked(world)
    loud = Sweeper(
        store=world.store,
        ports={"test": world.h.port},
        clock=world.clock,
        content_in_messages=True,
    )
    await loud.sweep()
    employee = sent_to(world, "U1")[-1]
    leader = sent_to(world, "UL")[-1]
    assert "Mit delte svar" in employee and "Husk at rose" not in employee
    assert "Mit delte svar" in leader and "Husk at rose projektet" in leader


async def test_old_delivery_ids_are_forgotten_but_recent_ones_still_deduplicate(
    world: World,
) -> None:
    from bot.outbox import forget_old_deliveries

    await world.h.say("U1", "hej")
    recent = world.h.last_event
    world.clock.advance(days=8)
    await world.h.say("U1", "hej igen")
    assert await forget_old_deliveries(store=world.store, clock=world.clock) == 1
    assert (await world.h.replay()).reply.items == ()  # the recent one is still known
    assert recent is not None
