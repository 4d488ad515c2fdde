"""The Teams bot (an Agents SDK `ActivityHandler`): each activity -> one neutral event -> the core -> cards in Teams.

Thin on purpose: what to say and whether something is allowed is the core's business. The
adapter only decides *how* Teams shows it:

* a reply to the actor goes into the chat the activity came from, or - when that is a team
  channel or group chat, where Teams has no "only visible to you" - into the actor's 1:1 chat,
  because MUS answers are confidential (the greeting on install stays where the app was added);
* a `Form` is a card with inputs in the chat; `FormErrors` redraw that card with the errors;
  after a successful submit the card is replaced by a read-only copy (Teams leaves inputs live);
* Action.Execute invokes are answered in the HTTP response with the updated card; the
  overview card's Universal Actions `refresh` (sent when its person views it) is answered with
  the person's fresh overview, as the core computes it for a `HomeEvent`;
* attachments become download links on the card (see `adapters.teams.files`).

Action.Execute invokes are handled in `on_invoke_activity` (the SDK's own route for them,
`on_adaptive_card_invoke`, takes the value apart into its models first and gains us nothing).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import cast

from microsoft_agents.activity import (
    AdaptiveCardInvokeResponse,
    InvokeResponse,
    TurnContextProtocol,
)
from microsoft_agents.hosting.core import ActivityHandler, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from adapters.teams import translate
from adapters.teams.cards import (
    CARD_CONTENT_TYPE,
    Card,
    dialog_response,
    form_card,
    message_cards,
    read_only_card,
    with_errors,
)
from adapters.teams.port import TeamsPort
from conversations.events import FormEvent, InstallEvent
from conversations.messages import (
    Form,
    FormErrors,
    HomeView,
    Message,
    Paragraph,
    ToActor,
)
from conversations.ports import DeliveryError, EventHandler

log = logging.getLogger(__name__)

MESSAGE_RESPONSE_TYPE = "application/vnd.microsoft.activity.message"


class TeamsBot(ActivityHandler):
    """Routes Teams activities to the core's `EventHandler` and renders its `Reply`."""

    def __init__(self, *, handler: EventHandler, port: TeamsPort) -> None:
        super().__init__()
        self.handler = handler
        self.port = port

    async def on_message_activity(self, turn_context: TurnContextProtocol) -> None:
        await self._turn(cast(TurnContext, turn_context))

    async def on_conversation_update_activity(self, turn_context: TurnContextProtocol) -> None:
        await self._turn(cast(TurnContext, turn_context))

    async def on_invoke_activity(self, turn_context: TurnContextProtocol) -> InvokeResponse | None:
        """Action.Execute: answer 200 with the card to show (see the module docstring);
        task/fetch: answer with the dialog showing a private view."""
        if turn_context.activity.name == translate.DIALOG_INVOKE:
            answer = await self._turn(cast(TurnContext, turn_context))
            title, card = answer.dialog if answer and answer.dialog else (None, None)
            return InvokeResponse(
                status=200, body=dialog_response(title=title, card=card, fallback="…")
            )
        if turn_context.activity.name != translate.EXECUTE_INVOKE:
            return await super().on_invoke_activity(turn_context)
        answer = await self._turn(cast(TurnContext, turn_context))
        card = answer.in_place if answer else None
        if card is not None:
            body = AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)
        else:
            body = AdaptiveCardInvokeResponse(status_code=200, type=MESSAGE_RESPONSE_TYPE)
        return InvokeResponse(status=200, body=body)

    # ------------------------------------------------------------ one turn

    async def _turn(self, turn_context: TurnContext) -> _Answer | None:
        """Handle the activity; what was answered in place (an Action.Execute's card that
        replaces the pressed one, a task/fetch's dialog) is on the returned `_Answer`."""
        activity = turn_context.activity
        await self.port.remember(activity)
        inbound = translate.translate(activity)
        if inbound is None:
            return None
        actor = inbound.event.actor
        if inbound.owner is not None and inbound.owner != actor.user_id:
            # Security, not policy: a card addressed to one person is theirs alone to answer.
            log.warning(
                "teams: %s submitted a card owned by %s; ignored", actor.user_id, inbound.owner
            )
            return None
        await self.port.warm(workspace_id=actor.workspace_id)
        answer = _Answer(turn_context=turn_context, port=self.port, inbound=inbound)
        if inbound.refresh:
            # The overview card's refresh: the core answers a HomeEvent with the person's
            # overview, which is the invoke's answer here instead of a new card in the chat.
            with self.port.capture_home(user_id=actor.user_id) as capture:
                reply = await self.handler.handle(inbound.event, platform=self.port)
                await self.port.flush()
                await answer.render(reply.items)
            answer.in_place = capture.card
            return answer
        reply = await self.handler.handle(inbound.event, platform=self.port)
        await self.port.flush()
        await answer.render(reply.items)
        return answer


