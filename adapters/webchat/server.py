"""The web chat's routes on the project's one aiohttp application.

GET  /                  the page (plain HTML, CSS and JS from `static/`, no build step)
GET  /web/people        the demo people and channels (the person switcher, the pickers)
GET  /web/texts         the page's own words, in Danish and English (from the locale files)
GET  /web/stream?user=  server-sent events: a snapshot of the person's panes, then updates
POST /web/event         one thing a person did (JSON) → the engine → the person's stream
GET  /web/files/{token} an attachment (a plan document, a calendar invite)
POST /web/clock         move the scheduler's clock forward, when the bot offers a way to
POST /web/tour          the guide panel: {"move": "next"} or {"move": "back"}
POST /web/login         public mode: {"passphrase": "..."} sets the visitor's cookie

On loopback there is no login: whoever reaches the page may act as anyone in the demo. It
refuses requests whose Host or Origin is not its own (a web page elsewhere, or DNS rebinding,
cannot drive it from a browser). Made public (MUSBOT_WEB_CHAT_PUBLIC), it requires the shared
passphrase (MUSBOT_WEB_CHAT_PASSPHRASE), or a per-person link that acts as that person only,
and it has no clock. Messages are capped in size everywhere, history and files in number.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.webchat import render
from adapters.webchat.directory import Directory
from adapters.webchat.hub import ChatHub
from adapters.webchat.port import WebChatPort
from adapters.webchat.tour import STEPS, Tour
from adapters.webchat.translate import BadEvent, Inbound, parse_event
from conversations import i18n
from conversations.context import zone
from conversations.events import FormEvent
from conversations.messages import Form, FormErrors, Message
from conversations.ports import Clock, EventHandler
from conversations.schedule import WorkingHours

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0
# One request from the page: a typed message or a filled-in form, never megabytes.
MAX_EVENT_BYTES = 64 * 1024
MAX_TEXT_CHARS = 20_000
# Public mode keeps less in memory per pane.
PUBLIC_HISTORY = 200
COOKIE = "musbot_web"
# The clock buttons land on a working day at this hour (reminders go out from 08:00).
CLOCK_LANDS_AT = time(9, 0)

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


def exposure_problem(*, host: str, public: bool, passphrase: str | None = None) -> str | None:
    """Why the web chat must not be served on `host`, or None when it may be."""
    if public and not (passphrase and len(passphrase) >= 8):
        return (
            "MUSBOT_WEB_CHAT_PUBLIC needs MUSBOT_WEB_CHAT_PASSPHRASE (8 characters or more): "
            "visitors give it, or use a per-person link (`musbot demo --links`)"
        )
    if is_loopback(host) or public:
        return None
    return (
        f"the web chat has no login, so it is not served on MUSBOT_HOST={host!r}: "
        "listen on 127.0.0.1, or set MUSBOT_WEB_CHAT_PUBLIC=true and "
        "MUSBOT_WEB_CHAT_PASSPHRASE to require a passphrase (or MUSBOT_WEB_CHAT=false)"
    )


def clock_target(*, now: datetime, days: int, timezone: str | None) -> datetime:
    """`days` calendar days on, or the first working day after that, at 09:00 local time.

    So "1 dag" from any hour of the night lands inside working hours, where reminders go out.
    """
    hours = WorkingHours()
    tz = zone(timezone)
    day = now.astimezone(tz).date() + timedelta(days=days)
    while not hours.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, CLOCK_LANDS_AT, tzinfo=tz).astimezone(UTC)


def access_token(*, secret: str, scope: str) -> str:
    """A cookie or link value: `*` acts as anyone, a person id as that person only."""
    mac = hmac.new(secret.encode(), f"musbot-web:{scope}".encode(), hashlib.sha256)
    return f"{scope}.{mac.hexdigest()[:32]}"


def person_links(*, secret: str, base_url: str, people: list[str]) -> dict[str, str]:
    """Per-person links for public mode: each opens the page as that person only."""
    base = base_url.rstrip("/")
    return {p: f"{base}/?key={access_token(secret=secret, scope=p)}" for p in people}


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
        passphrase: str | None = None,
        clock: Clock | None = None,
        tour: Tour | None = None,
    ) -> None:
        self.directory = directory
        self.handler = handler
        self.public = public
        self.hub = hub or ChatHub(
            directory=directory,
            history_limit=PUBLIC_HISTORY if public else 500,
            file_limit=PUBLIC_HISTORY if public else 500,
        )
        self.port = WebChatPort(directory=directory, hub=self.hub)
        # Public: nobody may move time for everyone else.
        self.clock_forward = None if public else clock_forward
        self.passphrase = passphrase
        self.clock = clock
        # Without a clock to move, the tour skips the step that moves it.
        self.tour = tour or Tour(
            steps=STEPS if self.clock_forward else tuple(s for s in STEPS if s.key != "clock")
        )

    def tour_state(self) -> dict[str, Any]:
        return self.tour.state(people={p.id: p.name for p in self.directory.people})

    def timezone(self) -> str | None:
        admins = [p for p in self.directory.people if p.admin] or list(self.directory.people)
        return admins[0].timezone if admins else None

    def allowed(self, request: web.Request) -> str | None:
        """Public mode: who this visitor may act as ("*" anyone) or None (not let in)."""
        if not self.public:
            return "*"
        if not self.passphrase:
            return None
        scope, _, _ = request.cookies.get(COOKIE, "").partition(".")
        value = request.cookies.get(COOKIE, "")
        if scope and hmac.compare_digest(value, access_token(secret=self.passphrase, scope=scope)):
            return scope
        return None

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
        if not (isinstance(event, FormEvent) and answers_form):  # a rejected form is no step
            if self.tour.saw(event, user_id=user_id):
                self.hub.broadcast(self.tour_state())
        if isinstance(event, FormEvent) and not answers_form:
            # Accepted: close the form first, then show what it produced (as a modal does).
            self.hub.close_form(user_id=user_id, form_id=event.form)
        people, channels = self._pickers()
        for item in reply.items:
            if isinstance(item, Message):
                ref = self.hub.answer(user_id=user_id, pane=inbound.pane, message=item)
                if item.key:
                    await self.handler.record_sent(
                        platform=self.port.platform,
                        workspace_id=event.actor.workspace_id,
                        key=item.key,
                        ref=ref,
                        user_id=user_id,
                    )
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


def _let_in(request: web.Request, chat: WebChat, *, as_user: str | None = None) -> str:
    """Public mode: the visitor's scope, refusing those without the passphrase or a link."""
    scope = chat.allowed(request)
    if scope is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"ok": False, "login": True, "error": "passphrase needed"}),
            content_type="application/json",
        )
    if as_user is not None and scope not in ("*", as_user):
        raise web.HTTPForbidden(text="this link acts as one person only")
    return scope


