"""One list of commands: the router, the help, docs/slack.md and both manifests agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.inproc import Harness
from adapters.inproc.harness import message_text
from bot.command_docs import expected, teams_command_lists
from bot.config import load_settings
from bot.services import build_services
from conversations.commands import COMMANDS, all_words
from conversations.i18n import catalog
from conversations.router import COMMANDS as ROUTED


def test_the_router_knows_exactly_the_listed_words() -> None:
    assert set(ROUTED) == all_words()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_command_has_its_help_line(lang: str) -> None:
    strings = catalog(lang)
    for command in COMMANDS:
        word = command.da if lang == "da" else command.en
        assert strings[f"help.{command.key}"].startswith(f"{{mus}} {word} "), command.key


def test_docs_and_manifests_say_what_the_table_says() -> None:
    stale = [
        str(path) for path, text in expected().items() if path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run: python -m bot.command_docs"


def test_teams_command_lists_fit_teams_limits() -> None:
    for menu in teams_command_lists():
        assert 1 <= len(menu["commands"]) <= 10
        for entry in menu["commands"]:
            assert len(entry["title"]) <= 32 and len(entry["description"]) <= 128
    personal = {e["title"] for e in teams_command_lists()[0]["commands"]}
    left_out = [c.key for c in COMMANDS if f"mus {c.da}" not in personal]
    # The rarest: a menu holds ten (issue #12's year-end commands are typed, not in the menu).
    assert left_out == [
        "mydata",
        "actionplan",
        "close",
        "evaluation",
        "coverage",
        "committee",
        "leaders",
    ]


async def test_an_admins_help_lists_every_command_and_an_employees_only_theirs(
    tmp_path: Path,
) -> None:
    services = await build_services(
        settings=load_settings(database_url=f"sqlite:///{tmp_path / 'h.db'}")
    )
    try:
        h = Harness(handler=services.engine)
        h.add_user("UA", name="Ada Admin", admin=True)
        h.add_user("UE", name="Erik", locale="en-GB")
        admin_help = message_text((await h.command("UA", "hjælp")).messages[0])
        employee_help = message_text((await h.command("UE", "help")).messages[0])
    finally:
        await services.close()
    for command in COMMANDS:
        assert f"/mus {command.da} " in admin_help or f"mus {command.da} " in admin_help
        if command.who == "everyone":
            assert f" {command.en} " in employee_help, command.key
        else:
            assert f" {command.en} – " not in employee_help, command.key
