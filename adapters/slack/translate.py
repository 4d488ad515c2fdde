"""Slack payloads -> neutral events. Pure functions: no I/O, no decisions about MUS.

Each function takes the parsed request body bolt hands a listener and returns a neutral event,
or None when the payload is not something the core should see (a bot's message, an edit, the
Messages tab opening). `event_id` is stable per delivery: Slack's own `event_id` for the
Events API, the `trigger_id` for commands and interactions (unique per click or submission),
and a hash of the payload where neither exists, so a redelivered payload maps to the same id.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.slack.render import (
    INPUT_ACTION_ID,
    FormOrigin,
    decode_metadata,
    strip_action_index,
    zone,
)
from conversations.events import (
    Actor,
    ButtonEvent,
    CommandEvent,
    Context,
    FormEvent,
    HomeEvent,
    TextEvent,
)

Body = Mapping[str, Any]
FormValue = str | tuple[str, ...] | None


def message_ref(*, channel_id: str, ts: str) -> str:
    """The opaque `Context.message_ref` / `Message.replaces` for a Slack message."""
    return f"{channel_id}:{ts}"


def parse_message_ref(ref: str) -> tuple[str, str] | None:
    """(channel, ts) of a ref made by `message_ref`; None for anything else."""
    channel, sep, ts = ref.partition(":")
    return (channel, ts) if sep and channel and ts else None


def stable_id(prefix: str, body: Body) -> str:
    """An id for a payload that has no delivery id: the same payload gives the same id."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return f"{prefix}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _delivery_id(prefix: str, body: Body) -> str:
    trigger = body.get("trigger_id")
    return (
        f"{prefix}:{trigger}" if isinstance(trigger, str) and trigger else stable_id(prefix, body)
    )


def _actor(*, team_id: str | None, user_id: str) -> Actor:
    # Display names in payloads are handles ("jane.doe"), not names; the core looks up the
    # profile (PlatformPort.lookup) when it needs one, so we leave them out.
    return Actor(platform="slack", workspace_id=team_id or "", user_id=user_id)


def is_direct_channel(channel_id: str | None) -> bool:
    """Slack's direct-message conversations have ids starting with D."""
    return bool(channel_id) and str(channel_id).startswith("D")


# ---------------------------------------------------------------- slash command


def command_event(body: Body) -> CommandEvent | None:
    """`/mus <text>` -> CommandEvent (its text without the command)."""
    user_id = body.get("user_id")
    if not user_id:
        return None
    channel_id = body.get("channel_id") or None
    direct = body.get("channel_name") == "directmessage" or is_direct_channel(channel_id)
    return CommandEvent(
        event_id=_delivery_id("cmd", body),
        actor=_actor(team_id=body.get("team_id"), user_id=user_id),
        context=Context(channel_id=channel_id, is_direct=direct),
        text=str(body.get("text") or "").strip(),
    )


# ---------------------------------------------------------------- interactivity


def _team_id(body: Body) -> str | None:
    team = body.get("team") or {}
    user = body.get("user") or {}
    return team.get("id") or user.get("team_id") or body.get("team_id")


def button_event(body: Body) -> ButtonEvent | None:
    """block_actions for one of our buttons -> ButtonEvent with the message it sat on."""
    actions = body.get("actions") or []
    user_id = (body.get("user") or {}).get("id")
    if not actions or not user_id:
        return None
    action = actions[0]
    if action.get("type") not in (None, "button"):
        return None  # a select changed inside a form; the submission carries its value
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ephemeral = bool(container.get("is_ephemeral"))
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    ref = message_ref(channel_id=channel_id, ts=ts) if channel_id and ts else None
    return ButtonEvent(
        event_id=_delivery_id("act", body),
        actor=_actor(team_id=_team_id(body), user_id=user_id),
        context=Context(
            channel_id=channel_id,
            # A button on the Home tab (no channel) counts as the person's own space with the bot.
            is_direct=channel_id is None or is_direct_channel(channel_id),
            message_ref=ref,
            message_private=ephemeral,
        ),
        action=strip_action_index(str(action.get("action_id") or "")),
        value=str(action.get("value") or ""),
    )


def form_event(body: Body) -> FormEvent | None:
    """view_submission -> FormEvent: values by input (block) id, origin from private_metadata."""
    view = body.get("view") or {}
    user_id = (body.get("user") or {}).get("id")
    if not user_id or not view:
        return None
    form_id, state, origin = decode_metadata(
        str(view.get("private_metadata") or ""), callback_id=str(view.get("callback_id") or "")
    )
    return FormEvent(
        event_id=_delivery_id("view", body),
        actor=_actor(team_id=_team_id(body), user_id=user_id),
        context=Context(
            channel_id=origin.channel_id,
            is_direct=origin.is_direct,
            message_ref=origin.message_ref,
        ),
        form=form_id,
        state=state,
        values=form_values(view.get("state") or {}, tz=origin.tz),
    )


