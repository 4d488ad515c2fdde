"""Which flow answers an event: commands by their first word, buttons and forms by prefix.

Subcommands have a Danish and an English name. Anything unknown answers with the help, never
an error: a typo is not a failure. A button value or form state is unpacked into its typed
action (`conversations.actions`) before any flow sees it; one that does not unpack (out of
date, forged, unknown) gets the friendly "this button is out of date" answer.

Text typed in a 1:1 chat that begins with the command word ("mus …") is a command only when
its second word is a known command (`typed_command`, applied by the engine), or when the
person is not in the middle of a question; otherwise it is their answer: "MUS er for mig en
god anledning…" typed during prep is stored, not refused as the command "er".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations.actions import ButtonAction, FormState, StaleAction, unpack_button, unpack_form
from conversations.context import Ctx
from conversations.events import (
    ButtonEvent,
    CommandEvent,
    FormEvent,
    HomeEvent,
    InboundEvent,
    InstallEvent,
    TextEvent,
)
from conversations.flows import (
    actionplan,
    adapt,
    booking,
    committee,
    coverage,
    evaluation,
    home,
    kickoff,
    leaders,
    material,
    mydata,
    notes,
    plan,
    prep,
    reminders,
    status,
    summary,
)
from conversations.flows import help as help_flow
from conversations.flows.common import Refuse, say
from conversations.messages import Reply

Command = Callable[[Ctx, str], Awaitable[Reply]]

COMMANDS: dict[str, Command] = {
    "": help_flow.show_help,
    "hjælp": help_flow.show_help,
    "hjaelp": help_flow.show_help,
    "help": help_flow.show_help,
    "start": kickoff.open_start_form,
    "forbered": prep.resume,
    "forberedelse": prep.resume,
    "prep": prep.resume,
    "status": status.show_status,
    "ledere": leaders.open_leaders_form,
    "leaders": leaders.open_leaders_form,
    "hjem": home.show_home,
    "home": home.show_home,
    "plan": plan.plan_command,
    "udviklingsplan": plan.plan_command,
    "book": booking.book_command,
    "samtale": booking.book_command,
    "påmindelser": reminders.list_command,
    "paamindelser": reminders.list_command,
    "reminders": reminders.list_command,
    "opsamling": summary.summary_command,
    "afslut": summary.close_command,
    "handleplan": actionplan.command,
    "evaluering": evaluation.command,
    "evaluation": evaluation.command,
    "udvalg": committee.command,
    "committee": committee.command,
    "dækning": coverage.command,
    "daekning": coverage.command,
    "coverage": coverage.command,
    "actionplan": actionplan.command,
    "close": summary.close_command,
    "summary": summary.summary_command,
    "mine": mydata.data_command,
    "my": mydata.data_command,
    "tilpas": adapt.adapt_command,
    "adapt": adapt.adapt_command,
}

ButtonHandler = Callable[[Ctx, ButtonAction], Awaitable[Reply]]
FormHandler = Callable[[Ctx, FormState, dict[str, str | tuple[str, ...] | None]], Awaitable[Reply]]

BUTTONS: dict[str, ButtonHandler] = {
    "prep": prep.on_button,
    "round": kickoff.on_button,
    "notes": notes.on_button,
    "status": status.on_button,
    "booking": booking.on_button,
    "plan": plan.on_button,
    "reminder": reminders.on_button,
    "summary": summary.on_button,
    "adapt": adapt.on_button,
    "action": actionplan.on_button,
    "evaluation": evaluation.on_button,
    "material": material.on_button,
}

FORMS: dict[str, FormHandler] = {
    "prep": prep.on_form,
    "round": kickoff.on_form,
    "notes": notes.on_form,
    "leaders": leaders.on_form,
    "booking": booking.on_form,
    "plan": plan.on_form,
    "adapt": adapt.on_form,
    "action": actionplan.on_form,
    "evaluation": evaluation.on_form,
    "committee": committee.on_form,
}


COMMAND_WORD = "mus"


def command_text(text: str) -> str | None:
    """What follows the command word in typed text ("mus start" -> "start"); None without it."""
    first, _, rest = text.strip().partition(" ")
    return rest.strip() if first.lower().lstrip("/") == COMMAND_WORD else None


def typed_command(event: InboundEvent) -> InboundEvent:
    """Typed text "mus <known command> …" as that command; any other event as it is.

    Decided before the event is handled (no database needed), so a typed command is looked
    up and checked exactly like one sent as a command. "mus <unknown word> …" stays text:
    `dispatch` decides with the person's state whether it is an answer.
    """
    if not isinstance(event, TextEvent):
        return event
    rest = command_text(event.text)
    if rest is None or rest.partition(" ")[0].lower() not in COMMANDS:
        return event
    return CommandEvent(
        event_id=event.event_id, actor=event.actor, context=event.context, text=rest
    )


async def _command(ctx: Ctx, text: str) -> Reply:
    word, _, rest = text.strip().partition(" ")
    handler = COMMANDS.get(word.lower())
    if handler is None:
        return await help_flow.show_help(ctx, "", unknown=word)
    return await handler(ctx, rest.strip())


def shows_only(event: InboundEvent) -> bool:
    """True for a button whose flow only shows something (`ButtonAction.shows_only`): the
    engine may run it as reads, with no transaction and no claim of the delivery."""
    if not isinstance(event, ButtonEvent):
        return False
    try:
        return unpack_button(event.action, event.value).shows_only
    except StaleAction:
        return False


async def dispatch(ctx: Ctx) -> Reply:
    event = ctx.event
    try:
        if isinstance(event, CommandEvent):
            return await _command(ctx, event.text)
        if isinstance(event, ButtonEvent):
            action = unpack_button(event.action, event.value)
            button = BUTTONS.get(action.flow)
            if button is None:
                return say(ctx, "error.stale_button")
            return await button(ctx, action)
        if isinstance(event, FormEvent):
            state = unpack_form(event.form, event.state)
            form = FORMS.get(state.flow)
            if form is None:
                return say(ctx, "error.stale_button")
            return await form(ctx, state, event.values)
        if isinstance(event, TextEvent):
            rest = command_text(event.text)
            if rest is not None and not await prep.answering(ctx):
                return await _command(ctx, rest)  # "mus <typo>": the help, not a lost answer
            return await prep.on_text(ctx, event.text)
        if isinstance(event, HomeEvent):
            return await home.show_home(ctx, "")
        if isinstance(event, InstallEvent):
            return await help_flow.greet(ctx, event)
    except StaleAction:
        return say(ctx, "error.stale_button")
    except Refuse as refusal:
        return say(ctx, refusal.key, **refusal.values)
    return Reply()
