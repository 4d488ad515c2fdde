"""What each person sees, kept in memory, and the open streams it is pushed to.

History lives in this process only (a restart empties the panes; the database, and so the
MUS round itself, is untouched). It survives a page reload: every new stream starts with a
snapshot of the person's panes, their overview and the form they had open.

A message has one `ref`; `Message.replaces` updates it in place when the same audience holds
it (a person's own panes for answers and DMs, the channel for channel posts), and is posted
anew otherwise, so an answer meant for one person can never rewrite what a channel sees.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections import OrderedDict, defaultdict
from typing import Any

from adapters.webchat import render
from adapters.webchat.directory import Directory
from conversations.messages import Attachment, HomeView, Message, ToChannel, ToPerson

JSON = dict[str, Any]
BOT = {"id": "musbot", "name": "MUS-bot", "bot": True}
DM = "dm"


def channel_pane(channel_id: str) -> str:
    return f"channel:{channel_id}"


class ChatHub:
    """Histories per person and per channel, overviews, open forms, files and subscribers."""

    def __init__(
        self, *, directory: Directory, history_limit: int = 500, file_limit: int = 500
    ) -> None:
        self.directory = directory
        self.history_limit = history_limit
        # Files are kept until the bot restarts; the oldest go beyond this many.
        self.file_limit = file_limit
        # New messages per person since their page last showed them (the switcher's markers).
        self._unread: dict[str, int] = defaultdict(int)
        self._seq = itertools.count(1)
        self._refs = itertools.count(1)
        # Refs are unique to this process: one recorded before a restart (`Message.key`) can
        # never name a different message in the new, empty history.
        self._boot = secrets.token_hex(3)
        self._personal: dict[str, list[JSON]] = defaultdict(list)
        self._channels: dict[str, list[JSON]] = defaultdict(list)
        self._homes: dict[str, JSON] = {}
        self._forms: dict[str, JSON] = {}
        # Each file with the people it was shown to: a per-person link fetches only its own.
        self._files: dict[str, tuple[Attachment, frozenset[str]]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[JSON | None]]] = defaultdict(set)
        self._echoed: OrderedDict[str, None] = OrderedDict()

    # ------------------------------------------------------------ streams
    def subscribe(self, *, user_id: str) -> tuple[JSON, asyncio.Queue[JSON | None]]:
        """A queue of what this person will see from now on, and everything they saw so far.

        Taken together with no await in between, so nothing falls between the two.
        """
        queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self._subscribers[user_id].add(queue)
        if self._unread.pop(user_id, 0):
            self.broadcast(self.unread())
        return self.snapshot(user_id=user_id), queue

    def unsubscribe(self, *, user_id: str, queue: asyncio.Queue[JSON | None]) -> None:
        self._subscribers[user_id].discard(queue)

    def snapshot(self, *, user_id: str) -> JSON:
        entries = list(self._personal.get(user_id, []))
        for channel in self.directory.channels_of(user_id):
            entries += self._channels.get(channel.id, [])
        entries.sort(key=lambda e: e["seq"])
        return {
            "type": "snapshot",
            "user": user_id,
            "entries": entries,
            "home": self._homes.get(user_id),
            "form": self._forms.get(user_id),
            "unread": self.unread()["counts"],
        }

    def unread(self) -> JSON:
        """New messages per person whose page was not showing them."""
        return {"type": "unread", "counts": {k: v for k, v in self._unread.items() if v}}

    def broadcast(self, item: JSON) -> None:
        """To every open page, whoever it acts as (the tour, the unread markers)."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(item)

    def close(self) -> None:
        """End every stream (server shutdown), so no request waits for the next message."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)

    def _push(self, user_ids: list[str] | tuple[str, ...], item: JSON) -> None:
        missed = False
        for user_id in user_ids:
            queues = self._subscribers.get(user_id)
            if not queues and item.get("type") == "message":
                self._unread[user_id] += 1
                missed = True
            for queue in queues or ():
                queue.put_nowait(item)
        if missed:
            self.broadcast(self.unread())

    # ------------------------------------------------------------ messages
    def _entry(
        self,
        message: Message,
        *,
        pane: str,
        only_you: bool,
        audience: tuple[str, ...],
        author: JSON = BOT,
    ) -> JSON:
        return {
            "type": "message",
            "seq": next(self._seq),
            "ref": f"w{self._boot}-{next(self._refs)}",
            "pane": pane,
            "author": author,
            "only_you": only_you,
            "text": message.text,
            "blocks": render.blocks(message.blocks),
            "buttons": [render.button(b) for b in message.buttons],
            "attachments": [self._file(a, audience) for a in message.attachments],
        }

    def _file(self, attachment: Attachment, audience: tuple[str, ...]) -> JSON:
        token = secrets.token_urlsafe(32)
        self._files[token] = (attachment, frozenset(audience))
        while len(self._files) > self.file_limit:
            del self._files[next(iter(self._files))]
        return {
            "filename": attachment.filename,
            "title": attachment.title or attachment.filename,
            "mime_type": attachment.mime_type,
            "size": len(attachment.content),
            "url": f"/web/files/{token}",
        }

    def file(self, *, token: str, scope: str) -> Attachment | None:
        """The file, if `scope` (who the visitor may act as: "*" anyone, or one person) is
        among the people it was shown to; None for an unknown token and for anyone else."""
        found = self._files.get(token)
        if found is None or (scope != "*" and scope not in found[1]):
            return None
        return found[0]

    def _put(self, history: list[JSON], entry: JSON, *, replaces: str | None) -> JSON:
        """Append, or update the entry `replaces` names in place (keeping its place)."""
        if replaces:
            for i, old in enumerate(history):
                if old["ref"] == replaces:
                    entry = {
                        **entry,
                        "ref": old["ref"],
                        "seq": old["seq"],
                        "pane": old["pane"],
                        "only_you": old["only_you"],
                    }
                    history[i] = entry
                    return entry
        history.append(entry)
        del history[: max(0, len(history) - self.history_limit)]
        return entry

    def deliver(self, *, message: Message) -> str:
        """A proactive DM or channel post (the port's `send`); returns the message ref."""
        if isinstance(message.to, ToPerson):
            user_id = message.to.user_id
            entry = self._put(
                self._personal[user_id],
                self._entry(message, pane=DM, only_you=False, audience=(user_id,)),
                replaces=message.replaces,
            )
            self._push([user_id], entry)
            return str(entry["ref"])
        if isinstance(message.to, ToChannel):
            channel = self.directory.channel(message.to.channel_id)
            members = channel.members if channel else ()
            pane = channel_pane(message.to.channel_id)
            entry = self._put(
                self._channels[message.to.channel_id],
                self._entry(message, pane=pane, only_you=False, audience=tuple(members)),
                replaces=message.replaces,
            )
            self._push(members, entry)
            return str(entry["ref"])
        raise ValueError("only ToPerson and ToChannel messages are delivered proactively")

    def answer(self, *, user_id: str, pane: str, message: Message) -> str:
        """An in-place answer to what this person just did, seen by them only."""
        entry = self._put(
            self._personal[user_id],
            self._entry(message, pane=pane, only_you=pane != DM, audience=(user_id,)),
            replaces=message.replaces,
        )
        self._push([user_id], entry)
        return str(entry["ref"])

    def said(self, *, user_id: str, pane: str, text: str, event_id: str, private: bool) -> bool:
        """Show what a person typed, once per event id (a browser retry is not shown twice).

        `private` keeps a command typed in a channel out of everyone else's view, as a slash
        command would be. Returns False for a repeat.
        """
        if event_id in self._echoed:
            return False
        self._echoed[event_id] = None
        while len(self._echoed) > 5000:
            self._echoed.popitem(last=False)
        person = self.directory.person(user_id)
        author = {"id": user_id, "name": person.name if person else user_id, "bot": False}
        message = Message(to=ToPerson(user_id), text=text)
        entry = self._entry(
            message, pane=pane, only_you=private and pane != DM, audience=(), author=author
        )
        entry["blocks"] = [{"type": "paragraph", "text": text}]
        if pane == DM or private:
            self._put(self._personal[user_id], entry, replaces=None)
            self._push([user_id], entry)
        else:
            channel_id = pane.removeprefix("channel:")
            channel = self.directory.channel(channel_id)
            self._put(self._channels[channel_id], entry, replaces=None)
            self._push(channel.members if channel else (user_id,), entry)
        return True

    # ------------------------------------------------------------ overview and forms
    def publish_home(self, *, view: HomeView) -> None:
        home = render.home(view)
        self._homes[view.user_id] = home
        self._push([view.user_id], {"type": "home", "view": home})

    def open_form(self, *, user_id: str, pane: str, form: JSON) -> None:
        """The form this person has open (one at a time, like a modal); kept across reloads."""
        item = {**form, "pane": pane}
        self._forms[user_id] = item
        self._push([user_id], {"type": "form", "form": item})

    def open_form_id(self, *, user_id: str) -> str | None:
        found = self._forms.get(user_id)
        return str(found["id"]) if found else None

    def form_errors(self, *, user_id: str, form_id: str, errors: dict[str, str]) -> None:
        self._push([user_id], {"type": "form_errors", "form": form_id, "errors": dict(errors)})

    def close_form(self, *, user_id: str, form_id: str | None = None) -> None:
        """Close the open form (submitted, or dismissed by the person)."""
        found = self._forms.get(user_id)
        if found is None or (form_id is not None and found["id"] != form_id):
            return
        del self._forms[user_id]
        self._push([user_id], {"type": "form_closed", "form": found["id"]})
