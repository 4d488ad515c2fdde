"""The whole start of a round in a real browser: headless Chromium against `musbot run`.

The server, the browser and `Page` are in tests/support/browser.py (the fixtures in this
folder's conftest). The last screen is saved under `test-artifacts/` (and its path printed).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import CHANNEL_INPUT, CHANNEL_LOG, Page

pytestmark = pytest.mark.browser


def test_a_leader_starts_a_round_and_sees_an_employee_share(server: str, driver: Any) -> None:
    page = Page(driver, server)
    try:
        _play(page)
    except Exception:
        page.screenshot("webchat-failure.png")
        raise
    shot = page.screenshot("webchat-leader-status.png")
    assert shot.stat().st_size > 10_000


def _play(page: Page) -> None:
    browser = page.browser
    browser.get(page.url + "?as=lene")
    page.until_text("#connection", "Lene Leder")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "da"

    # Keyboard: a form opened by typing closes with Escape, and the focus is back where it was.
    from selenium.webdriver.common.keys import Keys

    page.type_in(CHANNEL_INPUT, "mus start")
    page.until(page.dialog_open, "the start form never opened")
    page.active().send_keys(Keys.ESCAPE)
    page.until(lambda: not page.dialog_open(), "Escape did not close the form")
    page.until(lambda: page.active().get_attribute("id") == "input-C-SOLSIKKEN", "focus lost")

    # The leader starts a round from the team channel; the form opens with focus inside it.
    page.active().send_keys("mus start", Keys.ENTER)
    page.until(page.dialog_open, "the start form never opened")
    page.until_text("#form-title", "MUS")
    assert page.active().get_attribute("name") == "channel"
    assert page.find("[data-input=channel] select").get_attribute("value") == "C-SOLSIKKEN"
    for name in ("kerneopgave", "udviklingsmaal"):
        box = page.find(f"[data-input={name}] textarea")
        label = page.find(f"label[for='{box.get_attribute('id')}']")
        assert label.text, f"{name} has no label"
        assert box.get_attribute("maxlength") == "3000"
    # Submitting it empty: the errors stand next to their inputs, focus goes to the first.
    page.find("#form-submit").click()
    page.until(
        lambda: page.find("[data-input=kerneopgave] .error").is_displayed(),
        "no error next to kerneopgave",
    )
    core = page.find("[data-input=kerneopgave] textarea")
    assert core.get_attribute("aria-invalid") == "true"
    assert page.active().get_attribute("id") == core.get_attribute("id")
    assert page.dialog_open()
    core.send_keys("Vi skaber trygge rammer for børns læring.")
    page.find("[data-input=udviklingsmaal] textarea").send_keys("Mere samarbejde på tværs.")
    page.find("#form-submit").click()
    page.until(lambda: not page.dialog_open(), "the form did not close after a valid submit")
    page.until_text(CHANNEL_LOG, "Lene Leder har sat årets MUS-runde i gang")
    page.until_text(CHANNEL_LOG, "kun synlig for dig")

    # What people write is shown as text, never run as markup.
    page.type_in(CHANNEL_INPUT, '<b>fed</b> <img src=x onerror="window.pwned=1">')
    page.until_text(CHANNEL_LOG, "<b>fed</b>")
    assert page.all(f"{CHANNEL_LOG} .msg-body b, {CHANNEL_LOG} .msg-body img") == []
    assert browser.execute_script("return window.pwned === undefined")

    # An employee opens the invitation, answers by typing, reviews and shares.
    page.act_as("anna", "Anna Jensen")
    page.until_text("#dm-log", "Start forberedelsen")
    page.until_text(CHANNEL_LOG, "Lene Leder har sat årets MUS-runde i gang")
    page.press_last("#dm-log", "prep.open")
    page.until_text("#dm-log", "1/9")
    page.type_in("#dm-input", "Jeg har nået mine mål fra sidste år.")
    page.until_text("#dm-log", "2/9")
    assert page.active().get_attribute("id") == "dm-input"
    page.press_last("#dm-log", "prep.review")
    page.press_last("#dm-log", "prep.share")
    page.until_text("#dm-log", "Din forberedelse er delt med Lene Leder")

    # A reload keeps the person and replays their history.
    browser.refresh()
    page.until_text("#connection", "Anna Jensen")
    page.until_text("#dm-log", "Din forberedelse er delt med Lene Leder")

    # Back as the leader: the notice has arrived, and the status has changed.
    page.act_as("lene", "Lene Leder")
    page.until_text("#dm-log", "Anna Jensen har delt sin MUS-forberedelse med dig.")
    page.type_in("#dm-input", "mus status")
    page.until_text("#dm-log", "1 af 5 har delt deres forberedelse.")
    page.until_text("#dm-log", "✓ Anna Jensen: delt")
    page.find("#home-refresh").click()
    page.until_text("#home-body", "1 af 5 har delt")


# ---------------------------------------------------------------- the guided tour, a11y

# Every visible control and its accessible name (label, aria-label(ledby) or its own text).
UNNAMED_CONTROLS = """
const named = (el) => {
  if (el.getAttribute('aria-label')) return true;
  const by = el.getAttribute('aria-labelledby');
  if (by && by.split(' ').some((id) => document.getElementById(id)?.textContent.trim())) return true;
  if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
  if (el.tagName === 'BUTTON' || el.tagName === 'A') return el.textContent.trim() !== '';
  return false;
};
return [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex="0"]')]
  .filter((el) => el.offsetParent !== null && el.type !== 'hidden' && !named(el))
  .map((el) => el.outerHTML.slice(0, 120));