def form_origin(body: Body) -> FormOrigin:
    """The origin stored in a submitted view (for answering the submission in place)."""
    view = body.get("view") or {}
    return decode_metadata(str(view.get("private_metadata") or ""))[2]


def form_values(state: Body, *, tz: str | None = None) -> dict[str, FormValue]:
    """Map `view.state.values` to neutral values: one entry per input block."""
    values: dict[str, FormValue] = {}
    for block_id, elements in (state.get("values") or {}).items():
        if not elements:
            continue
        element = elements.get(INPUT_ACTION_ID) or next(iter(elements.values()))
        values[block_id] = element_value(element, tz=tz)
    return values


def element_value(element: Body, *, tz: str | None = None) -> FormValue:
    """The submitted value of one input element, as the neutral form contract wants it."""
    kind = element.get("type")
    if kind in ("multi_users_select", "multi_conversations_select", "multi_channels_select"):
        key = {
            "multi_users_select": "selected_users",
            "multi_conversations_select": "selected_conversations",
            "multi_channels_select": "selected_channels",
        }[kind]
        return tuple(element.get(key) or ())
    if kind in ("multi_static_select", "checkboxes"):
        return tuple(o["value"] for o in element.get("selected_options") or ())
    if kind in ("static_select", "radio_buttons", "external_select"):
        option = element.get("selected_option") or {}
        return option.get("value")
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind == "datetimepicker":
        epoch = element.get("selected_date_time")
        if epoch is None:
            return None
        local = datetime.fromtimestamp(int(epoch), tz=zone(tz))
        return local.strftime("%Y-%m-%dT%H:%M")
    value = element.get("value")
    return value if value else None


# ---------------------------------------------------------------- Events API


def mentioned_users(body: Body) -> list[str]:
    """User ids mentioned (`<@U…>`) in a DM's text, so the app can look up their names first."""
    event = body.get("event") or {}
    text = str(event.get("text") or "")
    return list(dict.fromkeys(m.group(1) for m in _USER_MENTION.finditer(text)))


def text_event(body: Body, *, names: Mapping[str, str] | None = None) -> TextEvent | None:
    """A person's own message in their DM with the bot -> TextEvent; anything else -> None.

    `names` turns a mention `<@U1>` into `@Anna Andersen` (Slack no longer sends the label).
    """
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return None  # edits, deletions, joins, and every bot (ourselves included)
    text = plain_text(str(event.get("text") or ""), names=names).strip()
    if not text:
        return None
    return TextEvent(
        event_id=_event_id(body),
        actor=_actor(team_id=body.get("team_id") or event.get("team"), user_id=event["user"]),
        context=Context(channel_id=event.get("channel"), is_direct=True),
        text=text,
    )


def home_event(body: Body) -> HomeEvent | None:
    """The Home tab opened -> HomeEvent (the person's overview); the Messages tab -> None."""
    event = body.get("event") or {}
    if event.get("type") != "app_home_opened" or event.get("tab", "home") != "home":
        return None
    user_id = event.get("user")
    if not user_id:
        return None
    return HomeEvent(
        event_id=_event_id(body),
        actor=_actor(team_id=body.get("team_id"), user_id=user_id),
        context=Context(channel_id=event.get("channel"), is_direct=True),
    )


def _event_id(body: Body) -> str:
    event_id = body.get("event_id")
    return f"evt:{event_id}" if event_id else stable_id("evt", body)


# ---------------------------------------------------------------- Slack text -> plain text

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def plain_text(text: str, *, names: Mapping[str, str] | None = None) -> str:
    """Slack's message markup as plain text: mentions and links readable, entities decoded.

    `<@U1|jane>` -> `@jane`, `<#C1|team>` -> `#team`, `<!here>` -> `@here`,
    `<https://x|label>` -> `label (https://x)`, `&lt;` -> `<`.
    """

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return f"@{label or (names or {}).get(target[1:]) or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            if label:
                return label  # <!subteam^S1|@team>, <!date^…|fallback>
            return f"@{target[1:].split('^')[0]}"
        if label and label != target.removeprefix("mailto:"):
            return f"{label} ({target})"
        return target.removeprefix("mailto:")

    replaced = _SLACK_MARKUP.sub(replace, text)
    return replaced.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