def _set_cookie(response: web.StreamResponse, request: web.Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        max_age=14 * 24 * 3600,
        path="/",
    )


async def page(request: web.Request) -> web.StreamResponse:
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    key = request.query.get("key")
    if key and chat.public and chat.passphrase:
        scope = key.partition(".")[0]
        if hmac.compare_digest(key, access_token(secret=chat.passphrase, scope=scope)):
            redirect = web.HTTPFound(f"/?as={scope}" if scope != "*" else "/")
            _set_cookie(redirect, request, key)
            raise redirect
    response = web.FileResponse(STATIC / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def login(request: web.Request) -> web.Response:
    """Public mode: the shared passphrase lets the visitor act as anyone in the demo."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        given = str((await request.json()).get("passphrase", ""))
    except (ValueError, AttributeError):
        given = ""
    if not (chat.public and chat.passphrase):
        return web.json_response({"ok": True})
    if not hmac.compare_digest(given.encode(), chat.passphrase.encode()):
        await asyncio.sleep(1.0)  # slows guessing down
        return web.json_response({"ok": False, "error": "wrong passphrase"}, status=401)
    response = web.json_response({"ok": True})
    _set_cookie(response, request, access_token(secret=chat.passphrase, scope="*"))
    return response


async def tour(request: web.Request) -> web.Response:
    """The guide panel's own buttons: a step forward or back, for everyone watching."""
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    _let_in(request, chat)
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        move = (await request.json()).get("move")
    except (ValueError, AttributeError):
        move = None
    if move not in ("next", "back"):
        return web.json_response(
            {"ok": False, "error": 'send {"move": "next" | "back"}'}, status=400
        )
    changed = chat.tour.advance() if move == "next" else chat.tour.back()
    if changed:
        chat.hub.broadcast(chat.tour_state())
    return web.json_response({"ok": True, **chat.tour_state()})


async def people(request: web.Request) -> web.Response:
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    scope = _let_in(request, chat)
    directory = chat.directory
    return web.json_response(
        {
            "workspace": directory.workspace_id,
            "name": directory.name,
            "people": [p.public() for p in directory.people if scope in ("*", p.id)],
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
    _let_in(request, chat, as_user=user_id)
    if chat.directory.person(user_id) is None:
        raise web.HTTPNotFound(text="unknown person")
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
        await response.write(b"retry: 2000\n\n" + _sse(snapshot) + _sse(chat.tour_state()))
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
    scope = _let_in(request, chat)
    raw = await request.content.read(MAX_EVENT_BYTES + 1)
    if len(raw) > MAX_EVENT_BYTES or (request.content_length or 0) > MAX_EVENT_BYTES:
        return _too_long()
    try:
        body = json.loads(raw)
        if len(str(body.get("text") or "")) > MAX_TEXT_CHARS:
            return _too_long()
        inbound = parse_event(body, directory=chat.directory)
    except (ValueError, BadEvent, AttributeError) as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    if scope not in ("*", inbound.user_id):
        raise web.HTTPForbidden(text="this link acts as one person only")
    answered = await chat.handle(inbound)
    return web.json_response({"ok": True, "answered": answered})


def _too_long() -> web.Response:
    return web.json_response(
        {
            "ok": False,
            # Before anyone is known there is no language to pick: both, Danish first.
            "error": " ".join(
                i18n.t(lang, "surface.web_too_long", limit=MAX_TEXT_CHARS)
                for lang in i18n.SUPPORTED
            ),
        },
        status=413,
    )


async def file(request: web.Request) -> web.StreamResponse:
    chat = request.app[WEBCHAT]
    _own_request(request, chat)
    scope = _let_in(request, chat)
    # A per-person link fetches only what that person was shown (the passphrase, and the
    # loopback demo, act as anyone: their visitor could open the other person's pane anyway).
    found = chat.hub.file(token=request.match_info["token"], scope=scope)
    if found is None:
        raise web.HTTPNotFound(text="no such file (files live until the bot restarts)")
    safe = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in found.filename)
    return web.Response(
        body=found.content,
        headers={
            # The flow's MIME type as given (it may carry a charset).
            "Content-Type": found.mime_type or "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "private, no-store",
        },
    )


async def clock(request: web.Request) -> web.Response:
    """Run the scheduler's clock forward (demo only).

    `{"days": 1, "land": "working_morning"}` (the page's buttons) moves to that many days on,
    or the first working day after, at 09:00; `{"hours": 24}` or `{"days": 7}` moves exactly.
    """
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
    by = timedelta(hours=hours)
    if body.get("land") == "working_morning" and chat.clock is not None:
        now = chat.clock.now()
        target = clock_target(now=now, days=max(1, round(hours / 24)), timezone=chat.timezone())
        by = target - now
    result = await chat.clock_forward(by)
    if chat.tour.clock_moved():
        chat.hub.broadcast(chat.tour_state())
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
    app.router.add_post("/web/tour", tour)
    app.router.add_post("/web/login", login)

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        if request.path == "/" or request.path.startswith("/web/"):
            _security_headers(request, response)

    async def on_shutdown(_: web.Application) -> None:
        chat.hub.close()

    app.on_response_prepare.append(on_prepare)
    app.on_shutdown.append(on_shutdown)
