"""Issue #15 in the web chat, in a real browser (headless Chromium against `musbot run`):
what a person sees in the page, using it as they would (buttons by their labels, the person
picker, a second tab), for each item that applies to the web chat.

The server, the browser and `Page` are in tests/support/browser.py; failures save a screenshot
under `test-artifacts/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import holidays
import pytest

from tests.support.browser import Page

pytestmark = pytest.mark.browser

DM = "#dm-log"


@contextmanager
def shot_on_failure(page: Page, name: str) -> Iterator[Page]:
    try:
        yield page
    except Exception:
        page.screenshot(f"webchat-{name}-failure.png")
        raise


def buttons_of(message: Any) -> list[str]:
    return [b.text for b in message.find_elements("css selector", "button")]


def open_prep(page: Page) -> None:
    """As Anna: the invitation's "Start forberedelsen", question 1 shown."""
    page.act_as("anna", "Anna Jensen")
    page.press_labelled(DM, "Start forberedelsen")
    page.until_text(DM, "1/9")


def answer(page: Page, text: str, *, then: str) -> None:
    """Type an answer in the chat and wait for the next question (`then`, e.g. "2/9")."""
    page.type_in("#dm-input", text)
    page.until(lambda: then in page.last_message().text, f"{then} never came last")


def member_card(page: Page) -> None:
    """As Lene: `mus status`, then Anna's name in it."""
    page.type_in("#dm-input", "mus status")
    page.until_text(DM, "har delt deres forberedelse")
    page.press_labelled(DM, "Anna Jensen")


# ------------------------------------------------------------ 1, 2: the invitation stays


def test_the_invitation_stays_and_a_typed_answer_is_confirmed_on_its_card(
    server: str, driver: Any
) -> None:
    page = Page(driver, server)
    with shot_on_failure(page, "invitation"):
        page.start_round()
        open_prep(page)

        # The invitation is still the first message, whole, with the dates; question 1 below it.
        shown = page.messages()
        assert "Din MUS-forberedelse" in shown[0]
        assert "Kerneopgave" in shown[0] and "Samtaler" in shown[0] and "1/9" not in shown[0]
        assert "1/9" in shown[-1], "the current question is the last thing in the chat"
        assert {"Svar", "Spring over"} <= set(buttons_of(page.last_message()))

        before = len(page.messages())
        answer(page, "Jeg har nået mine mål fra sidste år.", then="2/9")
        shown = page.messages()
        # Question 1's card shows the saved answer and has no live buttons any more ...
        (card_1,) = [m for m in page.all(f"{DM} article.msg.bot") if "1/9" in m.text]
        assert "Jeg har nået mine mål fra sidste år." in card_1.text
        assert "Gemt ✓" in card_1.text
        assert buttons_of(card_1) == []
        # ... no separate "Gemt" message: what she typed, and question 2 last.
        assert len(shown) == before + 2
        assert not [m for m in shown if m.strip().endswith("Gemt ✓") and "1/9" not in m]
        assert "2/9" in shown[-1] and "Svar" in buttons_of(page.last_message())
        assert "Din MUS-forberedelse" in shown[0], "the invitation is still there"

        # A second typed answer does the same: one card per question, the current one last.
        answer(page, "Jeg trives godt.", then="3/9")
        live = [m for m in page.all(f"{DM} article.msg.bot") if "Spring over" in buttons_of(m)]
        assert [m.text for m in live] == [page.last_message().text]


# ------------------------------------------------------------ 3: no stale buttons left live


def test_a_question_card_left_behind_loses_its_buttons(server: str, driver: Any) -> None:
    page = Page(driver, server)
    with shot_on_failure(page, "stale-card"):
        page.start_round()
        open_prep(page)
        answer(page, "Første svar", then="2/9")
        # She opens the invitation again: question 2 follows anew, last; the card she had
        # open says she carries on below, and has no live buttons (nothing to press by mistake).
        before = next(m for m in page.all(f"{DM} article.msg.bot") if "2/9" in m.text)
        ref = before.get_attribute("data-ref")
        page.all(f"{DM} button[data-action='prep.open']")[0].click()
        page.until_text(f"{DM} article[data-ref='{ref}']", "Du fortsætter længere nede")
        page.until(lambda: "2/9" in page.last_message().text, "question 2 did not come last")
        page.until(
            lambda: buttons_of(page.find(f"{DM} article[data-ref='{ref}']")) == [],
            "the card left behind kept its buttons",
        )
        page.until(
            lambda: (
                len(
                    [
                        m
                        for m in page.all(f"{DM} article.msg.bot")
                        if buttons_of(m) and "/9" in m.text
                    ]
                )
                == 1
            ),
            "more than the current question card has live buttons",
        )
        answer(page, "Andet svar", then="3/9")
        shown = "\n".join(page.messages())
        assert "Andet svar" in shown and "4/9" not in shown
        assert "Spring over" in buttons_of(page.last_message())


