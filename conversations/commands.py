"""The commands people type, in one table: the help, docs/slack.md and both manifests use it.

`conversations.router` maps each word to its flow; a test checks that the router knows exactly
the words listed here, that each command has its help line in every locale, and that the docs
and manifests say what `bot.command_docs` renders from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Who = Literal["everyone", "leader", "admin"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: its Danish and English word, other spellings, and who may use it."""

    key: str  # the help line is the locale string `help.<key>`
    da: str
    en: str
    who: Who
    aliases: tuple[str, ...] = ()
    # Offered in Teams' command menu (a list holds at most 10, so the rarest are left out).
    teams_menu: bool = True
    # Also offered in Teams team channels and group chats (the answer comes privately).
    in_channels: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.da, self.en, *self.aliases)))


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "hjælp", "help", "everyone", aliases=("hjaelp",), in_channels=True),
    CommandSpec("prep", "forbered", "prep", "everyone", aliases=("forberedelse",)),
    CommandSpec("plan", "plan", "plan", "everyone", aliases=("udviklingsplan",)),
    CommandSpec("home", "hjem", "home", "everyone"),
    CommandSpec("mydata", "mine data", "my data", "everyone", teams_menu=False),
    CommandSpec("start", "start", "start", "leader", in_channels=True),
    CommandSpec("adapt", "tilpas", "adapt", "leader"),
    CommandSpec("status", "status", "status", "leader"),
    CommandSpec("book", "book", "book", "leader", aliases=("samtale",)),
    CommandSpec("reminders", "påmindelser", "reminders", "leader", aliases=("paamindelser",)),
    CommandSpec("summary", "opsamling", "summary", "leader"),
    CommandSpec("actionplan", "handleplan", "actionplan", "everyone", teams_menu=False),
    CommandSpec("close", "afslut", "close", "leader", teams_menu=False),
    CommandSpec("evaluation", "evaluering", "evaluation", "leader", teams_menu=False),
    CommandSpec(
        "coverage", "dækning", "coverage", "leader", aliases=("daekning",), teams_menu=False
    ),
    CommandSpec("committee", "udvalg", "committee", "everyone", teams_menu=False),
    CommandSpec("leaders", "ledere", "leaders", "admin", teams_menu=False),
)

BY_KEY: dict[str, CommandSpec] = {command.key: command for command in COMMANDS}


def all_words() -> set[str]:
    """Every first word that names a command, as the router reads it ("mine data": "mine");
    the empty command shows the help too."""
    return {"", *(word.split(" ")[0] for command in COMMANDS for word in command.words)}


def visible_to(*, may_lead: bool, is_admin: bool) -> tuple[CommandSpec, ...]:
    """The commands a person's help lists, in the table's order; `help` itself comes last."""
    shown = [
        c
        for c in COMMANDS
        if c.key != "help"
        and (
            c.who == "everyone"
            or (c.who == "leader" and may_lead)
            or (c.who == "admin" and is_admin)
        )
    ]
    return (*shown, BY_KEY["help"])
