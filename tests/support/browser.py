"""The web chat in a real browser: `musbot run` on a free port, headless Chromium, and `Page`,
the page as a person uses it (by the keyboard and the mouse, reading what is shown).

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package (`.ci/browser.sh`
installs them). Tests using these are skipped without them, unless MUSBOT_REQUIRE_BROWSER=1
(CI), where they fail. Fixtures `server` and `driver` live in tests/adapters/webchat/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE_ENV = "MUSBOT_REQUIRE_BROWSER"

CHANNEL_LOG = "#log-C-SOLSIKKEN"
CHANNEL_INPUT = "#input-C-SOLSIKKEN"


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    if shutil.which("chromium") is None:
        return "chromium is not installed"
    if not os.path.exists(CHROMEDRIVER):
        return f"{CHROMEDRIVER} is missing (chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def musbot_run(tmp_path: Path) -> Iterator[str]:
    """`musbot run` on a free port with a fresh SQLite file; yields the page's URL."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))},
        "MUSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'musbot.db'}",
        "MUSBOT_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    for name in ("MUSBOT_HOST", "MUSBOT_WEB_CHAT"):
        env.pop(name, None)
    log_path = tmp_path / "server.log"
    log = log_path.open("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while "seeded the demo workspace" not in log_path.read_text("utf-8"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"musbot run did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium through chromedriver; skips (or fails in CI) when it is not here."""
    why = missing()
    if why is not None:
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV}=1 but {why}: run .ci/browser.sh", pytrace=False)
        pytest.skip(f"browser test: {why} (run .ci/browser.sh)")
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
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.browser = browser
        self.url = url
        # A message can be replaced (redrawn in place) between finding it and reading it.
        self.wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))

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

    def open_as(self, user: str, name: str) -> None:
        """Open the page as this person (`?as=` in the address)."""
        self.browser.get(self.url + f"?as={user}")
        self.until_text("#connection", name)

    def act_as(self, user: str, name: str) -> None:
        """Switch person with the picker at the top."""
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

    def press_labelled(self, pane: str, label: str) -> None:
        """Click the newest button a person would find by its label."""

        def click() -> bool:
            found = [b for b in self.all(f"{pane} button") if label in b.text]
            if not found:
                return False
            found[-1].click()
            return True

        self.until(click, f"no button {label!r} in {pane}")

    def messages(self, pane: str = "#dm-log") -> list[str]:
        """The text of each message in a pane, top to bottom, as shown."""
        return list(
            self.browser.execute_script(
                "return [...document.querySelectorAll(arguments[0])].map((m) => m.innerText)",
                f"{pane} article.msg",
            )
        )

    def last_message(self, pane: str = "#dm-log") -> Any:
        return self.all(f"{pane} article.msg")[-1]

    def dialog_open(self) -> bool:
        return bool(self.browser.execute_script("return document.querySelector('dialog').open"))

    def fill(self, name: str, value: str) -> None:
        """Set a form input the way a person's typing or picking would, events included.

        Date and date-time pickers take keystrokes in the browser's locale order; the value
        is set directly (as the picker does) and its `input` event fired.
        """
        control = self.find(f"#form [name='{name}']")
        self.browser.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            control,
            value,
        )

    def value(self, name: str) -> str:
        return str(self.find(f"#form [name='{name}']").get_attribute("value") or "")

    def submit_form(self) -> None:
        self.find("#form-submit").click()

    def active(self) -> Any:
        return self.browser.switch_to.active_element

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.browser.save_screenshot(str(path))
        print(f"\nscreenshot: {path}")
        return path

    # ------------------------------------------------------------ steps of a round

    def start_round(self) -> None:
        """As Lene: `mus start` in the team channel, the form filled in with its defaults."""
        self.open_as("lene", "Lene Leder")
        self.type_in(CHANNEL_INPUT, "mus start")
        self.until(self.dialog_open, "the start form never opened")
        self.find("[data-input=kerneopgave] textarea").send_keys("Trygge rammer for læring.")
        self.find("[data-input=udviklingsmaal] textarea").send_keys("Mere samarbejde.")
        self.submit_form()
        self.until(lambda: not self.dialog_open(), "the start form did not close")
        self.until_text(CHANNEL_LOG, "Lene Leder har sat årets MUS-runde i gang")
