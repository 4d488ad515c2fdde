"""A local stand-in for Slack's Web API, modelled on bolt's tests/mock_web_api_server.

A real aiohttp server on 127.0.0.1: the code under test talks HTTP to it exactly as it would to
slack.com (point `SLACK_API_URL` / `base_url` at `stub.api_url`). It records every call
(method, arguments, headers), answers like Slack (ids, ts, DM channels, profiles, paginated
members), checks the Block Kit limits Slack enforces, and can be told to fail the next call
to a method (429 with Retry-After, 500, or an `ok: false` error).

It also serves `response_url`s (`stub.response_url(...)`) and file upload URLs, so everything
the bot sends lands in `stub.calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0MUS"
BOT_USER_ID = "UBOT"

_JSON_ARGS = ("blocks", "view", "attachments", "files", "metadata")


@dataclass(frozen=True, slots=True)
class Call:
    """One request the stub received."""

    method: str
    args: dict[str, Any]
    headers: Mapping[str, str]

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)


@dataclass(slots=True)
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    times: int = 1
    channel: str | None = None  # only calls for this channel fail


@dataclass(slots=True)
class GlobalLimit:
    """The next `requests` posts, to any channel, answered 429 with Retry-After together."""

    requests: int
    retry_after: float
    arrived: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class StubSlack:
    """The stand-in server. `await start()` before use, `await close()` after."""

    token: str = BOT_TOKEN
    team_id: str = TEAM_ID
    bot_user_id: str = BOT_USER_ID
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    """The bytes sent to each file upload URL, by file id."""
    channel_names: dict[str, str] = field(default_factory=dict)
    """Channel names for conversations.info (default: the id in lower case)."""
    outside: set[str] = field(default_factory=set)
    """Channels the bot is not a member of: conversations.info says so, posts get not_in_channel."""
    page_size: int | None = None
    """Force conversations.members pages this small, to exercise pagination."""
    base_url: str = ""
    global_limit: GlobalLimit | None = None
    """Set by `limit_globally`: the workspace's limit, hit by several posts at once."""
    rejected: list[Call] = field(default_factory=list)
    """chat.postMessage calls answered 429 by the global limit."""
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    """Open Socket Mode connections (apps.connections.open hands out ws://…/link)."""

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> StubSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._changed = asyncio.Condition()
        return self

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"{self.base_url}/hooks/{name}"

    # ------------------------------------------------------------ set-up

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        locale: str = "da-DK",
        tz: str = "Europe/Copenhagen",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": (name or user_id).lower().replace(" ", "."),
            "real_name": name or user_id,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "tz": tz,
            "locale": locale,
            "profile": {"display_name": name or "", "real_name": name or user_id},
        }
        self.users[user_id] = user
        return user

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls to `method` fail (status 429/5xx, or ok:false error),
        or only those for `channel`."""
        if status == 429 and error is None:
            error = "ratelimited"
        self.failures.setdefault(method, []).append(
            Failure(
                status=status, error=error, retry_after=retry_after, times=times, channel=channel
            )
        )

    def limit_globally(self, *, requests: int, retry_after: float) -> None:
        """Slack's global (workspace) limit, reached while `requests` posts are in flight:
        the next `requests` chat.postMessage calls, to any channels, are held until all of
        them have arrived (or 5 s passed), then each is answered HTTP 429 with Retry-After,
        as Slack answers every call over the limit."""
        self.global_limit = GlobalLimit(requests=requests, retry_after=retry_after)

    # ------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for(self, method: str, *, count: int = 1) -> list[Call]:
        """Wait until `method` was called `count` times (use under `asyncio.timeout`)."""
        assert self._changed is not None
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)

    def latest(self, channel: str, *, action: str) -> tuple[str, dict[str, Any]] | None:
        """(ts, button) of the most recently posted or updated message in `channel` that has
        a button for `action` (action_ids may carry the uniqueness suffix)."""
        best: tuple[int, str, dict[str, Any]] | None = None
        for (where, ts), message in self.messages.items():
            if where != channel:
                continue
            for block in message["blocks"]:
                for element in (
                    block.get("elements") or [] if block.get("type") == "actions" else []
                ):
                    if element["action_id"].split("~~")[0] == action and (
                        best is None or message["seq"] > best[0]
                    ):
                        best = (message["seq"], ts, element)
        return (best[1], best[2]) if best else None

    def texts_of(self, message: Mapping[str, Any]) -> str:
        """Every text a stored message shows now (after any chat.update), joined."""
        return "\n".join([str(message.get("text") or ""), *_block_texts(message["blocks"])])

    def texts(self, call: Call) -> str:
        """Every text a chat/response call would show, joined: for asserting on content."""
        parts = [str(call.get("text") or "")]
        blocks = call.get("blocks") or (call.get("view") or {}).get("blocks") or []
        parts += _block_texts(blocks)
        return "\n".join(parts)

    # ------------------------------------------------------------ handlers

    async def _record(self, method: str, args: dict[str, Any], headers: Mapping[str, str]) -> None:
        self.calls.append(Call(method=method, args=args, headers=dict(headers)))
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        await self._record(method, args, request.headers)
        limit = self.global_limit
        if method == "chat.postMessage" and limit is not None and limit.arrived < limit.requests:
            limit.arrived += 1
            self.rejected.append(self.calls[-1])
            if limit.arrived == limit.requests:
                limit.released.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(limit.released.wait(), 5.0)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(int(limit.retry_after))},
            )
        failure = self._next_failure(method, args)
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(int(failure.retry_after))
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream error", headers=headers)
            return web.json_response(
                {"ok": False, "error": failure.error or "fatal_error"},
                status=failure.status,
                headers=headers,
            )
        auth = request.headers.get("Authorization", "")
        if method != "apps.connections.open" and auth != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = getattr(self, "_m_" + method.replace(".", "_"), None)
        body = answer(args) if answer is not None else {"ok": True}
        return web.json_response(body)

    async def _hook(self, request: web.Request) -> web.Response:
        args = await _read_args(request)
        await self._record(f"response_url:{request.match_info['hook']}", args, request.headers)
        problem = _check_blocks(args.get("blocks"), limit=50)
        if problem:
            return web.Response(status=400, text=problem)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        await self._record(
            "upload", {"file_id": request.match_info["file_id"], "size": len(data)}, request.headers
        )
        return web.Response(text=f"OK - {len(data)}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every frame the app sends (envelope acks)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await self._record("socket.open", {}, request.headers)
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AMUS"}}
        )
        async for frame in ws:
            if frame.type == web.WSMsgType.TEXT:
                await self._record("socket", json.loads(frame.data), request.headers)
        return ws

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope (events_api, slash_commands, interactive) to the app."""
        assert self.sockets, "no Socket Mode connection"
        await self.sockets[-1].send_json(envelope)

    def _next_failure(self, method: str, args: Mapping[str, Any]) -> Failure | None:
        queue = self.failures.get(method) or []
        for failure in queue:
            if failure.channel is not None and failure.channel != args.get("channel"):
                continue
            failure.times -= 1
            if failure.times <= 0:
                queue.remove(failure)
            return failure
        return None

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    # ------------------------------------------------------------ methods (like Slack)

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://mus-test.slack.com/",
            "team": "MUS test",
            "user": "musbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "BMUS",
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/link"}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        problem = _check_message(args)
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        ts = self._next_ts()
        message = {
            "text": args.get("text"),
            "blocks": args.get("blocks") or [],
            "ts": ts,
            "seq": next(self._ids),
        }
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        problem = _check_message(args)
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        self.messages[key].update(
            text=args.get("text"), blocks=args.get("blocks") or [], seq=next(self._ids)
        )
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args.get("text")}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = _check_message(args)
        if problem:
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if "," in users:
            return {"ok": True, "channel": {"id": "G" + users.replace(",", "")}}
        user = self.users.get(users)
        if user is None and self.users:
            return {"ok": False, "error": "user_not_found"}
        if user is not None and user.get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        return {"ok": True, "channel": {"id": "D" + users.removeprefix("U")}}

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        members = self.members[channel]
        size = self.page_size or int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = members[start : start + size]
        cursor = str(start + size) if start + size < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        name = self.channel_names.get(channel, channel.lower())
        info = {"id": channel, "name": name, "is_member": channel not in self.outside}
        return {"ok": True, "channel": info}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        user = dict(user)
        if str(args.get("include_locale")).lower() not in ("true", "1"):
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _view(self, args: dict[str, Any], *, limit: int) -> dict[str, Any]:
        view = args.get("view") or {}
        problem = _check_view(view, limit=limit)
        if problem:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": [problem]},
            }
        return {"ok": True, "view": {"id": f"V{next(self._ids):04d}", **view}}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view(args, limit=100)

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args, limit=100)

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args, limit=100)

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):04d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}


