"""The web chat's routes on the project's one aiohttp application.

GET  /                  the page (plain HTML, CSS and JS from `static/`, no build step)
GET  /web/people        the demo people and channels (the person switcher, the pickers)
GET  /web/texts         the page's own words, in Danish and English (from the locale files)
GET  /web/stream?user=  server-sent events: a snapshot of the person's panes, then updates
POST /web/event         one thing a person did (JSON) → the engine → the person's stream
GET  /web/files/{token} an attachment (a plan document, a calendar invite)
POST /web/clock         move the scheduler's clock forward, when the bot offers a way to

There is no login: whoever reaches the page may act as anyone in the demo. So it is served on
loopback only unless explicitly made public, and it refuses requests whose Host or Origin is
not its own (a web page elsewhere, or DNS rebinding, cannot drive it from a browser).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.webchat import render
from adapters.webchat.directory import Directory
from adapters.webchat.hub import ChatHub
from adapters.webchat.port import WebChatPort
from adapters.webchat.translate import BadEvent, Inbound, parse_event
from conversations import i18n
from conversations.context import zone
from conversations.events import FormEvent
from conversations.messages import Form, FormErrors, Message
from conversations.ports import EventHandler

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0

# Move the scheduler's clock forward by a duration and sweep the outbox; returns what happened
# as JSON-able facts (e.g. {"now": "2026-12-01T09:00:00+00:00", "sent": 5}).
ClockForward = Callable[[timedelta], Awaitable[Mapping[str, Any]]]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; an empty host means every interface."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_problem(*, host: str, public: bool) -> str | None:
    """Why the web chat must not be served on `host`, or None when it may be."""
    if is_loopback(host) or public:
        return None
    return (
        f"the web chat has no login, so it is not served on MUSBOT_HOST={host!r}: "
        "listen on 127.0.0.1, or set MUSBOT_WEB_CHAT_PUBLIC=true if everyone who can reach "
        "this address may act as anyone in the demo (or MUSBOT_WEB_CHAT=false)"
    )


class WebChat:
    """The web chat of one process: directory, what people see, and the engine it drives."""

    def __init__(
        self,
        *,
        directory: Directory,
        handler: EventHandler,
        hub: ChatHub | None = None,
        clock_forward: ClockForward | None = None,
        public: bool = False,
    ) -> None:
        self.directory = directory
        self.handler = handler
        self.hub = hub or ChatHub(directory=directory)
        self.port = WebChatPort(directory=directory, hub=self.hub)
        self.clock_forward = clock_forward
        self.public = public

    def _pickers(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        people = [{"value": p.id, "label": p.name} for p in self.directory.people]
        channels = [{"value": c.id, "label": f"#{c.name}"} for c in self.directory.channels]
        return people, channels

    def _tz(self, user_id: str) -> ZoneInfo:
        person = self.directory.person(user_id)
        return zone(person.timezone if person else None)

    async def handle(self, inbound: Inbound) -> int:
        """Show what was typed, run the engine, and push its in-place answers to the person.

        Returns how many items the engine answered with (0 for a repeated event id).
        """
        user_id = inbound.user_id
        if inbound.dismiss is not None:
            self.hub.close_form(user_id=user_id, form_id=inbound.dismiss)
            return 0
        if inbound.said is not None:
            self.hub.said(
                user_id=user_id,
                pane=inbound.pane,
                text=inbound.said,
                event_id=inbound.event_id,
                private=inbound.said_privately,
            )
        if inbound.event is None:
            return 0
        reply = await self.handler.handle(inbound.event, platform=self.port)
        event = inbound.event
        answers_form = any(isinstance(i, Form | FormErrors) for i in reply.items)
        if isinstance(event, FormEvent) and not answers_form:
            # Accepted: close the form first, then show what it produced (as a modal does).
            self.hub.close_form(user_id=user_id, form_id=event.form)
        people, channels = self._pickers()
        for item in reply.items:
            if isinstance(item, Message):
                self.hub.answer(user_id=user_id, pane=inbound.pane, message=item)
            elif isinstance(item, Form):
                form = render.form(item, tz=self._tz(user_id), people=people, channels=channels)
                self.hub.open_form(user_id=user_id, pane=inbound.pane, form=form)
            elif isinstance(item, FormErrors):
                form_id = (
                    event.form
                    if isinstance(event, FormEvent)
                    else self.hub.open_form_id(user_id=user_id) or ""
                )
                self.hub.form_errors(user_id=user_id, form_id=form_id, errors=item.errors)
            else:
                # The engine delivers DMs, channel posts and overviews through the port.
                log.warning("web chat: unexpected in-place item %s", type(item).__name__)
        return len(reply.items)


WEBCHAT: web.AppKey[WebChat] = web.AppKey("webchat", WebChat)


def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")


def _own_request(request: web.Request, chat: WebChat) -> None:
    """Refuse requests a foreign page could make (Origin) or that reached us by a foreign name.

    A page on another site can POST to 127.0.0.1 from the visitor's browser, and a DNS
    rebinding attack can make a foreign name resolve to it; neither may act as anyone here.
    """
    host = request.host
    if not chat.public:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not is_loopback(name):
            raise web.HTTPForbidden(text="the web chat answers on loopback names only")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
        raise web.HTTPForbidden(text="cross-origin requests are refused")


async def page(request: web.Request) -> web.StreamResponse:
    _own_request(request, request.app[WEBCHAT])
    response = web.FileResponse(STATIC / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def people(request: web.Request) -> web.Response:
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    directory = chat.directory
    return web.json_response(
        {
            "workspace": directory.workspace_id,
            "name": directory.name,
            "people": [p.public() for p in directory.people],
            "channels": [
                {"id": c.id, "name": c.name, "members": list(c.members)} for c in directory.channels
            ],
            "clock": chat.clock_forward is not None,
        }
    )


async def texts(request: web.Request) -> web.Response:
    """The page's words: asked for first, before anything else is shown (a login too)."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    return web.json_response(page_texts(command=chat.port.command_prefix))