# ------------------------------------------------------------ 4: the overview follows


def test_the_leaders_overview_updates_by_itself_when_an_employee_shares(
    server: str, driver: Any
) -> None:
    page = Page(driver, server)
    with shot_on_failure(page, "overview"):
        page.start_round()
        page.until_text("#home-body", "0 af 5 har delt")
        lene_tab = driver.current_window_handle
        driver.execute_script("window.notReloaded = true")

        # Anna, in another tab, prepares and shares.
        driver.switch_to.new_window("tab")
        page.open_as("anna", "Anna Jensen")
        page.press_labelled(DM, "Start forberedelsen")
        page.until_text(DM, "1/9")
        page.press_last(DM, "prep.review")
        page.press_labelled(DM, "Del med min leder")
        page.until_text(DM, "Din forberedelse er delt med Lene Leder")

        # Lene's tab, untouched: the overview says so by itself, no reload, no button pressed.
        driver.switch_to.window(lene_tab)
        page.until_text("#home-body", "1 af 5 har delt")
        assert driver.execute_script("return window.notReloaded === true")
        assert "Anna Jensen har delt sin MUS-forberedelse med dig." in page.messages()[-1]


# ------------------------------------------------------------ 5: booking


def _days(first: date, last: date, wanted: Callable[[date], bool]) -> date:
    danish = holidays.country_holidays("DK", years=range(first.year, last.year + 1))
    day = first
    while day in danish or not wanted(day):
        day += timedelta(days=1)
    assert day <= last, "no such day in the range"
    return day


