"""The core's entry point: one inbound event in, one committed transaction, messages out.

Order matters and is the point of this module:
1. The delivery id is claimed inside the same transaction as the handler's writes, so a
   retried delivery changes nothing, and a failed handler leaves the retry free to run.
2. The transaction commits before anything is sent, so every answer is stored before the
   person sees it acknowledged.
3. Channel posts and DMs go out through the adapter's `PlatformPort`; a failure becomes a
   clear message to the person who acted, never a crash.
4. Where an answer goes is decided here, once, for every platform: an answer to one person
   never rewrites a message others can read (`place_answers`). Adapters only carry it out.

One exception to the transaction: a button that only shows something (opening a form,
`ButtonAction.shows_only`) runs as reads with no claim (`_shown`), since it stores nothing
a retry could repeat; the moment its flow would write, it runs again the usual way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from conversations import i18n
from conversations.context import CoreSettings, Ctx, TemplateSource
from conversations.domain import Person, Workspace
from conversations.events import Actor, CommandEvent, Context, InboundEvent
from conversations.messages import (
    HomeView,
    Message,
    Note,
    Outbound,
    Paragraph,
    Reply,
    ToActor,
    ToChannel,
    ToPerson,
)
from conversations.ports import Clock, DeliveryError, PlatformPort, Store, Tx, WriteInRead
from conversations.pressure import LoopPressure
from conversations.sent_log import RefWrite, SentLog

if TYPE_CHECKING:
    from conversations.directory import Directory

log = logging.getLogger(__name__)

KNOWN_PEOPLE_LIMIT = 100_000
"""Entries in the per-process caches of known people and workspaces before they start over."""


class Engine:
    """Implements `conversations.ports.EventHandler`."""

    def __init__(
        self,
        *,
        store: Store,
        templates: TemplateSource,
        clock: Clock,
        settings: CoreSettings | None = None,
    ) -> None:
        self.store = store
        self.templates = templates
        self.clock = clock
        self.settings = settings or CoreSettings()
        self.fan_out = 8  # direct messages in flight at once
        # People already stored: their profile needs no platform lookup (bounded, per process).
        self._known_people: set[tuple[str, str, str]] = set()
        # Workspaces already stored, by (platform, external id): their row never changes what
        # an event needs (its id), so it is not upserted on every event.
        self._workspaces: dict[tuple[str, str], Workspace] = {}
        self._sent_log = SentLog(store=store)
        self.pressure = LoopPressure()

    async def handle(self, event: InboundEvent, *, platform: PlatformPort) -> Reply:
        from conversations.directory import Directory  # with its forms: not for an idle server
        from conversations.router import shows_only, typed_command

        event = typed_command(event)
        await self.pressure.admit()  # acks first while the loop is saturated
        actor = await self._complete_actor(event, platform=platform)
        key = f"{actor.platform}:{actor.workspace_id}:{event.event_id}"
        directory = Directory(platform=platform, workspace_id=actor.workspace_id)
        # Network reads before the transaction, not inside it.
        await directory.prefetch(event, admins=self.settings.configured_admins)
        now = self.clock.now()
        run = _Run(event=event, now=now, platform=platform, directory=directory)
        try:
            shown = await self._shown(run, actor) if shows_only(event) else None
            if shown is not None:
                reply, person = shown
            else:
                async with self.store.transaction() as tx:
                    workspace = await self._workspace(tx, actor.platform, actor.workspace_id)
                    claimed, stored = await tx.events.claim_from(
                        key=key, at=now, workspace_id=workspace.id, user_id=actor.user_id
                    )
                    if not claimed:
                        log.info("duplicate delivery %s ignored", key)
                        return Reply()
                    given = _given(actor)
                    # The stored row came with the claim; written only when the event says more.
                    person = (
                        stored
                        if stored is not None and _agrees(stored, given)
                        else await tx.people.upsert(
                            workspace_id=workspace.id,
                            user_id=actor.user_id,
                            display_name=actor.display_name,
                            locale=given[1],
                            timezone=actor.timezone,
                            is_admin=actor.is_admin,
                        )
                    )
                    reply = await self._run(tx, run, workspace=workspace, person=person)
        except Exception:
            self._workspaces.clear()  # a rolled-back first event may have created it
            log.exception("handling %s failed", key)
            return Reply((_oops(actor.locale),))
        self._remember(actor)
        return await self.deliver(
            reply, platform=platform, workspace_id=actor.workspace_id, person=person
        )

    async def _shown(self, run: _Run, actor: Actor) -> tuple[Reply, Person] | None:
        """An event whose flow only shows something, run as reads (`Store.reading`): no
        BEGIN, claim or COMMIT. A redelivery is not caught here (the Slack adapter drops the
        ones it has seen); it would show the form again, storing nothing. None where it must
        run in a transaction: a workspace or person not stored yet, profile details that
        changed, or a flow that wrote after all (`WriteInRead`)."""
        workspace = self._workspaces.get((actor.platform, actor.workspace_id))
        if workspace is None:
            return None
        try:
            async with self.store.reading() as tx:
                person = await tx.people.get_by_user_id(
                    workspace_id=workspace.id, user_id=actor.user_id
                )
                if person is None or not _agrees(person, _given(actor)):
                    return None
                return await self._run(tx, run, workspace=workspace, person=person), person
        except WriteInRead:
            log.debug("a read-only event wrote; it runs again in a transaction")
            return None

    async def _run(self, tx: Tx, run: _Run, *, workspace: Workspace, person: Person) -> Reply:
        """The flow's reply, with its keys resolved and its answers placed."""
        ctx = Ctx(
            tx=tx,
            event=run.event,
            workspace=workspace,
            person=person,
            now=run.now,
            templates=self.templates,
            platform=run.platform,
            directory=run.directory,
            settings=self.settings,
        )
        from conversations.router import dispatch

        reply = await resolve_keys(
            tx,
            await dispatch(ctx),
            platform=run.event.actor.platform,
            workspace_id=run.event.actor.workspace_id,
        )
        return place_answers(reply, context=run.event.context)

    async def deliver(
        self, reply: Reply, *, platform: PlatformPort, workspace_id: str, person: Person | None
    ) -> Reply:
        """Send proactive items; return what answers the request in place.

        Channel posts go first, in order; DMs then go out a few at a time (a kickoff to a large
        team must not take minutes, nor burst past the platform's limits, which the adapter's
        own limiter enforces). Failures become messages to the actor, in the original order.
        """
        items = list(reply.items)
        results: list[list[Outbound]] = [[] for _ in items]
        gate = asyncio.Semaphore(self.fan_out)
        keyed: list[tuple[str, str, str | None]] = []  # (key, ref, user id) of keyed messages
        # Messages overwritten in place by unkeyed content (an overview drawn over a question
        # card): a key that named what stood there must not lead a later update to it. Not
        # needed where the overwrite came through a key this reply re-points (a typed answer's
        # card: the next question takes the key), which saves a write per answer.
        rekeyed = {item.key for item in items if isinstance(item, Message) and item.key}
        overwritten = [
            item.replaces
            for item in items
            if isinstance(item, Message)
            and item.replaces is not None
            and item.key is None
            and item.replaces_key not in rekeyed
        ]

        async def send(index: int, item: Message) -> None:
            async with gate:
                try:
                    ref = await platform.send(workspace_id=workspace_id, message=item)
                except DeliveryError as error:
                    log.warning("delivery to %s failed: %s", item.to, error)
                    if item.on_failure is not None:
                        results[index].append(_with_reason(item.on_failure, person, error))
                        return
                    name = await self._recipient_name(
                        item, workspace_id=workspace_id, platform=platform
                    )
                    results[index].append(_delivery_failed(person, item, error, name=name))
                else:
                    if item.key and ref:
                        user_id = item.to.user_id if isinstance(item.to, ToPerson) else None
                        keyed.append((item.key, ref, user_id))
                    if item.on_sent is not None:
                        results[index].append(item.on_sent)

        direct: list[asyncio.Task[None]] = []
        for index, item in enumerate(items):
            if isinstance(item, Message) and isinstance(item.to, ToChannel):
                await send(index, item)
            elif isinstance(item, Message) and isinstance(item.to, ToPerson):
                direct.append(asyncio.create_task(send(index, item)))
            elif isinstance(item, HomeView):
                try:
                    await platform.publish_home(workspace_id=workspace_id, view=item)
                except DeliveryError as error:
                    log.warning("home view for %s failed: %s", item.user_id, error)
            else:
                results[index].append(item)
        if direct:
            await asyncio.gather(*direct)
        if keyed or overwritten:
            await self._record(
                platform=platform.platform,
                workspace_id=workspace_id,
                keyed=keyed,
                overwritten=overwritten,
            )
        return Reply(tuple(out for group in results for out in group))

    async def record_sent(
        self, *, platform: str, workspace_id: str, key: str, ref: str, user_id: str | None
    ) -> None:
        """`EventHandler.record_sent`: an adapter posted a keyed in-place answer."""
        await self._record(
            platform=platform, workspace_id=workspace_id, keyed=[(key, ref, user_id)]
        )

    async def _record(
        self,
        *,
        platform: str,
        workspace_id: str,
        keyed: list[tuple[str, str, str | None]],
        overwritten: Sequence[str] = (),
    ) -> None:
        """Remember where keyed messages went, after they were sent, and forget keys of
        messages since overwritten in place by something else (`SentLog`: grouped with other
        answers' refs under load)."""
        now = self.clock.now()
        await self._sent_log.write(
            writes=[
                RefWrite(platform=platform, workspace_id=workspace_id, ref=ref)
                for ref in overwritten
            ]
            + [
                RefWrite(
                    platform=platform,
                    workspace_id=workspace_id,
                    ref=ref,
                    key=key,
                    user_id=user_id,
                    at=now,
                )
                for key, ref, user_id in keyed
            ]
        )

    async def _recipient_name(
        self, item: Message, *, workspace_id: str, platform: PlatformPort
    ) -> str:
        if isinstance(item.to, ToChannel):
            return item.to.channel_id
        assert isinstance(item.to, ToPerson)
        async with self.store.transaction() as tx:
            workspace = await self._workspace(tx, platform.platform, workspace_id)
            found = await tx.people.get_by_user_id(
                workspace_id=workspace.id, user_id=item.to.user_id
            )
        return found.display_name if found else item.to.user_id

    async def _complete_actor(self, event: InboundEvent, *, platform: PlatformPort) -> Actor:
        """Fill in profile details the payload lacks (locale, time zone, admin flag).

        Looked up for commands (where the admin flag decides what is allowed) and for people
        the bot has not met; everything else uses what is stored.
        """
        actor = event.actor
        if actor.locale and actor.is_admin is not None and actor.timezone:
            return actor
        if not isinstance(event, CommandEvent) and await self._known(actor):
            return actor
        try:
            found = await platform.lookup(workspace_id=actor.workspace_id, user_id=actor.user_id)
        except DeliveryError as error:
            log.warning("profile lookup for %s failed: %s", actor.user_id, error)
            return actor
        if found is None:
            return actor
        return replace(
            actor,
            display_name=actor.display_name or found.display_name,
            locale=actor.locale or found.locale,
            timezone=actor.timezone or found.timezone,
            is_admin=actor.is_admin if actor.is_admin is not None else found.is_admin,
        )

    async def _known(self, actor: Actor) -> bool:
        key = (actor.platform, actor.workspace_id, actor.user_id)
        if key in self._known_people:
            return True
        cached = self._workspaces.get((actor.platform, actor.workspace_id))
        if cached is not None:
            # A read (no write lock on SQLite): a kickoff brings many first clicks at once.
            async with self.store.reading() as tx:
                person = await tx.people.get_by_user_id(
                    workspace_id=cached.id, user_id=actor.user_id
                )
        else:
            async with self.store.transaction() as tx:
                workspace = await self._workspace(tx, actor.platform, actor.workspace_id)
                person = await tx.people.get_by_user_id(
                    workspace_id=workspace.id, user_id=actor.user_id
                )
        if person is None:
            return False
        self._remember(actor)
        return True

    def _remember(self, actor: Actor) -> None:
        if len(self._known_people) >= KNOWN_PEOPLE_LIMIT:
            self._known_people.clear()
        self._known_people.add((actor.platform, actor.workspace_id, actor.user_id))

    async def _workspace(self, tx: Tx, platform: str, external_id: str) -> Workspace:
        key = (platform, external_id)
        found = self._workspaces.get(key)
        if found is None:
            found = await tx.workspaces.get_or_create(platform=platform, external_id=external_id)
            if len(self._workspaces) >= KNOWN_PEOPLE_LIMIT:
                self._workspaces.clear()
            self._workspaces[key] = found
        return found


