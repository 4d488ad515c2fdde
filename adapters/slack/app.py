"""The slack-bolt app: Slack requests in, the core's `EventHandler` in the middle, Slack out.

Each listener does three things and nothing else: acknowledge in time, translate the payload
into a neutral event (`translate`), and put the core's in-place answer where Slack allows it.
Channel posts, DMs and Home tabs are delivered by the core itself through `SlackPort`.

Acknowledging within Slack's 3 seconds:
- commands, button clicks and events are acknowledged first; the work runs after the ack
  (bolt keeps the listener running once `ack()` has answered the HTTP request);
- a form submission can only show errors in its ack, so the core runs first, but only for
  `form_budget` seconds (a few dozen milliseconds: Slack itself has already checked what the
  rendered modal knows, required inputs and lengths). If the core is slower, the modal is
  closed with an empty ack at once and the core goes on to store the answer: its reply follows
  as a message, and errors found late say the form was not saved (nothing is lost: the answer
  is stored before anything says so, or the person is told it was not). A form the core marks
  `closes_at_once` (a prep answer: Slack has checked the required input and its length) is
  acknowledged before the core runs at all.

Redeliveries: the engine claims each `event_id` once in its transaction; this app also keeps
the ids it is handling or has handled, so a retry (`X-Slack-Retry-Num`) that arrives while
the first delivery is still running does not race it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackSettings
from adapters.slack.port import SlackPort, api_error_code, build_web_client, delivery_error
from adapters.slack.render import (
    JSON,
    FormOrigin,
    RenderError,
    closes_at_once,
    note_text,
    render_errors,
    render_form,
    render_message,
    render_private,
)
from adapters.slack.translate import (
    button_event,
    command_event,
    form_event,
    home_event,
    is_direct_channel,
    mentioned_users,
    text_event,
)
from conversations.events import InboundEvent
from conversations.messages import (
    BulletList,
    DateTimeInput,
    Form,
    FormErrors,
    HomeView,
    Message,
    Paragraph,
    Reply,
    ToActor,
)
from conversations.ports import DeliveryError, EventHandler

log = logging.getLogger(__name__)


class _ClientOverToken(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN from the environment by itself and, because we hand it a
    client built from that same token, warns on every start that the token is unused."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_ClientOverToken())

FORM_BUDGET = 0.06
"""Seconds a form submission may take, from the request's arrival, before the modal is closed
without the core's answer: under load the ack still comes within 100 ms, and the answer is
stored after it. A form that closes at once (`Form.closes_at_once`: a prep answer) does not
wait at all: Slack has checked everything the core would refuse, and the reply is messages."""

RECEIVED_AT = "musbot_received_at"
"""Bolt context key: `time.monotonic()` when the HTTP server got the request (absent over
Socket Mode). Time the request spent queued before its listener ran (a busy loop, bolt's
middleware) counts against `FORM_BUDGET`."""

SEEN_TTL = 15 * 60.0
"""How long delivery ids are remembered here; Slack stops retrying after a few minutes."""


@dataclass(slots=True, kw_only=True)
class _Origin:
    """How to answer the request an event came from, in place."""

    event: InboundEvent
    trigger_id: str | None = None
    respond: AsyncRespond | None = None
    ephemeral_source: bool = False  # the button sat on an ephemeral message
    quiet: bool = False  # the Home tab opened: nothing is posted in the conversation
    late: bool = False  # a form submission answered after its modal was closed


class SlackApp(AsyncApp):
    """A bolt `AsyncApp` with MUS-bot's listeners; `port` is what the core delivers through."""

    def __init__(
        self,
        *,
        handler: EventHandler,
        port: SlackPort,
        signing_secret: str | None,
        command: str = "/mus",
        form_budget: float = FORM_BUDGET,
        process_before_response: bool = False,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(
            name="mus-bot",
            signing_secret=signing_secret,
            client=port.client,
            process_before_response=process_before_response,
            logger=logger,
            # Without a secret only Socket Mode can serve (add_slack_routes refuses to mount).
            request_verification_enabled=signing_secret is not None,
        )
        self.verifies_requests = signing_secret is not None
        self.event_handler = handler
        self.port = port
        self.form_budget = form_budget
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._inflight: set[asyncio.Task[Any]] = set()

        self.command(command)(self._on_command)
        self.action(re.compile(".*"))(self._on_action)
        self.view_submission(re.compile(".*"))(self._on_view_submission)
        self.event("message")(self._on_message)
        self.event("app_home_opened")(self._on_home_opened)

    # -------------------------------------------------- lifecycle

    async def warm_up(self) -> None:
        """Ask Slack who the token belongs to before serving, not on the first request.

        Bolt asks `auth.test` before it acks the first request after a start, and every request
        arriving meanwhile waits too: after a restart under load, a whole burst of events was
        acked hundreds of milliseconds late. A failure here is logged; bolt then asks on the
        first request as before.
        """
        for middleware in self._async_middleware_list:
            if isinstance(middleware, AsyncSingleTeamAuthorization):
                if middleware.auth_test_result is None:
                    try:
                        middleware.auth_test_result = await self.client.auth_test()
                    except (SlackClientError, OSError, TimeoutError) as error:
                        log.warning("slack: auth.test at start failed: %s", delivery_error(error))
                return

    async def drain(self, *, grace: float = 10.0) -> None:
        """Wait for work that runs after an ack, so a shutdown does not cut it off."""
        current = asyncio.current_task()
        pending = {task for task in self._inflight if task is not current and not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=grace)

    async def close(self, *, grace: float = 10.0) -> None:
        """Let accepted work finish, then close the Web API client's kept connections (this
        port's and the outbox's `for_background` port's): every owner of the app calls this."""
        await self.drain(grace=grace)
        await self.port.close()

    # -------------------------------------------------- listeners

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        event = command_event(body)
        if event is not None:
            await self._process(
                _Origin(event=event, trigger_id=body.get("trigger_id"), respond=respond)
            )

    async def _on_action(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond | None
    ) -> None:
        await ack()
        event = button_event(body)
        if event is None:
            return
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        channel = event.context.channel_id
        if channel and is_direct_channel(channel) and not ephemeral:
            # Our own (non-ephemeral) message in a DM: this is the bot's DM with the person.
            self.port.remember_dm(user_id=event.actor.user_id, channel_id=channel)
        await self._process(
            _Origin(
                event=event,
                trigger_id=body.get("trigger_id"),
                respond=respond if body.get("response_url") else None,
                ephemeral_source=ephemeral,
            )
        )

    async def _on_view_submission(
        self, ack: AsyncAck, body: dict[str, Any], context: Mapping[str, Any]
    ) -> None:
        event = form_event(body)
        if event is None:
            await ack()
            return
        origin = _Origin(event=event, trigger_id=body.get("trigger_id"))
        if closes_at_once(str((body.get("view") or {}).get("private_metadata") or "")):
            await ack()  # the modal closes now; the answer is stored and its reply follows
            origin.late = True
            await self._process(origin)
            return
        budget = self.form_budget
        received = context.get(RECEIVED_AT)
        if isinstance(received, float):  # what the request waited already counts
            budget = max(0.0, budget - (time.monotonic() - received))
        async with self._tracked():
            work = asyncio.ensure_future(self._handle(event))
            done, _ = await asyncio.wait({work}, timeout=budget)
            if not done:
                # Routine under load (the budget is tens of milliseconds): info, not warning.
                log.info("form %s took over %.2fs; closing the modal", event.form, budget)
                await ack()
                origin.late = True
                reply = await work
                if reply is not None:
                    await self._deliver(reply, origin)
                return
            reply = work.result()
            if reply is None:
                await ack()
                return
            response, rest = await self._submission_response(reply, origin)
            await ack(**response)
            await self._deliver(rest, origin)

    async def _on_message(self, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        _log_retry(request)
        names: dict[str, str] = {}
        for user_id in mentioned_users(body)[:20]:  # a name for each mention (cached lookups)
            try:
                found = await self.port.lookup(workspace_id="", user_id=user_id)
            except DeliveryError:
                found = None
            if found is not None and found.display_name:
                names[user_id] = found.display_name
        event = text_event(body, names=names)
        if event is None:
            return
        if event.context.channel_id:
            self.port.remember_dm(user_id=event.actor.user_id, channel_id=event.context.channel_id)
        await self._process(_Origin(event=event))

    async def _on_home_opened(self, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        _log_retry(request)
        event = home_event(body)
        if event is None:
            return
        if event.context.channel_id:
            self.port.remember_dm(user_id=event.actor.user_id, channel_id=event.context.channel_id)
        await self._process(_Origin(event=event, quiet=True))

    # -------------------------------------------------- the core

    async def _process(self, origin: _Origin) -> None:
        async with self._tracked():
            reply = await self._handle(origin.event)
            if reply is not None:
                await self._deliver(reply, origin)

    async def _handle(self, event: InboundEvent) -> Reply | None:
        """The core's answer, or None for a delivery already being handled or handled."""
        if not self._claim(event.event_id):
            log.info("redelivery of %s ignored", event.event_id)
            return None
        try:
            return await self.event_handler.handle(event, platform=self.port)
        except Exception:
            log.exception("handling %s failed", event.event_id)
            self._seen.pop(event.event_id, None)  # let Slack's retry try again
            return None

    def _claim(self, event_id: str) -> bool:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now + SEEN_TTL
        return True

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    # -------------------------------------------------- answering in place

    async def _submission_response(self, reply: Reply, origin: _Origin) -> tuple[JSON, Reply]:
        """The view_submission ack (errors, or the next form) and what is left to deliver."""
        rest = list(reply.items)
        for item in rest:
            if isinstance(item, FormErrors):
                rest.remove(item)
                return render_errors(item), Reply(tuple(rest))
        for item in rest:
            if isinstance(item, Form):
                try:
                    view = await self._render_form(item, origin)
                except RenderError:
                    log.exception("form %s cannot be shown in Slack", item.id)
                    break
                rest.remove(item)
                return {"response_action": "update", "view": view}, Reply(tuple(rest))
        return {}, reply

    async def _deliver(self, reply: Reply, origin: _Origin) -> None:
        for item in reply.items:
            try:
                await self._deliver_one(item, origin)
            except (DeliveryError, SlackClientError, RenderError) as error:
                log.warning("answering %s failed: %s", origin.event.event_id, delivery_error(error))
            except Exception:
                log.exception("answering %s failed", origin.event.event_id)

    async def _deliver_one(self, item: object, origin: _Origin) -> None:
        workspace_id = origin.event.actor.workspace_id
        match item:
            case Message(to=ToActor(), private=True):
                await self._open_private(item, origin)
            case Message(to=ToActor()):
                await self._answer(item, origin)
            case Message():
                # The core delivers these itself; kept working should a flow return one.
                await self.port.send(workspace_id=workspace_id, message=item)
            case HomeView():
                await self.port.publish_home(workspace_id=workspace_id, view=item)
            case Form():
                await self._open_form(item, origin)
            case FormErrors() if origin.late:
                await self._answer(self._late_errors(item, origin), origin)
            case FormErrors():
                log.warning(
                    "form errors outside a form submission dropped: %s", sorted(item.errors)
                )

    async def _answer(self, message: Message, origin: _Origin) -> None:
        """Show a `ToActor` message to the actor only, updating `replaces` where allowed.

        Files cannot be ephemeral, so attachments always go to the actor's DM with the bot,
        never into a channel where the answer itself was shown ephemerally.
        """
        if origin.quiet:
            log.info("in-place answer to %s dropped (Home tab opened)", origin.event.event_id)
            return
        await self._answer_text(message, origin)
        if message.attachments:
            dm = await self.port.dm_channel(user_id=origin.event.actor.user_id)
            await self.port.upload(channel=dm, attachments=message.attachments)

    async def _answer_text(self, message: Message, origin: _Origin) -> None:
        payloads = render_message(message)
        user_id = origin.event.actor.user_id
        context = origin.event.context
        if origin.respond is not None and origin.ephemeral_source:
            # Only the response_url can change an ephemeral message (the engine has decided
            # whether it may: `conversations.engine.place_answers`).
            await _respond(origin.respond, payloads, replace_first=message.replaces is not None)
            return
        channel = context.channel_id
        dm = None
        if channel is None or is_direct_channel(channel):
            dm = await self.port.dm_channel(user_id=user_id)
        if channel is None or channel == dm:
            assert dm is not None
            ref = await self.port.post(channel=dm, payloads=payloads, replaces=message.replaces)
            if message.key and ref:
                await self.event_handler.record_sent(
                    platform=self.port.platform,
                    workspace_id=origin.event.actor.workspace_id,
                    key=message.key,
                    ref=ref,
                    user_id=user_id,
                )
            return
        # A shared channel (or somebody else's DM): shown to the actor only, ephemerally. The
        # message pressed there is not one the bot could rewrite for the actor alone.
        if origin.respond is not None:
            await _respond(origin.respond, payloads, replace_first=False)
            return
        try:
            await self.port.post_ephemeral(channel=channel, user_id=user_id, payloads=payloads)
        except DeliveryError as error:
            if not error.permanent:
                raise
            dm = await self.port.dm_channel(user_id=user_id)
            await self.port.post(channel=dm, payloads=payloads)

    async def _open_private(self, message: Message, origin: _Origin) -> None:
        """Confidential content in a modal (not kept in the history); an ephemeral message
        (not kept either) when there is no trigger to open one with."""
        if origin.quiet:
            return
        user_id = origin.event.actor.user_id
        if origin.trigger_id:
            view = render_private(message, locale=self.port.cached_locale(user_id))
            try:
                await self.port.client.views_open(trigger_id=origin.trigger_id, view=view)
                return
            except SlackApiError as error:
                if api_error_code(error) not in ("expired_trigger_id", "invalid_trigger_id"):
                    raise
                log.warning("private view for %s: trigger expired", origin.event.event_id)
        dm = await self.port.dm_channel(user_id=user_id)
        await self.port.post_ephemeral(
            channel=dm, user_id=user_id, payloads=render_message(message)
        )

    async def _open_form(self, form: Form, origin: _Origin) -> None:
        if not origin.trigger_id:
            log.warning("form %s has no trigger_id to open with", form.id)
            return
        view = await self._render_form(form, origin)
        try:
            await self.port.client.views_open(trigger_id=origin.trigger_id, view=view)
        except SlackApiError as error:
            if api_error_code(error) not in ("expired_trigger_id", "invalid_trigger_id"):
                raise
            log.warning("form %s: trigger expired before the core answered", form.id)
            text = note_text(self.port.cached_locale(origin.event.actor.user_id), "form_expired")
            await self._answer(Message(to=ToActor(), text=text, blocks=(Paragraph(text),)), origin)

    async def _render_form(self, form: Form, origin: _Origin) -> JSON:
        user_id = origin.event.actor.user_id
        context = origin.event.context
        tz = await self._timezone(user_id) if _has_datetime(form) else None
        return render_form(
            form,
            origin=FormOrigin(
                channel_id=context.channel_id,
                is_direct=context.is_direct,
                message_ref=context.message_ref,
                tz=tz,
            ),
            locale=self.port.cached_locale(user_id),
        )

    async def _timezone(self, user_id: str) -> str | None:
        try:
            profile = await self.port.profile(user_id=user_id)
        except DeliveryError as error:
            log.warning("time zone of %s unknown: %s", user_id, error)
            return None
        tz = profile.get("tz") if profile else None
        return tz if isinstance(tz, str) else None

    def _late_errors(self, errors: FormErrors, origin: _Origin) -> Message:
        text = note_text(self.port.cached_locale(origin.event.actor.user_id), "form_late")
        return Message(
            to=ToActor(),
            text=text,
            blocks=(Paragraph(text), BulletList(tuple(errors.errors.values()))),
        )


async def _respond(respond: AsyncRespond, payloads: list[JSON], *, replace_first: bool) -> None:
    for index, payload in enumerate(payloads):
        response = await respond(
            text=payload.get("text") or "",
            blocks=payload.get("blocks"),
            response_type="ephemeral",
            replace_original=replace_first and index == 0,
        )
        if response.status_code >= 400:
            raise DeliveryError(
                "unavailable" if response.status_code >= 500 else "invalid",
                detail=f"response_url answered {response.status_code}: {response.body[:100]}",
            )


def _has_datetime(form: Form) -> bool:
    return any(isinstance(item, DateTimeInput) for item in form.inputs)


def _log_retry(request: AsyncBoltRequest) -> None:
    headers: Mapping[str, Any] = request.headers
    retry = headers.get("x-slack-retry-num")
    number = str(retry[0] if isinstance(retry, list | tuple) else retry or "")
    # Socket Mode envelopes carry retry_attempt 0 on a first delivery: that is no redelivery.
    if number and number != "0":
        why = headers.get("x-slack-retry-reason")
        reason = str(why[0] if isinstance(why, list | tuple) and why else why or "no reason given")
        log.info("Slack redelivery #%s (%s)", number, reason)


def build_slack_app(
    *,
    handler: EventHandler,
    settings: SlackSettings,
    client: AsyncWebClient | None = None,
    form_budget: float = FORM_BUDGET,
    process_before_response: bool = False,
) -> SlackApp:
    """The bolt app for one workspace, its Web API client pointed at `settings.api_url`."""
    client = client or build_web_client(token=settings.bot_token, base_url=settings.api_url)
    return SlackApp(
        handler=handler,
        port=SlackPort(client=client, command=settings.command),
        signing_secret=settings.signing_secret,
        command=settings.command,
        form_budget=form_budget,
        process_before_response=process_before_response,
    )
