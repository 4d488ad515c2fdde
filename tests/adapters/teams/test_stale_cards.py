"""Issue #15 in Teams, on the stand-in connector: no stale question cards, no stale "Del".

- A typed answer updates the question card it answered (an update activity, PUT, of that very
  card: the saved answer, no buttons) and the next question is posted below, last in the chat.
- A button pressed on an old question card (as a Teams client still showing it would send
  it) gets "Dette spørgsmål er du videre fra" on that card, and where she is now follows last.
- After the conversation was held, the old "Del med min leder" says the preparation is locked
  and that the plan is next, never "…som ser dine rettelser med det samme".

The real engine and flows on the SQL store; every assertion is on what the connector received.
"""

from __future__ import annotations

from typing import Any

from tests.adapters.teams.harness import ANNA, Bot
from tests.adapters.teams.test_files import book_anna
from tests.adapters.teams.test_scenario import (
    LENE,
    _start_round,
    actions,
    chat,
    latest,
    press,
    teams,
    text_of,
)
from tests.support.stub_connector import StubConnector

__all__ = ["teams"]  # the fixture: the real Engine behind the Teams endpoint


def current(stub: StubConnector) -> tuple[str, dict[str, Any]]:
    """The last card in Anna's chat as Teams shows it (an answered card is updated where it
    stands, after the next question was posted below it)."""
    return stub.in_order(chat(ANNA))[-1]


async def _press_data(bot: Bot, activity_id: str, data: dict[str, Any]) -> None:
    """Press a button with the data of a card as it was shown then (Action.Submit)."""
    response = await bot.post(bot.submit(data, reply_to=activity_id, user=ANNA))
    assert response.status == 202


async def _begin(bot: Bot) -> tuple[str, dict[str, Any]]:
    await _start_round(bot)
    _, invite = latest(bot.stub, ANNA)
    await press(bot, ANNA, next(iter(actions(invite))))
    question_id, question = latest(bot.stub, ANNA)
    assert "1/9" in text_of(question) and "prep.skip" in actions(question)
    return question_id, question


async def test_a_typed_answer_updates_its_card_and_the_next_question_comes_last(
    teams: Bot,
) -> None:
    bot, stub = teams, teams.stub
    q1_id, _ = await _begin(bot)
    updates = len(stub.updated(chat(ANNA)))

    await bot.post(bot.message("Mit skrevne svar", user=ANNA))

    (update,) = [c for c in stub.updated(chat(ANNA))[updates:] if c.activity_id == q1_id]
    assert update.card is not None
    assert "Mit skrevne svar" in text_of(update.card) and "Gemt ✓" in text_of(update.card)
    assert not actions(update.card), "the answered card has no live buttons"
    shown = stub.in_order(chat(ANNA))
    assert "2/9" in text_of(shown[-1][1]) and shown[-1][0] != q1_id, "the next one last"
    assert "prep.skip" in actions(shown[-1][1])


async def test_an_old_question_card_says_it_is_done_and_shows_where_she_is(teams: Bot) -> None:
    bot, stub = teams, teams.stub
    q1_id, q1 = await _begin(bot)
    await bot.post(bot.message("Første svar", user=ANNA))
    await bot.post(bot.message("Andet svar", user=ANNA))
    _, now = current(stub)
    assert "3/9" in text_of(now)

    # A client still showing question 1 as it was first sent: "Spring over" pressed on it.
    await _press_data(bot, q1_id, actions(q1)["prep.skip"])
    card_1 = dict(stub.shown(chat(ANNA)))[q1_id]
    assert "Dette spørgsmål er du videre fra" in text_of(card_1)
    assert not actions(card_1)
    last_id, last = latest(stub, ANNA)
    assert "3/9" in text_of(last) and "prep.skip" in actions(last)
    assert last_id != q1_id, "where she is now follows below, as the last card"


async def test_an_old_share_button_after_the_conversation_was_held(teams: Bot) -> None:
    bot, stub = teams, teams.stub
    await _begin(bot)
    for n in range(1, 20):
        _, card = current(stub)
        if "prep.share" in actions(card):
            break
        await bot.post(bot.message(f"Svar {n}", user=ANNA))
    review_id, review = current(stub)
    share = actions(review)["prep.share"]
    await press(bot, ANNA, "prep.share")
    redrawn = dict(stub.shown(chat(ANNA)))[review_id]
    assert "prep.share" not in actions(redrawn), "the overview lost its Del button in place"

    # Lene books and holds the conversation.
    await book_anna(bot)
    await press(bot, LENE, "booking.held")
    await press(bot, LENE, "booking.held_confirm")
    assert "holdt" in text_of(latest(stub, LENE)[1])

    # The old Del (a client still showing the overview as it was) tells the truth.
    before = len(stub.posted(chat(ANNA))) + len(stub.updated(chat(ANNA)))
    await _press_data(bot, review_id, share)
    after = stub.posted(chat(ANNA)) + stub.updated(chat(ANNA))
    assert len(after) > before
    pressed = dict(stub.shown(chat(ANNA)))[review_id]
    assert "kan ikke længere ændres" in text_of(pressed), "the pressed overview is redrawn locked"
    assert not actions(pressed)
    told = text_of(latest(stub, ANNA)[1])
    assert "Samtalen er holdt, og forberedelsen er låst" in told
    assert "ser dine rettelser" not in told
    await bot.post(bot.message("mus forbered", user=ANNA))
    locked = text_of(latest(stub, ANNA)[1])
    assert "kan ikke længere ændres" in locked
    assert "prep.share" not in actions(latest(stub, ANNA)[1])