class _Answer:
    """Renders one `Reply` for the turn it answers."""

    def __init__(self, *, turn_context: TurnContext, port: TeamsPort, inbound: translate.Inbound):
        self.port = port
        self.inbound = inbound
        self.event = inbound.event
        self.actor = inbound.event.actor
        self.workspace_id = self.actor.workspace_id
        connector = turn_context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        if connector is None:  # pragma: no cover - the adapter always provides one
            raise DeliveryError("unavailable", detail="no connector client in this turn")
        self.connector: ConnectorClientBase = connector
        activity = turn_context.activity
        self.conversation_id = str(activity.conversation.id)
        # The card the actor acted on, if any: only ever one in their own 1:1 chat. In a channel
        # or group chat `replyToId` is the thread's first post (the kickoff, say), and an
        # answer meant for one person must never rewrite what everybody there reads.
        self.pressed = self.event.context.message_ref if self.event.context.is_direct else None
        self.in_place: Card | None = None  # Action.Execute: returned in the HTTP response
        self.dialog: tuple[str, Card] | None = None  # task/fetch: (title, card) of the dialog
        self.pressed_replaced = False

    async def render(self, items: tuple[object, ...]) -> Card | None:
        errors = False
        for item in items:
            try:
                match item:
                    case Message(to=ToActor()) if self.inbound.dialog and self.dialog is None:
                        # The answer to a dialog button is shown in the dialog, not the chat.
                        self.dialog = (item.text, self._dialog_card(item))
                    case Message(to=ToActor()):
                        await self._message(item)
                    case Message():
                        await self.port.send(workspace_id=self.workspace_id, message=item)
                    case Form():
                        await self._form(item)
                    case FormErrors():
                        errors = True
                        await self._form_errors(item)
                    case HomeView():
                        await self.port.publish_home(workspace_id=self.workspace_id, view=item)
                    case _:
                        log.warning("teams: cannot render %s", type(item).__name__)
            except DeliveryError as error:
                # The event is handled and stored; a reply that could not be shown is logged,
                # never turned into a failed (and then redelivered) activity.
                log.warning("teams: reply to %s not delivered: %s", self.actor.user_id, error)
        if isinstance(self.event, FormEvent) and not errors and not self.pressed_replaced:
            await self._close_form()
        return self.in_place

    def _dialog_card(self, message: Message) -> Card:
        """A read-only card for a dialog (buttons and files stay with chat messages)."""
        cards = message_cards(
            message=replace(message, buttons=(), attachments=()),
            action_style=self.port.action_style,
            owner=self.actor.user_id,
            downloads=[],
            locale=self.actor.locale,
        )
        if len(cards) == 1:
            return cards[0]
        body = [element for card in cards for element in card.get("body", [])]
        return {**cards[0], "body": body}

    async def _target(self) -> str:
        """The conversation for answers to the actor: this chat if 1:1, else their 1:1 chat.

        An install is the exception: the greeting belongs where the app was added (Teams'
        own guidance), and nothing in it is the installer's alone.
        """
        if self.event.context.is_direct or isinstance(self.event, InstallEvent):
            return self.conversation_id
        conversation_id, _ = await self.port.dm_conversation(
            workspace_id=self.workspace_id, user_id=self.actor.user_id
        )
        return conversation_id

    async def _message(self, message: Message) -> None:
        cards = message_cards(
            message=message,
            action_style=self.port.action_style,
            owner=self.actor.user_id,
            downloads=await self.port.downloads(
                attachments=message.attachments, owner_user_id=self.actor.user_id
            ),
            locale=self.actor.locale,
        )
        # Whether this answer may replace a card was decided once, by the engine
        # (`conversations.engine.place_answers`): never a card others read.
        replaces = message.replaces
        if replaces and replaces == self.pressed:
            self.pressed_replaced = True
            if await self._replace_pressed(cards[0], summary=message.text):
                cards = cards[1:]
                if not cards:
                    return
        elif replaces:
            try:
                await self.port.update_card(
                    client=self.connector,
                    workspace_id=self.workspace_id,
                    ref=replaces,
                    card=cards[0],
                    summary=message.text,
                )
                cards = cards[1:]
            except DeliveryError as error:
                log.info("teams: could not update %s (%s); posting anew", replaces, error)
            if not cards:
                return
        await self.port.post_cards(
            client=self.connector,
            workspace_id=self.workspace_id,
            conversation_id=await self._target(),
            cards=cards,
            summary=message.text,
        )

    async def _replace_pressed(self, card: Card, *, summary: str | None = None) -> bool:
        """Show `card` instead of the one the actor acted on; False if that was not possible."""
        if self.pressed is None:
            return False
        if self.inbound.execute:
            self.in_place = card
            return True
        try:
            await self.port.update_card(
                client=self.connector,
                workspace_id=self.workspace_id,
                ref=self.pressed,
                card=card,
                summary=summary,
            )
        except DeliveryError as error:
            log.info("teams: could not update %s (%s)", self.pressed, error)
            return False
        return True

    async def _form(self, form: Form) -> None:
        card = form_card(
            form=form,
            action_style=self.port.action_style,
            owner=self.actor.user_id,
            channels=await self.port.channel_choices(workspace_id=self.workspace_id),
            locale=self.actor.locale,
        )
        ref = await self.port.post_cards(
            client=self.connector,
            workspace_id=self.workspace_id,
            conversation_id=await self._target(),
            cards=[card],
            summary=form.title,
        )
        await self.port.registry.save_form(workspace_id=self.workspace_id, ref=ref, card=card)

    async def _stored_form(self) -> Card | None:
        if self.pressed is None:
            return None
        return await self.port.registry.form(workspace_id=self.workspace_id, ref=self.pressed)

    async def _form_errors(self, item: FormErrors) -> None:
        stored = await self._stored_form()
        if stored is not None:
            card = with_errors(
                card=stored,
                errors=item.errors,
                values=self.inbound.submitted,
                locale=self.actor.locale,
            )
            self.pressed_replaced = True
            if await self._replace_pressed(card):
                return
        # No card to redraw (lost, or not ours): say what was wrong in a plain message.
        await self._message(
            Message(
                to=ToActor(),
                text=" ".join(item.errors.values()),
                blocks=tuple(Paragraph(text) for text in item.errors.values()),
            )
        )

    async def _close_form(self) -> None:
        stored = await self._stored_form()
        if stored is not None:
            await self._replace_pressed(read_only_card(card=stored, values=self.inbound.submitted))
