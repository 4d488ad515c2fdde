"""A local stand-in for the Bot Framework connector (the `serviceUrl` of Teams activities).

Like Bolt's mock web API server: a real HTTP server, so the bot's Agents SDK connector code runs
unchanged; it records every call so tests assert on what Teams would have received, and it can
be told to fail (429 with Retry-After, 403, 404, 500) to exercise the error paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    status: int = 200
    response_id: str | None = None  # the activity id the connector gave a new message
    authorization: str | None = None  # the bot's bearer token, as sent

    @property
    def card(self) -> dict[str, Any] | None:
        """The first Adaptive Card in an activity body."""
        for attachment in (self.body or {}).get("attachments") or ():
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None


@dataclass
class Failure:
    status: int
    times: int
    retry_after: float | None
    method: str | None
    path_contains: str | None


@dataclass
class Account:
    """A Teams user as the roster returns them."""

    id: str
    aad: str
    name: str
    role: str = "user"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aadObjectId": self.aad,  # "" for a bot: the adapter reads it as absent
            "name": self.name,
            "userRole": self.role,
            "email": f"{self.name.lower()}@example.org",
        }


class StubConnector:
    """Records POST/PUT activities, conversation creation and roster reads."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.rosters: dict[str, list[Account]] = {}  # conversation (team) id -> members
        self.page_size = 2  # small on purpose: exercises continuation tokens
        self._ids = itertools.count(1)
        self._server: TestServer | None = None
        self.created: dict[str, str] = {}  # member id -> 1:1 conversation id

    # ---------------------------------------------------------- lifecycle

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_get("/v3/conversations/{cid}/members", self._members)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/"))

    # ---------------------------------------------------------- test API

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next `times` matching requests answer `status` (and Retry-After, if given)."""
        self.failures.append(Failure(status, times, retry_after, method, path_contains))

    def posted(self, conversation_id: str | None = None) -> list[Call]:
        """Activities accepted as new messages, optionally in one conversation."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and c.conversation_id is not None
            and c.status < 300
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def updated(self, conversation_id: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "PUT"
            and c.status < 300
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def shown(self, conversation_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What a chat shows now: (activity id, card), updates applied, last changed last."""
        return self._cards(conversation_id, updated_last=True)

    def in_order(self, conversation_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What a chat shows now, top to bottom: (activity id, card), updates applied where
        the card stands (Teams does not move an updated message; `shown` puts it last)."""
        return self._cards(conversation_id, updated_last=False)

    def _cards(
        self, conversation_id: str, *, updated_last: bool
    ) -> list[tuple[str, dict[str, Any]]]:
        cards: dict[str, dict[str, Any]] = {}
        for call in self.calls:
            if call.conversation_id != conversation_id or call.status >= 300 or call.card is None:
                continue
            if call.method == "POST" and call.response_id:
                cards[call.response_id] = call.card
            elif call.method == "PUT" and call.activity_id:
                if updated_last:
                    cards.pop(call.activity_id, None)
                elif call.activity_id not in cards:
                    continue
                cards[call.activity_id] = call.card
        return list(cards.items())

    def creates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/v3/conversations"]

    def all_accounts(self) -> list[Account]:
        return [a for members in self.rosters.values() for a in members]

    # ---------------------------------------------------------- handlers

    def _record(self, request: web.Request, body: Any) -> web.Response | None:
        call = Call(
            method=request.method,
            path=request.path,
            conversation_id=request.match_info.get("cid"),
            activity_id=request.match_info.get("aid"),
            body=body,
            query=dict(request.query),
            authorization=request.headers.get("Authorization"),
        )
        self.calls.append(call)
        for failure in self.failures:
            if failure.method and failure.method != request.method:
                continue
            if failure.path_contains and failure.path_contains not in request.path:
                continue
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
            call.status = failure.status
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return web.json_response(
                {"error": {"code": f"Injected{failure.status}", "message": "injected"}},
                status=failure.status,
                headers=headers,
            )
        return None

    async def _body(self, request: web.Request) -> Any:
        return await request.json() if request.can_read_body else None

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (failed := self._record(request, body)) is not None:
            return failed
        activity_id = f"act-{next(self._ids)}"
        self.calls[-1].response_id = activity_id
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (failed := self._record(request, body)) is not None:
            return failed
        return web.json_response({"id": request.match_info["aid"]})

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (failed := self._record(request, body)) is not None:
            return failed
        member = body["members"][0]["id"]
        conversation_id = self.created.setdefault(member, f"a:dm-{member}")
        return web.json_response({"id": conversation_id}, status=201)

    async def _paged_members(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, None)) is not None:
            return failed
        members = self.rosters.get(request.match_info["cid"])
        if members is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        size = int(request.query.get("pageSize") or self.page_size)
        size = min(size, self.page_size)
        start = int(request.query.get("continuationToken") or 0)
        page = members[start : start + size]
        body: dict[str, Any] = {"members": [m.json() for m in page]}
        if start + size < len(members):
            body["continuationToken"] = str(start + size)
        return web.json_response(body)

    async def _members(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, None)) is not None:
            return failed
        members = self.rosters.get(request.match_info["cid"], [])
        return web.json_response([m.json() for m in members])

    async def _member(self, request: web.Request) -> web.Response:
        if (failed := self._record(request, None)) is not None:
            return failed
        wanted = request.match_info["mid"]
        for account in self.all_accounts():
            if wanted in (account.id, account.aad):
                return web.json_response(account.json())
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
