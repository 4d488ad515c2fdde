"""The guided tour of the demo: which step of a MUS round comes next, and as whom.

A first-time visitor sees empty panes and must guess whom to switch to. The guide panel says
("now switch to Anna") and moves on when the step is done. Steps are recognised by the ids of
what people do (a form id, a button action, a command word), never by text, and the visitor
can always step forward or back by hand, so a changed flow never strands anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conversations import i18n
from conversations.commands import BY_KEY
from conversations.events import ButtonEvent, CommandEvent, FormEvent, InboundEvent


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    who: str  # the demo person to act as
    done: Callable[[InboundEvent], bool]


def _form(prefix: str) -> Callable[[InboundEvent], bool]:
    return lambda e: isinstance(e, FormEvent) and e.form.startswith(prefix)


def _button(action: str) -> Callable[[InboundEvent], bool]:
    return lambda e: isinstance(e, ButtonEvent) and e.action == action


def _command(key: str) -> Callable[[InboundEvent], bool]:
    words = set(BY_KEY[key].words)
    return lambda e: isinstance(e, CommandEvent) and e.text.strip().split(" ")[0].lower() in words


def _never(_: InboundEvent) -> bool:
    return False


STEPS: tuple[Step, ...] = (
    Step("start", "lene", _form("round.start")),
    Step("prep", "anna", _button("prep.share")),
    Step("status", "lene", _command("status")),
    Step("book", "lene", _form("booking")),
    Step("clock", "anna", _never),  # done when the clock moves (`Tour.clock_moved`)
    Step("held", "lene", _button("booking.held")),
    Step("plan", "anna", _button("plan.approve")),
    Step("summary", "lene", _command("summary")),
    Step("english", "emma", _command("help")),
    Step("done", "lene", _never),
)

# The guide's words, Danish and English (the page shows the language of who you act as),
# from the core's locale files (`surface.tour.<step>`), like every other text a person reads.
TEXT: dict[str, dict[str, str]] = {
    lang: {step.key: i18n.t(lang, f"surface.tour.{step.key}") for step in STEPS}
    for lang in i18n.SUPPORTED
}


class Tour:
    """Where the visitor is in the tour (one per process: the demo is one shared workspace)."""

    def __init__(self, *, steps: tuple[Step, ...] = STEPS) -> None:
        self.steps = steps
        self.index = 0

    @property
    def current(self) -> Step:
        return self.steps[self.index]

    def saw(self, event: InboundEvent, *, user_id: str) -> bool:
        """An event was handled; True when it finished the current step."""
        step = self.current
        if user_id == step.who and step.done(event):
            return self.advance()
        return False

    def clock_moved(self) -> bool:
        return self.advance() if self.current.key == "clock" else False

    def advance(self) -> bool:
        if self.index < len(self.steps) - 1:
            self.index += 1
            return True
        return False

    def back(self) -> bool:
        if self.index > 0:
            self.index -= 1
            return True
        return False

    def state(self, *, people: dict[str, str]) -> dict[str, Any]:
        """What the guide panel shows, in both languages (the page picks one)."""
        step = self.current
        return {
            "type": "tour",
            "step": step.key,
            "number": self.index + 1,
            "count": len(self.steps),
            "who": step.who,
            "who_name": people.get(step.who, step.who),
            "text": {lang: words[step.key] for lang, words in TEXT.items()},
        }