# ---------------------------------------------------------------- request parsing


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass
    return args


# ---------------------------------------------------------------- what Slack would reject


def _check_message(args: Mapping[str, Any]) -> str | None:
    if not args.get("text") and not args.get("blocks"):
        return "no_text"
    return _check_blocks(args.get("blocks"), limit=50)


def _check_view(view: Mapping[str, Any], *, limit: int) -> str | None:
    if len(str(view.get("private_metadata") or "")) > 3000:
        return "private_metadata must be at most 3000 characters"
    if view.get("type") == "modal":
        title = (view.get("title") or {}).get("text") or ""
        if not title or len(title) > 24:
            return "title must be 1-24 characters"
    return _check_blocks(view.get("blocks"), limit=limit)


def _check_blocks(blocks: Any, *, limit: int) -> str | None:
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > limit:
        return f"no more than {limit} items allowed [json-pointer:/blocks]"
    action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        kind = block.get("type")
        for text in _text_objects(block):
            value = text.get("text")
            if not isinstance(value, str) or not value:
                return f"must be more than 0 characters [json-pointer:/blocks/{index}]"
            if len(value) > 3000:
                return f"must be less than 3001 characters [json-pointer:/blocks/{index}]"
        if kind == "header" and len(block["text"]["text"]) > 150:
            return f"header too long [json-pointer:/blocks/{index}]"
        if kind == "section" and len(block.get("fields") or []) > 10:
            return f"too many fields [json-pointer:/blocks/{index}]"
        if kind == "actions":
            for element in block.get("elements") or []:
                action_id = element.get("action_id")
                if action_id in action_ids:
                    return f"duplicate action_id {action_id} [json-pointer:/blocks/{index}]"
                action_ids.add(action_id)
        if kind == "input":
            element = block.get("element") or {}
            if int(element.get("max_length") or 0) > 3000:
                return f"max_length must be at most 3000 [json-pointer:/blocks/{index}]"
    return None


def _text_objects(block: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = []
    if isinstance(block.get("text"), dict):
        found.append(block["text"])
    found += [f for f in block.get("fields") or [] if isinstance(f, dict)]
    if block.get("type") == "context":
        found += [
            e for e in block.get("elements") or [] if e.get("type") in ("mrkdwn", "plain_text")
        ]
    return found


def _block_texts(blocks: list[Mapping[str, Any]]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        for text in _text_objects(block):
            texts.append(str(text.get("text")))
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), dict):
                texts.append(str(element["text"].get("text")))
        if isinstance(block.get("label"), dict):
            texts.append(str(block["label"].get("text")))
    return texts