async def resolve_keys(tx: Tx, reply: Reply, *, platform: str, workspace_id: str) -> Reply:
    """`Message.replaces_key` -> `Message.replaces`: the platform ref recorded under the key.

    Nothing recorded (a message sent before keys were kept, or never sent): the message is
    posted anew, or dropped when it only makes sense as an update (`update_only`).
    """
    if not any(isinstance(i, Message) and i.replaces_key for i in reply.items):
        return reply
    items: list[Outbound] = []
    for item in reply.items:
        if isinstance(item, Message) and item.replaces_key and not item.replaces:
            ref = await tx.sent_messages.get(
                platform=platform, workspace_id=workspace_id, key=item.replaces_key
            )
            if ref is None and item.update_only:
                continue
            item = replace(item, replaces=ref)
        items.append(item)
    return Reply(tuple(items))


@dataclass(frozen=True, slots=True)
class _Run:
    """What one event's handling carries into the flow besides the transaction."""

    event: InboundEvent
    now: datetime
    platform: PlatformPort
    directory: Directory


def _given(actor: Actor) -> tuple[str | None, str | None, str | None, bool | None]:
    """The profile details the event gives, in `_agrees`'s order (None: not given)."""
    locale = i18n.language(actor.locale) if actor.locale else None
    return (actor.display_name, locale, actor.timezone, actor.is_admin)


