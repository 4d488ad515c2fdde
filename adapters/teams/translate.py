"""Bot Framework activities -> neutral events. Pure functions, no I/O.

Identity: a person's user id is their Microsoft Entra (AAD) object id when Teams sends one and
the Teams id (``29:…``) otherwise. The AAD id is stable across bot registrations and is what
the Teams people picker returns, so ids from events, rosters and forms agree. The workspace is
the tenant.

Message refs (`Context.message_ref`, `Message.replaces`) are ``<conversation id>|<activity id>``:
updating a card needs both, and the pair survives a restart.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, ChannelAccount

from adapters.teams.cards import (
    ACTION_KEY,
    DATE_SUFFIX,
    DATETIME_KEY,
    FORM_KEY,
    MULTI_KEY,
    OWNER_KEY,
    REFRESH_VERB,
    STATE_KEY,
    TIME_SUFFIX,
    VALUE_KEY,
)
from conversations.events import (
    Actor,
    ButtonEvent,
    CommandEvent,
    Context,
    FormEvent,
    HomeEvent,
    InboundEvent,
    InstallEvent,
    Platform,
    TextEvent,
)

PLATFORM: Platform = "teams"
COMMAND_WORD = "mus"
EXECUTE_INVOKE = "adaptiveCard/action"
DIALOG_INVOKE = "task/fetch"  # a button that opens a dialog (task module) for a private view
_REF_SEP = "|"
_OUR_PREFIX = "mus_"


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """A translated activity plus what only the adapter needs to answer it."""

    event: InboundEvent
    owner: str | None = None  # the card's owner, from the submit data
    submitted: dict[str, Any] = field(default_factory=dict)  # raw submit data, to refill a form
    execute: bool = False  # arrived as an Action.Execute invoke: answer in the HTTP response
    dialog: bool = False  # arrived as task/fetch: the answer is a dialog, not a chat message
    refresh: bool = False  # the overview card's `refresh`: answer with the fresh overview card


def make_ref(*, conversation_id: str, activity_id: str) -> str:
    return f"{conversation_id}{_REF_SEP}{activity_id}"


def split_ref(ref: str) -> tuple[str, str] | None:
    """(conversation id, activity id), or None for a ref this adapter did not make."""
    conversation_id, sep, activity_id = ref.rpartition(_REF_SEP)
    return (conversation_id, activity_id) if sep and conversation_id and activity_id else None


def tenant_id(activity: Activity) -> str | None:
    """The tenant (workspace): `conversation.tenantId`, else `channelData.tenant.id`."""
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return str(conversation.tenant_id)
    tenant = _channel_data(activity).get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return None


def user_id(account: ChannelAccount) -> str:
    """The neutral user id of a Teams account (see the module docstring)."""
    return str(account.aad_object_id or account.id)


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is None or conversation.conversation_type in (None, "personal")


def channel_id(activity: Activity) -> str | None:
    """The team channel an activity happened in (None in a personal chat)."""
    if is_personal(activity):
        return None
    channel = _channel_data(activity).get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    return str(activity.conversation.id) if activity.conversation else None


def team(activity: Activity) -> dict[str, Any]:
    team = _channel_data(activity).get("team")
    return team if isinstance(team, dict) else {}


def actor(activity: Activity, *, workspace_id: str) -> Actor:
    client = _client_info(activity)
    sender = activity.from_property or ChannelAccount(id="")
    return Actor(
        platform=PLATFORM,
        workspace_id=workspace_id,
        user_id=user_id(sender),
        display_name=sender.name or None,
        locale=activity.locale or client.get("locale"),
        timezone=activity.local_timezone or client.get("timezone"),
    )


def translate(activity: Activity) -> Inbound | None:
    """The neutral event for an activity, or None when it means nothing to MUS-bot."""
    workspace = tenant_id(activity)
    if workspace is None or activity.from_property is None:
        return None
    who = actor(activity, workspace_id=workspace)
    context = _context(activity)
    event_id = _event_id(activity)
    if activity.type == ActivityTypes.conversation_update:
        return _install(activity, event_id=event_id, who=who, context=context)
    if activity.type == ActivityTypes.invoke and activity.name == EXECUTE_INVOKE:
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action")
        data = action.get("data") if isinstance(action, dict) else None
        if isinstance(action, dict) and action.get("verb") == REFRESH_VERB:
            # The person is looking at their overview card: it is their overview opened.
            owner = data.get(OWNER_KEY) if isinstance(data, dict) else None
            return Inbound(
                event=HomeEvent(event_id=event_id, actor=who, context=context),
                owner=str(owner) if owner else None,
                execute=True,
                refresh=True,
            )
        if not isinstance(data, dict):
            return None
        return _submit(data, event_id=event_id, who=who, context=context, execute=True)
    if activity.type == ActivityTypes.invoke and activity.name == DIALOG_INVOKE:
        value = activity.value if isinstance(activity.value, dict) else {}
        data = value.get("data")
        if not isinstance(data, dict) or ACTION_KEY not in data:
            return None
        inbound = _submit(data, event_id=event_id, who=who, context=context, execute=False)
        return None if inbound is None else replace(inbound, dialog=True)
    if activity.type != ActivityTypes.message:
        return None
    if isinstance(activity.value, dict):
        return _submit(activity.value, event_id=event_id, who=who, context=context, execute=False)
    text = _plain_text(activity)
    if not text:
        return None
    if context.is_direct:
        # Whether "mus …" here is a command or an answer is the core's call (conversations.router).
        return Inbound(event=TextEvent(event_id=event_id, actor=who, context=context, text=text))
    word, _, rest = text.partition(" ")
    if word.lower() != COMMAND_WORD:
        return None  # only commands are for us in a channel or group chat
    return Inbound(
        event=CommandEvent(event_id=event_id, actor=who, context=context, text=rest.strip())
    )


def bot_was_added(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return any(m.id == bot_id for m in activity.members_added or ())


# ---------------------------------------------------------------- helpers


def _install(activity: Activity, *, event_id: str, who: Actor, context: Context) -> Inbound | None:
    if not bot_was_added(activity):
        return None
    bot_id = activity.recipient.id if activity.recipient else None
    channel = _channel_data(activity).get("channel")
    members = tuple(
        Actor(
            platform=PLATFORM,
            workspace_id=who.workspace_id,
            user_id=user_id(m),
            display_name=m.name or None,
        )
        for m in activity.members_added or ()
        if m.id != bot_id
    )
    return Inbound(
        event=InstallEvent(
            event_id=event_id,
            actor=who,
            context=context,
            channel_name=channel.get("name") if isinstance(channel, dict) else None,
            team_name=team(activity).get("name"),
            members=members,
        )
    )


def _submit(
    data: dict[str, Any], *, event_id: str, who: Actor, context: Context, execute: bool
) -> Inbound | None:
    owner = data.get(OWNER_KEY)
    owner = str(owner) if owner else None
    if FORM_KEY in data:
        event: InboundEvent = FormEvent(
            event_id=event_id,
            actor=who,
            context=context,
            form=str(data[FORM_KEY]),
            state=str(data.get(STATE_KEY) or ""),
            values=_form_values(data),
        )
    elif ACTION_KEY in data:
        event = ButtonEvent(
            event_id=event_id,
            actor=who,
            context=context,
            action=str(data[ACTION_KEY]),
            value=str(data.get(VALUE_KEY) or ""),
        )
    else:
        return None
    return Inbound(event=event, owner=owner, submitted=dict(data), execute=execute)


def _form_values(data: dict[str, Any]) -> dict[str, str | tuple[str, ...] | None]:
    multi = set(_str_list(data.get(MULTI_KEY)))
    pairs = _str_list(data.get(DATETIME_KEY))
    paired = {p + DATE_SUFFIX for p in pairs} | {p + TIME_SUFFIX for p in pairs}
    values: dict[str, str | tuple[str, ...] | None] = {}
    for key, raw in data.items():
        if key.startswith(_OUR_PREFIX) or key == "msteams" or key in paired:
            continue
        text = _as_text(raw)
        if key in multi:
            values[key] = tuple(p.strip() for p in (text or "").split(",") if p.strip())
        else:
            values[key] = text
    for pair in pairs:
        day = _as_text(data.get(pair + DATE_SUFFIX))
        clock = _as_text(data.get(pair + TIME_SUFFIX))
        # An incomplete pair is passed on as it is; the flow's validation reports it.
        values[pair] = f"{day}T{clock}" if day and clock else day or clock
    return values


def _as_text(raw: Any) -> str | None:
    if raw is None:
        return None
    text = (
        raw
        if isinstance(raw, str)
        else json.dumps(raw)
        if isinstance(raw, dict | list)
        else str(raw)
    )
    return text if text.strip() else None


def _str_list(raw: Any) -> list[str]:
    return [str(x) for x in raw] if isinstance(raw, list) else []


def _context(activity: Activity) -> Context:
    conversation_id = activity.conversation.id if activity.conversation else None
    message_ref = (
        make_ref(conversation_id=conversation_id, activity_id=activity.reply_to_id)
        if conversation_id and activity.reply_to_id
        else None
    )
    return Context(
        channel_id=channel_id(activity),
        is_direct=is_personal(activity),
        message_ref=message_ref,
    )


def _plain_text(activity: Activity) -> str:
    """The typed text as plain text: the bot's @mention (needed in channels) removed, every
    other mention as ``@Name`` (the neutral form Slack's ``<@U…>`` takes), space trimmed.

    Only a mention Teams vouches for with a `mention` entity is translated; ``<at>…</at>`` a
    person typed without one stays literal text (and is escaped like any other when shown).
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or ():
        if entity.type != "mention":
            continue
        mentioned = getattr(entity, "mentioned", None)  # the SDK parses it into a `Mention`
        label = str(getattr(entity, "text", None) or "")
        if not label or label not in text:
            continue
        if getattr(mentioned, "id", None) == bot_id:
            text = text.replace(label, " ")
            continue
        match = _AT_TAG.fullmatch(label)
        if match is None:
            continue  # not an `<at>` tag: never rewrite the person's own words
        name = " ".join(str(getattr(mentioned, "name", None) or "").split())
        name = name or " ".join(html.unescape(match.group(1)).split())
        text = text.replace(label, f"@{name}" if name else " ", 1)
    return " ".join(text.split()) if "\n" not in text.strip() else text.strip()


_AT_TAG = re.compile(r"<at>(.*?)</at>", re.DOTALL)


def _event_id(activity: Activity) -> str:
    if activity.id:
        return str(activity.id)  # Teams redelivers with the same id
    # No id (some emulators): derive one that a redelivery reproduces.
    body = json.dumps(
        activity.model_dump(mode="json", by_alias=True, exclude_none=True),
        sort_keys=True,
        default=str,
    )
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


def _channel_data(activity: Activity) -> dict[str, Any]:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def _client_info(activity: Activity) -> dict[str, Any]:
    for entity in activity.entities or ():
        if entity.type == "clientInfo":
            return dict(entity.model_extra or {})
    return {}
