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

# The guide's words, Danish and English (the page shows the language of who you act as).
TEXT: dict[str, dict[str, str]] = {
    "da": {
        "start": "Du er Lene, lederen. Skriv «mus start» i #solsikken, og udfyld formularen.",
        "prep": "Skift nu til Anna. Åbn invitationen i din direkte besked, svar på et par "
        "spørgsmål, gennemse og del med Lene.",
        "status": "Skift tilbage til Lene. Skriv «mus status», og læs Annas delte forberedelse.",
        "book": "Book samtalen med Anna: tryk «Book samtale» på hendes kort i status.",
        "clock": "Spol tiden frem (1 dag): påmindelser om forberedelse og samtale kommer nu "
        "på næste arbejdsdag kl. 9. Se dem hos Anna.",
        "held": "Som Lene: markér samtalen med Anna som holdt, og skriv et udkast til "
        "udviklingsplanen (mus plan).",
        "plan": "Skift til Anna, og godkend planen (mus plan). Hent den som PDF bagefter.",
        "summary": "Som Lene: skriv «mus opsamling» for overblikket og opsamlingsmødet.",
        "english": "Emma speaks English: switch to Emma and type «mus help».",
        "done": "Det var en hel MUS-runde. Prøv selv videre: alle kommandoer står i «mus hjælp».",
    },
    "en": {
        "start": "You are Lene, the leader. Type “mus start” in #solsikken and fill in the form.",
        "prep": "Now switch to Anna. Open the invitation in your direct messages, answer a "
        "few questions, review and share with Lene.",
        "status": "Switch back to Lene. Type “mus status” and read Anna's shared preparation.",
        "book": "Book the conversation with Anna: press “Book” on her card in the status.",
        "clock": "Move time forward (1 day): reminders about the preparation and the "
        "conversation arrive on the next working day at 09:00. See them as Anna.",
        "held": "As Lene: mark the conversation with Anna as held and draft the development "
        "plan (mus plan).",
        "plan": "Switch to Anna and approve the plan (mus plan). Download it as a PDF afterwards.",
        "summary": "As Lene: type “mus summary” for the overview and the summary meeting.",
        "english": "Emma speaks English: switch to Emma and type “mus help”.",
        "done": "That was a whole MUS round. Carry on yourself: “mus help” lists every command.",
    },
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
