"""No content in logs, at any level: a whole round at DEBUG, with a database error forced
while an answer is written, and not one answer, note or plan in what was logged."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from adapters.inproc import Harness, ManualClock
from adapters.inproc.harness import Seen
from bot.config import load_settings
from bot.logsafe import CONTENT_LOGGERS, hold_content_loggers
from bot.outbox import Sweeper
from bot.services import build_services
from conversations.messages import Button
from storage.repositories.prep import SqlPrepRepo
from tests.conversations.flows.conftest import start_round

ANSWER = "SVARMARKØR"
NOTE = "NOTEMARKØR"
PLAN = "PLANMARKØR"
MARKERS = (ANSWER, NOTE, PLAN)


@pytest.fixture
def root_output() -> Iterator[io.StringIO]:
    """What the bot's own root handler would print, at DEBUG, as `musbot run` configures it."""
    root = logging.getLogger()
    saved = root.level
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    saved_levels = {name: logging.getLogger(name).level for name in CONTENT_LOGGERS}
    hold_content_loggers()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def _find(seen: Seen, action: str) -> Button | None:
    for message in reversed(seen.messages):
        for button in message.buttons:
            if button.action == action:
                return button
    return None


async def test_a_round_at_debug_logs_no_content(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    root_output: io.StringIO,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/debug.db", log_level="DEBUG")
    services = await build_services(settings=settings)
    try:
        h = Harness(handler=services.engine)
        h.add_user("UL", name="Lene Leder", admin=True)
        h.add_user("U1", name="Anna Andersen")
        h.add_channel("C1", members=["UL", "U1"])
        await start_round(h)
        seen = await h.press("U1", h.dms("U1")[0].buttons[0])

        # A database error while an answer is stored: logged, with the statement's values hidden.
        original = SqlPrepRepo.save_answer

        async def failing(self: SqlPrepRepo, **kwargs: object) -> object:
            await self._conn.execute(
                text("INSERT INTO no_such_table (answer) VALUES (:answer)"),
                {"answer": kwargs["text"]},
            )
            return await original(self, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(SqlPrepRepo, "save_answer", failing)
        failed = await h.say("U1", f"{ANSWER} der fejler")
        assert "gik galt" in failed.text or failed.text  # the person is told, nothing crashed
        monkeypatch.setattr(SqlPrepRepo, "save_answer", original)
        assert any("handling" in r.getMessage() for r in caplog.records if r.levelno >= 40)

        for index in range(40):
            if _find(seen, "prep.share") is not None:
                break
            seen = await h.say("U1", f"{ANSWER} nummer {index}")
        share = _find(seen, "prep.share")
        assert share is not None
        await h.press("U1", share)

        # The leader reads the prep, writes notes, books and holds the talk, drafts the plan.
        status = await h.command("UL", "status")
        card = await h.press("UL", status.button("status.member", label="Anna"))
        value = card.button("notes.open").value
        read = await h.press("UL", Button("", "prep.view", value))
        assert ANSWER in read.text
        notes = (await h.press("UL", card.button("notes.open"))).form
        await h.submit("UL", notes, {"note": f"{NOTE} om Anna"})
        form = (await h.press("UL", card.button("booking.open"))).form
        await h.submit("UL", form, {"starts_at": "2026-12-08T10:00", "minutes": "60"})
        card = await h.press("UL", status.button("status.member", label="Anna"))
        asked = await h.press("UL", card.button("booking.held"))
        await h.press("UL", asked.button("booking.held_confirm"))
        plan = await h.press("UL", Button("", "plan.open", value))
        add = (await h.press("UL", plan.button("plan.item"))).form
        drafted = await h.submit(
            "UL",
            add,
            {
                "laeringsmaal": f"{PLAN} sprog",
                "tiltag": "Kursus",
                "stoette": "Kollega",
                "tidsplan": "Forår 2027",
                "waits": "no",
            },
        )
        assert PLAN in drafted.text

        # The day-before reminder (answers and notes) goes out through the outbox sweep.
        clock = ManualClock(datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen")))
        sweeper = Sweeper(
            store=services.store,
            ports={h.port.platform: h.port},
            clock=clock,
            hours=services.engine.settings.hours(),
        )
        await sweeper.sweep()
    finally:
        await services.close()

    logged = caplog.text + "\n" + root_output.getvalue()
    assert logged.strip(), "nothing was logged: the test would prove nothing"
    for found in MARKERS:
        assert found not in logged, found
    for record in caplog.records:
        assert not any(m in str(record.args) for m in MARKERS)