def _agrees(person: Person, given: tuple[object, object, object, object]) -> bool:
    """Every profile detail the event gives (name, language, time zone, admin flag; None: not
    given) is what is stored already, so the upsert would change nothing."""
    stored = (person.display_name, person.locale, person.timezone, person.is_admin)
    return all(value is None or value == known for value, known in zip(given, stored, strict=True))


def place_answers(reply: Reply, *, context: Context) -> Reply:
    """An answer to one person never rewrites a message others can read.

    A `ToActor` message may replace the message the actor pressed a button on only where
    that message is theirs alone: their direct chat with the bot, or a message only they see.
    In a channel or group chat (a kickoff post, say) the answer is shown to the actor
    beside it instead, and the shared message stays as everybody saw it.
    """
    if context.private:
        return reply
    return Reply(
        tuple(
            replace(item, replaces=None)
            if isinstance(item, Message) and isinstance(item.to, ToActor) and item.replaces
            else item
            for item in reply.items
        )
    )


def _oops(locale: str | None) -> Message:
    return Message(
        to=ToActor(),
        text=i18n.t(locale, "error.internal"),
        blocks=(Paragraph(i18n.t(locale, "error.internal")),),
    )


def _with_reason(message: Message, person: Person | None, error: DeliveryError) -> Message:
    """A flow's own failure notice, with the platform's reason in the person's words after it."""
    reason = i18n.t(person.locale if person else None, f"delivery.reason.{error.kind}")
    return replace(message, blocks=(*message.blocks, Note(reason)))


def _delivery_failed(
    person: Person | None, item: Message, error: DeliveryError, *, name: str
) -> Message:
    locale = person.locale if person else None
    where = (
        i18n.t(locale, "delivery.where_channel", name=name)
        if isinstance(item.to, ToChannel)
        else i18n.t(locale, "delivery.where_person", name=name)
    )
    reason = i18n.t(locale, f"delivery.reason.{error.kind}")
    text = i18n.t(locale, "delivery.failed", where=where, reason=reason)
    return Message(to=ToActor(), text=text, blocks=(Paragraph(text), Note(item.text[:300])))
