"""One employee's conversation: booked (and rebooked), then held.

    NONE ──book──▶ BOOKED ──book (move)──▶ BOOKED
    NONE, BOOKED ──mark held──▶ HELD   (prep locked, plan opens, the round hears of it)
    HELD: no more booking; holding twice is refused

"Held" is stored on the prep session (`conversation_held_at`), the time on the booking row.
A closed round refuses both before this table is asked (`round.accepts_work`).
"""

from __future__ import annotations

from enum import StrEnum

from conversations.domain import Booking, PrepSession
from conversations.lifecycles.base import Effect, Refusal, Rule, Transition


class BookingState(StrEnum):
    NONE = "none"
    BOOKED = "booked"
    HELD = "held"

    @staticmethod
    def of(booking: Booking | None, session: PrepSession | None) -> BookingState:
        if session is not None and session.conversation_held_at is not None:
            return BookingState.HELD
        return BookingState.NONE if booking is None else BookingState.BOOKED


class BookingAction(StrEnum):
    BOOK = "book"
    MARK_HELD = "mark_held"


BookingTransition = Transition[BookingState, BookingAction]

_HELD_EFFECTS = (
    Effect.LOCK_PREP,
    Effect.OPEN_PLAN,
    Effect.NOTIFY_EMPLOYEE,
    Effect.ROUND_CONVERSATION_HELD,
)
_BOOK_EFFECTS = (Effect.SEND_INVITE, Effect.SCHEDULE_BOOKING_REMINDERS)

TABLE: dict[tuple[BookingState, BookingAction], Rule[BookingState] | Refusal] = {
    (BookingState.NONE, BookingAction.BOOK): Rule(BookingState.BOOKED, _BOOK_EFFECTS),
    (BookingState.BOOKED, BookingAction.BOOK): Rule(BookingState.BOOKED, _BOOK_EFFECTS),
    (BookingState.HELD, BookingAction.BOOK): Refusal("booking.refused.held"),
    (BookingState.NONE, BookingAction.MARK_HELD): Rule(BookingState.HELD, _HELD_EFFECTS),
    (BookingState.BOOKED, BookingAction.MARK_HELD): Rule(BookingState.HELD, _HELD_EFFECTS),
    (BookingState.HELD, BookingAction.MARK_HELD): Refusal("booking.already_held"),
}


def decide(state: BookingState, action: BookingAction) -> BookingTransition | Refusal:
    cell = TABLE[(state, action)]
    if isinstance(cell, Refusal):
        return cell
    return Transition(before=state, action=action, after=cell.after, effects=cell.effects)
