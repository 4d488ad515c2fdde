"""The whole start of a round in a real browser: headless Chromium against `musbot run`.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package (`.ci/browser.sh`
installs them). Skipped without them, unless MUSBOT_REQUIRE_BROWSER=1 (CI), where it fails.
The last screen is saved under `test-artifacts/` (and its path printed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE_ENV = "MUSBOT_REQUIRE_BROWSER"


def _missing() -> str | None:
    if shutil.which("chromium") is None:
        return "chromium is not installed"
    if not os.path.exists(CHROMEDRIVER):
        return f"{CHROMEDRIVER} is missing (chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`musbot run` on a free port with a fresh SQLite file; yields the page's URL."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))},
        "MUSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'musbot.db'}",
        "MUSBOT_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    for name in ("MUSBOT_HOST", "MUSBOT_WEB_CHAT"):
        env.pop(name, None)
    log = (tmp_path / "server.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while "seeded the demo workspace" not in (tmp_path / "server.log").read_text("utf-8"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"musbot run did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def driver() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV}=1 but {missing}: run .ci/browser.sh", pytrace=False)
        pytest.skip(f"browser test: {missing} (run .ci/browser.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1500,1100",
        "--lang=da-DK",
    ):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


class Page:
    """The web chat as a person uses it, through the keyboard and the mouse."""

    def __init__(self, browser: Any, url: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.browser = browser
        self.url = url
        self.wait = WebDriverWait(browser, 20)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.browser.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.browser.find_elements(By.CSS_SELECTOR, css))

    def until_text(self, css: str, text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text),
            message=f"{text!r} never appeared in {css}",
        )

    def until(self, check: Any, message: str) -> Any:
        return self.wait.until(lambda _: check(), message=message)

    def act_as(self, user: str, name: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find("#person")).select_by_value(user)
        self.until_text("#connection", name)

    def type_in(self, css: str, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.find(css)
        box.send_keys(text, Keys.ENTER)

    def press_last(self, pane: str, action: str) -> None:
        """Click the newest button with this action in a pane (re-found: messages get replaced)."""

        def click() -> bool:
            buttons = self.all(f"{pane} button[data-action='{action}']")
            if not buttons or not buttons[-1].is_enabled():
                return False
            buttons[-1].click()
            return True

        self.until(click, f"no {action} button in {pane}")

    def dialog_open(self) -> bool:
        return bool(self.browser.execute_script("return document.querySelector('dialog').open"))

    def active(self) -> Any:
        return self.browser.switch_to.active_element

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.browser.save_screenshot(str(path))
        print(f"\nscreenshot: {path}")
        return path


CHANNEL_LOG = "#log-C-SOLSIKKEN"
CHANNEL_INPUT = "#input-C-SOLSIKKEN"


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