"""

FOCUS_COLOURS = """
const el = document.activeElement;
const style = getComputedStyle(el);
let back = el.parentElement;
while (back && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(back).backgroundColor)) {
  back = back.parentElement;
}
return [style.outlineColor, style.outlineStyle, style.outlineWidth,
        getComputedStyle(back || document.body).backgroundColor];
"""


def _rgb(css: str) -> tuple[float, float, float]:
    numbers = [float(n) for n in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return numbers[0], numbers[1], numbers[2]


def _contrast(a: str, b: str) -> float:
    def luminance(rgb: tuple[float, float, float]) -> float:
        def channel(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(_rgb(a)), luminance(_rgb(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_guided_tour_and_the_accessibility_points(server: str, driver: Any) -> None:
    page = Page(driver, server)
    try:
        _tour(page)
    except Exception:
        page.screenshot("webchat-tour-failure.png")
        raise
    page.screenshot("webchat-tour.png")


def _tour(page: Page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser = page.browser
    browser.get(page.url + "?as=lene")
    page.until_text("#connection", "Lene Leder")
    # The guide says what to do first, and that you are the right person for it.
    page.until_text("#guide-text", "mus start")
    assert page.find("#guide-switch").text == "Du er Lene Leder"
    assert "trin 1 af" in page.find("#guide-count").text

    # Every control has a name a screen reader can say (the clock buttons included).
    assert browser.execute_script(UNNAMED_CONTROLS) == []
    day = page.find("#clock-day")
    assert "næste arbejdsdag" in (day.get_attribute("aria-label") or "")

    # The keyboard focus ring stands out from what is around it (at least 3:1).
    browser.find_element("css selector", "body").click()
    ActionChains(browser).send_keys(Keys.TAB).perform()  # the skip link
    ActionChains(browser).send_keys(Keys.TAB).perform()  # the person switcher
    outline, style, width, background = browser.execute_script(FOCUS_COLOURS)
    assert style == "solid" and float(width.removesuffix("px")) >= 2
    assert _contrast(outline, background) >= 3, (outline, background)

    # Starting the round moves the guide to Anna, and Anna's marker shows unread messages.
    page.type_in(CHANNEL_INPUT, "mus start")
    page.until(page.dialog_open, "the start form never opened")
    page.find("[data-input=kerneopgave] textarea").send_keys("Trygge rammer for børns læring.")
    page.find("[data-input=udviklingsmaal] textarea").send_keys("Mere samarbejde.")
    page.find("#form-submit").click()
    page.until(lambda: not page.dialog_open(), "the start form did not close")
    page.until_text("#guide-text", "Skift nu til Anna")
    page.until_text("#guide-switch", "Skift til Anna Jensen")
    page.until(lambda: page.all("[data-person=anna] .unread"), "no unread marker for Anna")
    assert "ulæste" in page.find("[data-person=anna]").text or page.find(
        "[data-person=anna] .visually-hidden"
    ).get_attribute("textContent")

    # The guide's button switches person; her marker goes once her page shows her messages.
    page.find("#guide-switch").click()
    page.until_text("#connection", "Anna Jensen")
    page.until(lambda: not page.all("[data-person=anna] .unread"), "Anna's marker stayed")
    page.until_text("#dm-log", "Start forberedelsen")

    # A bot button pressed from the keyboard keeps the focus on something sensible.
    opener = [b for b in page.all("#dm-log button[data-action='prep.open']") if b.is_enabled()][-1]
    opener.send_keys(Keys.ENTER)
    page.until_text("#dm-log", "1/9")
    page.until(
        lambda: page.active().tag_name in ("button", "input"),
        "focus fell to the page after a button",
    )
    page.type_in("#dm-input", "Et svar.")
    page.until_text("#dm-log", "2/9")
    page.press_last("#dm-log", "prep.review")
    page.press_last("#dm-log", "prep.share")
    page.until_text("#guide-text", "Skift tilbage til Lene")

    # As Lene: a button that opens a form, then Escape: focus goes back to that button.
    page.find("#guide-switch").click()
    page.until_text("#connection", "Lene Leder")
    page.type_in("#dm-input", "mus status")
    page.until_text("#dm-log", "1 af 5 har delt")
    page.press_last("#dm-log", "status.member")
    page.until(lambda: page.all("#dm-log button[data-action='booking.open']"), "no booking button")
    book = page.all("#dm-log button[data-action='booking.open']")[-1]
    book.send_keys(Keys.ENTER)
    page.until(page.dialog_open, "the booking form never opened")
    page.active().send_keys(Keys.ESCAPE)
    page.until(lambda: not page.dialog_open(), "Escape did not close the booking form")
    page.until(
        lambda: page.active().get_attribute("data-action") == "booking.open",
        "focus did not return to the button that opened the form",
    )

    # The English-speaking demo person gets the page (and the bot) in English.
    page.act_as("emma", "Emma Clarke")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "en"
    page.until_text("#guide-count", "step")

    # No horizontal scrolling on a 390 px wide phone.
    browser.set_window_size(390, 844)
    for who, name in (("lene", "Lene Leder"), ("anna", "Anna Jensen")):
        page.act_as(who, name)
        page.until_text("#dm-log", "MUS")
        overflow = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], (
            f"{who}: {overflow[0]} px wide in a {overflow[1]} px view"
        )
    page.screenshot("webchat-390px.png")