def shown_date(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def test_booking_warns_about_odd_times_and_a_move_says_moved(server: str, driver: Any) -> None:
    # The start form's own defaults: conversations from 14 to 42 days on.
    today = date.today()
    start, end = today + timedelta(days=14), today + timedelta(days=42)
    before_period = _days(
        today + timedelta(days=2), start - timedelta(days=1), lambda d: d.weekday() < 5
    )
    saturday = _days(start + timedelta(days=1), end, lambda d: d.weekday() == 5)
    weekday = _days(saturday, end, lambda d: d.weekday() < 5)

    page = Page(driver, server)
    with shot_on_failure(page, "booking"):
        page.start_round()
        member_card(page)
        page.press_labelled(DM, "Book samtale")
        page.until(page.dialog_open, "the booking form never opened")
        page.until_text("#form-title", "Book samtale")

        # Outside the conversation period: a warning in the form, which stays open.
        page.fill("starts_at", f"{before_period.isoformat()}T10:00")
        page.submit_form()
        page.until_text("#form-intro", "uden for rundens samtaleperiode")
        assert page.dialog_open() and page.find("#form-submit").text == "Book alligevel"
        # Another odd time (a Saturday) is warned about too, not booked on the first warning.
        page.fill("starts_at", f"{saturday.isoformat()}T10:00")
        page.submit_form()
        page.until_text("#form-intro", "Dagen er en lørdag.")
        assert "samtaleperiode" not in page.find("#form-intro").text
        assert "booket" not in "\n".join(page.messages())
        # The leader confirms past it.
        page.find("#form-submit").click()
        page.until(lambda: not page.dialog_open(), "Book alligevel did not book")
        page.until_text(DM, f"booket til {shown_date(saturday)} kl. 10.00")

        # "Flyt samtale" opens with the booked time filled in, and says "flyttet".
        page.press_labelled(DM, "Flyt samtale")
        page.until(page.dialog_open, "the move form never opened")
        page.until_text("#form-title", "Flyt samtale")
        assert page.value("starts_at") == f"{saturday.isoformat()}T10:00"
        assert page.find("#form-submit").text == "Flyt"
        page.fill("starts_at", f"{weekday.isoformat()}T13:00")
        page.submit_form()
        page.until(lambda: not page.dialog_open(), "an ordinary weekday was not simply moved")
        page.until(lambda: "flyttet" in page.messages()[-1], "no 'flyttet' for the leader")
        said = page.messages()[-1]
        assert f"flyttet til {shown_date(weekday)} kl. 13.00" in said and "booket" not in said

        page.act_as("anna", "Anna Jensen")
        page.until_text(DM, f"er flyttet til {shown_date(weekday)} kl. 13.00")


# ------------------------------------------------------------ 3, 6: after the conversation


def test_after_the_conversation_old_buttons_change_nothing_and_the_plan_names_people(
    server: str, driver: Any
) -> None:
    page = Page(driver, server)
    with shot_on_failure(page, "after-held"):
        page.start_round()
        # Anna looks at her overview twice (two cards with "Del med min leder"), shares from
        # the second; the first stays behind in the chat.
        open_prep(page)
        page.press_last(DM, "prep.review")
        page.until_text(DM, "Del med min leder")
        first_review = page.all(f"{DM} button[data-action='prep.share']")[-1]
        first_ref = first_review.find_element("xpath", "./ancestor::article").get_attribute(
            "data-ref"
        )
        page.all(f"{DM} button[data-action='prep.open']")[0].click()
        page.until(lambda: "1/9" in page.last_message().text, "question 1 not shown again")
        page.press_last(DM, "prep.review")
        page.until(lambda: "Del med min leder" in buttons_of(page.last_message()), "no 2nd review")
        page.press_last(DM, "prep.share")
        page.until_text(DM, "Din forberedelse er delt med Lene Leder")

        # Lene books, holds the conversation and sends a plan for approval.
        page.act_as("lene", "Lene Leder")
        member_card(page)
        page.press_labelled(DM, "Book samtale")
        page.until(page.dialog_open, "the booking form never opened")
        page.fill("starts_at", f"{(date.today() + timedelta(days=20)).isoformat()}T10:00")
        page.submit_form()
        if "Book alligevel" in page.find("#form-submit").text:  # a weekend: confirm past it
            page.submit_form()
        page.until(lambda: not page.dialog_open(), "not booked")
        page.press_labelled(DM, "Markér samtalen som holdt")
        page.press_labelled(DM, "Ja, markér som holdt")
        page.until_text(DM, "er markeret som holdt")
        # The answer took the question's place: no live "Ja, markér som holdt" is left (read
        # inside a wait: the page may redraw a message while it is read).
        page.until(
            lambda: (
                not [
                    m
                    for m in page.all(f"{DM} article.msg.bot")
                    if "Ja, markér som holdt" in buttons_of(m)
                ]
            ),
            "a live 'Ja, markér som holdt' was left",
        )
        page.press_labelled(DM, "Skriv udviklingsplanen")
        page.press_labelled(DM, "Tilføj punkt")
        page.until(page.dialog_open, "the plan item form never opened")
        for name, text in (
            ("laeringsmaal", "Styrke sprogarbejdet"),
            ("tiltag", "Kursus"),
            ("stoette", "Kollega"),
            ("tidsplan", "Forår"),
        ):
            page.find(f"#form [name='{name}']").send_keys(text)
        page.submit_form()
        page.until(lambda: not page.dialog_open(), "the plan item form did not close")
        page.press_labelled(DM, "Vælg opfølgningsdato")
        page.until(page.dialog_open, "the follow-up form never opened")
        page.fill("follow_up_on", (date.today() + timedelta(days=120)).isoformat())
        page.submit_form()
        page.until(lambda: not page.dialog_open(), "the follow-up form did not close")
        page.press_labelled(DM, "Send til godkendelse")
        page.until_text(DM, "du får besked, når Anna Jensen har svaret")
        assert "anden part" not in page.find("body").text

        # Anna: the old "Del med min leder" now says the short truth, and changes nothing.
        page.act_as("anna", "Anna Jensen")
        page.until_text(DM, "Lene Leder har sendt udviklingsplanen til din godkendelse")
        page.find(f"{DM} article[data-ref='{first_ref}'] button[data-action='prep.share']").click()
        page.until(
            lambda: "Samtalen er holdt, og forberedelsen er låst" in page.messages()[-1],
            "no short answer to the old Del med min leder",
        )
        assert "ser dine rettelser med det samme" not in "\n".join(page.messages())
        assert buttons_of(page.find(f"{DM} article[data-ref='{first_ref}']")) == []

        # The plan, opened from the notice and from her overview: approving one, then the
        # other's "Godkend" (a second click on an approval already made) says so.
        page.press_labelled(DM, "Åbn udviklingsplanen")
        page.until(lambda: page.all(f"{DM} button[data-action='plan.approve']"), "no Godkend")
        [b for b in page.all("#home-body button") if b.text == "Åbn udviklingsplanen"][-1].click()
        page.until(
            lambda: len(page.all(f"{DM} button[data-action='plan.approve']")) == 2,
            "the plan was not opened a second time",
        )
        assert "Godkendt af Lene Leder" in page.messages()[-1]
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(driver).double_click(
            page.all(f"{DM} button[data-action='plan.approve']")[-1]
        ).perform()
        page.until(lambda: "(aftalt)" in "\n".join(page.messages()), "the plan was not agreed")
        assert "\n".join(page.messages()).count("Godkendt af Anna Jensen") == 1
        page.press_labelled(DM, "Godkend")
        page.until(
            lambda: "Du har allerede godkendt" in page.messages()[-1],
            "the second Godkend did not say it was approved already",
        )
        shown = "\n".join(page.messages())
        assert "Planen er ændret siden" not in shown and "anden part" not in shown
