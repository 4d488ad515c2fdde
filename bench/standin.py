"""A lean stand-in for Slack's Web API, for benchmarks (tests/support/stub_slack.py is the
thorough one; this keeps no Block Kit checks and little state, so it costs the driver little).

It answers the calls the bots make (auth.test, users.info, conversations.open,
chat.postMessage/update/postEphemeral, views.open/update/publish), and can enforce Slack's
rate limits: a token bucket per channel (about 1 message a second, with a burst) and a global
one; a call over the limit gets HTTP 429 with Retry-After, as Slack answers.

`TeamsStandIn` is the same for the Bot Framework connector (Teams' limits: 7 a second per
conversation, 30 a second per tenant), for the outbox benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "xoxb-bench-token"
TEAM_ID = "T0MUS"
BOT_USER_ID = "UBOT"


@dataclass
class Bucket:
    """Token bucket: `rate` per second, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 when a token was taken; otherwise the seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Limits:
    per_channel_rate: float = 1.0
    per_channel_burst: float = 3.0
    global_rate: float = 50.0
    global_burst: float = 50.0


@dataclass
class Post:
    at: float
    channel: str
    text: str


async def _serve(app: web.Application, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app` on loopback (`port` 0: any free one); the runner and the port it got."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None
    port_ = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return runner, int(port_)


@dataclass
class SlackStandIn:
    limits: Limits | None = None
    posts: list[Post] = field(default_factory=list)
    rejected: int = 0
    calls: int = 0
    methods: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Calls by API method (bench/profile_answer.py prints them per answer)."""
    keep_text: bool = False
    _waiters: dict[str, list[asyncio.Future[float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    last_question: dict[str, tuple[str, str]] = field(default_factory=dict)
    """By channel: (ts, blocks JSON) of the last message with buttons (the form benchmark)."""
    _views: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _global: Bucket | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self, port: int = 0) -> SlackStandIn:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner, self.port = await _serve(app, port)
        if self.limits:
            self._global = Bucket(self.limits.global_rate, self.limits.global_burst)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def expect_question(self, channel: str) -> asyncio.Future[float]:
        """A future resolved with the time (perf_counter) the next question reaches `channel`."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[channel].append(future)
        return future

    def expect_view(self, trigger_id: str) -> asyncio.Future[dict[str, Any]]:
        """A future resolved with the view a views.open call with `trigger_id` opened."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._views[trigger_id] = future
        return future

    def posts_by_channel(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for post in self.posts:
            counts[post.channel] += 1
        return dict(counts)

    # ------------------------------------------------------------ HTTP

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                args.update(await request.post())
        return args

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        method = request.match_info["method"]
        self.methods[method] += 1
        args = await self._args(request)
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return self._post(method, args)
        if method == "auth.test":
            return _ok(user_id=BOT_USER_ID, team_id=TEAM_ID, bot_id="BBOT", team="Bench")
        if method == "users.info":
            user = str(args.get("user", ""))
            return _ok(user=_user(user))
        if method == "conversations.open":
            users = str(args.get("users", "")).split(",")[0]
            return _ok(channel={"id": "D" + users.removeprefix("U")})
        if method == "views.open":
            future = self._views.pop(str(args.get("trigger_id", "")), None)
            view = args.get("view")
            if future is not None and not future.done():
                future.set_result(json.loads(view) if isinstance(view, str) else view or {})
        if method in ("views.open", "views.update", "views.publish", "views.push"):
            return _ok(view={"id": "V" + str(next(self._ts)), "hash": "h"})
        return _ok()

    def _post(self, method: str, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        now = time.perf_counter()
        if self.limits is not None and method != "chat.postEphemeral":
            bucket = self._buckets.get(channel)
            if bucket is None:
                bucket = self._buckets[channel] = Bucket(
                    self.limits.per_channel_rate, self.limits.per_channel_burst
                )
            assert self._global is not None
            wait = bucket.take(now)
            if wait == 0:
                wait = self._global.take(now)
                if wait:
                    bucket.tokens += 1  # not spent: the global limit refused
            if wait:
                self.rejected += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        blocks = args.get("blocks")
        raw = blocks if isinstance(blocks, str) else json.dumps(blocks or [])
        text = str(args.get("text", "")) if self.keep_text else ""
        self.posts.append(Post(at=now, channel=channel, text=text))
        ts = str(args.get("ts") or f"1700000000.{next(self._ts):06d}")
        if '"actions"' in raw:
            self.last_question[channel] = (ts, raw)
            waiters = self._waiters.get(channel)
            if waiters:
                future = waiters.pop(0)
                if not future.done():
                    future.set_result(now)
        return _ok(channel=channel, ts=ts, message={"ts": ts, "text": ""})


def _ok(**data: Any) -> web.Response:
    return web.json_response({"ok": True, **data})


def _user(user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": user_id.lower(),
        "real_name": f"Person {user_id}",
        "tz": "Europe/Copenhagen",
        "locale": "da-DK",
        "is_admin": user_id.startswith("UL"),
        "profile": {"display_name": f"Person {user_id}", "real_name": f"Person {user_id}"},
    }


@dataclass
class TeamsLimits:
    """Teams' documented limits for a bot: per conversation ("thread") and per tenant."""

    per_conversation_rate: float = 7.0
    per_conversation_burst: float = 7.0
    tenant_rate: float = 30.0
    tenant_burst: float = 30.0


@dataclass
class TeamsStandIn:
    """A lean stand-in for the Bot Framework connector (the `serviceUrl` of one tenant), for
    the outbox benchmark (tests/support/stub_connector.py is the thorough one).

    New messages (POST /v3/conversations/{id}/activities) pass a token bucket per
    conversation and one for the tenant; over either, HTTP 429 with Retry-After. Creating a
    1:1 chat answers the existing one. Records each accepted message's conversation.
    """

    limits: TeamsLimits | None = None
    posts: list[Post] = field(default_factory=list)
    rejected: int = 0
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _tenant: Bucket | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self, port: int = 0) -> TeamsStandIn:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        self._runner, self.port = await _serve(app, port)
        if self.limits:
            self._tenant = Bucket(self.limits.tenant_rate, self.limits.tenant_burst)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def posts_by_channel(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for post in self.posts:
            counts[post.channel] += 1
        return dict(counts)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = body["members"][0]["id"]
        return web.json_response({"id": f"a:dm-{member}"}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        await request.read()
        conversation = request.match_info["cid"]
        now = time.perf_counter()
        if self.limits is not None:
            bucket = self._buckets.get(conversation)
            if bucket is None:
                bucket = self._buckets[conversation] = Bucket(
                    self.limits.per_conversation_rate, self.limits.per_conversation_burst
                )
            assert self._tenant is not None
            wait = bucket.take(now)
            if wait == 0:
                wait = self._tenant.take(now)
                if wait:
                    bucket.tokens += 1  # not spent: the tenant's limit refused
            if wait:
                self.rejected += 1
                return web.json_response(
                    {"error": {"code": "Throttled", "message": "Too many requests"}},
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        self.posts.append(Post(at=now, channel=conversation, text=""))
        return web.json_response({"id": f"act-{next(self._ids)}"}, status=201)