def page_texts(*, command: str) -> dict[str, dict[str, str]]:
    """The page's own words (`surface.web.*` in the core's locale files), by language.

    Keys become the page's camelCase names; placeholders other than `{mus}` are the page's
    to fill in, so the texts are handed over raw.
    """
    prefix = "surface.web."
    out: dict[str, dict[str, str]] = {}
    for lang in i18n.SUPPORTED:
        texts = {**i18n.catalog(i18n.DEFAULT), **i18n.catalog(lang)}
        out[lang] = {
            _camel(key.removeprefix(prefix)): text.replace("{mus}", command)
            for key, text in texts.items()
            if key.startswith(prefix)
        }
    return out


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _sse(item: dict[str, Any]) -> bytes:
    # json.dumps escapes newlines inside strings, so one `data:` line is one message.
    return f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events for one person: a snapshot first, then each update as it happens."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    user_id = request.query.get("user", "")
    if chat.directory.person(user_id) is None:
        raise web.HTTPNotFound(text=f"unknown person {user_id!r}")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    snapshot, queue = chat.hub.subscribe(user_id=user_id)
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n" + _sse(snapshot))
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if item is None:  # the server is shutting down
                break
            await response.write(_sse(item))
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
    except ConnectionResetError:
        pass  # the page went away; its next visit gets a fresh snapshot
    finally:
        chat.hub.unsubscribe(user_id=user_id, queue=queue)
    return response


async def post_event(request: web.Request) -> web.Response:
    """One thing a person did. The event id comes from the page, so a retry is a no-op."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    if request.content_type != "application/json":
        # Also what keeps a foreign page's plain form POST out (it cannot send JSON unasked).
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        body = await request.json()
        inbound = parse_event(body, directory=chat.directory)
    except (ValueError, BadEvent) as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    answered = await chat.handle(inbound)
    return web.json_response({"ok": True, "answered": answered})


async def file(request: web.Request) -> web.StreamResponse:
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    found = chat.hub.file(token=request.match_info["token"])
    if found is None:
        raise web.HTTPNotFound(text="no such file (files live until the bot restarts)")
    safe = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in found.filename)
    return web.Response(
        body=found.content,
        headers={
            # The flow's MIME type as given (it may carry a charset).
            "Content-Type": found.mime_type or "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "no-store",
        },
    )


async def clock(request: web.Request) -> web.Response:
    """Run the scheduler's clock forward (demo only): `{"hours": 24}` or `{"days": 7}`."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    if chat.clock_forward is None:
        return web.json_response(
            {"ok": False, "error": "this bot has no scheduler clock to move yet"}, status=501
        )
    try:
        body = await request.json()
        hours = float(body.get("hours", 0)) + 24 * float(body.get("days", 0))
    except (ValueError, TypeError, AttributeError):
        return web.json_response(
            {"ok": False, "error": 'send {"hours": n} or {"days": n}'}, status=400
        )
    if not 0 < hours <= 24 * 400:
        return web.json_response({"ok": False, "error": "between 0 and 400 days"}, status=400)
    result = await chat.clock_forward(timedelta(hours=hours))
    return web.json_response({"ok": True, **result})


def add_webchat_routes(*, app: web.Application, chat: WebChat) -> None:
    """Mount the page, its files and the event routes; end open streams at shutdown."""
    app[WEBCHAT] = chat
    app.router.add_get("/", page)
    app.router.add_static("/web/static/", STATIC, follow_symlinks=False)
    app.router.add_get("/web/people", people)
    app.router.add_get("/web/texts", texts)
    app.router.add_get("/web/stream", stream)
    app.router.add_post("/web/event", post_event)
    app.router.add_get("/web/files/{token}", file)
    app.router.add_post("/web/clock", clock)

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        if request.path == "/" or request.path.startswith("/web/"):
            _security_headers(request, response)

    async def on_shutdown(_: web.Application) -> None:
        chat.hub.close()

    app.on_response_prepare.append(on_prepare)
    app.on_shutdown.append(on_shutdown)
