"""Test helpers for the Teams adapter: the bot's endpoint, fakes and activity builders.

Activities are posted to `/api/messages` as the Bot Framework channel posts them (JSON, with
the stub connector as `serviceUrl`), so the Agents SDK's real parsing, turn and connector code run.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.files import FileLink
from adapters.teams.limiter import TeamsLimiter
from adapters.teams.port import TeamsPort
from adapters.teams.refs import RefStore
from adapters.teams.server import TEAMS_INBOX, TeamsSettings, add_teams_routes
from conversations.events import InboundEvent
from conversations.messages import Reply
from conversations.ports import EventHandler, PlatformPort
from conversations.router import typed_command
from tests.support.stub_connector import Account, StubConnector

TENANT = "tenant-1"
BOT = {"id": "28:bot-app-id", "name": "MUS"}
TEAM_ID = "19:team-general@thread.tacv2"
ANNA = Account(id="29:anna", aad="aad-anna", name="Anna")
BO = Account(id="29:bo", aad="aad-bo", name="Bo")
CARL = Account(id="29:carl", aad="aad-carl", name="Carl")


class MemoryRefStore:
    """`RefStore` in a dict; counts writes so tests can see the cache working."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes = 0

    async def save(self, *, workspace_id: str, key: str, ref: dict[str, Any]) -> None:
        self.writes += 1
        self.data[(workspace_id, key)] = dict(ref)

    async def get(self, *, workspace_id: str, key: str) -> dict[str, Any] | None:
        found = self.data.get((workspace_id, key))
        return dict(found) if found is not None else None


class FakeTime:
    """A clock and a sleeper: sleeping advances the clock instantly and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Respond = Callable[[InboundEvent, PlatformPort], Awaitable[Reply]]


@dataclass
class ScriptedHandler:
    """An `EventHandler` double: records events, drops redeliveries like the engine does."""

    respond: Respond | None = None
    events: list[InboundEvent] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    recorded: dict[str, str] = field(default_factory=dict)  # Message.key -> ref

    async def handle(self, event: InboundEvent, *, platform: PlatformPort) -> Reply:
        event = typed_command(event)  # as the engine does: "mus <command>" typed is a command
        key = f"{event.actor.workspace_id}:{event.event_id}"
        if key in self.seen:
            return Reply()
        self.seen.add(key)
        self.events.append(event)
        return await self.respond(event, platform) if self.respond else Reply()

    async def record_sent(
        self, *, platform: str, workspace_id: str, key: str, ref: str, user_id: str | None
    ) -> None:
        self.recorded[key] = ref


@dataclass
class Bot:
    client: TestClient
    port: TeamsPort
    handler: Any  # ScriptedHandler, or the real Engine in scenarios
    refs: Any  # MemoryRefStore, or StoreRefStore in scenarios
    stub: StubConnector
    time: FakeTime
    ids: Any = field(default_factory=lambda: itertools.count(1))

    async def post(self, activity: dict[str, Any], *, headers: dict[str, str] | None = None) -> Any:
        """Post like the channel does, then wait until the bot has handled it."""
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        await self.client.app[TEAMS_INBOX].drain()
        return response

    # ------------------------------------------------------ activity builders

    def base(self, *, user: Account, conversation: dict[str, Any], **extra: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "id": f"in-{next(self.ids)}",
            "channelId": "msteams",
            "serviceUrl": self.stub.url,
            "from": {"id": user.id, "aadObjectId": user.aad, "name": user.name},
            "recipient": dict(BOT),
            "conversation": {"tenantId": TENANT, **conversation},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "da-DK",
            "entities": [
                {"type": "clientInfo", "locale": "da-DK", "timezone": "Europe/Copenhagen"}
            ],
        }
        activity.update(extra)
        return activity

    def personal(self, user: Account) -> dict[str, Any]:
        return {"id": f"a:dm-{user.id}", "conversationType": "personal"}

    def message(self, text: str, *, user: Account = ANNA) -> dict[str, Any]:
        return self.base(user=user, conversation=self.personal(user), type="message", text=text)

    def submit(
        self, data: dict[str, Any], *, reply_to: str, user: Account = ANNA
    ) -> dict[str, Any]:
        """Action.Submit: a message whose value is the action data merged with the inputs."""
        return self.base(
            user=user,
            conversation=self.personal(user),
            type="message",
            value=data,
            replyToId=reply_to,
        )

    def execute(
        self, data: dict[str, Any], *, reply_to: str, user: Account = ANNA
    ) -> dict[str, Any]:
        """Action.Execute: an adaptiveCard/action invoke."""
        value = {
            "action": {"type": "Action.Execute", "verb": "x", "data": data},
            "trigger": "manual",
        }
        return self.base(
            user=user,
            conversation=self.personal(user),
            type="invoke",
            name="adaptiveCard/action",
            value=value,
            replyToId=reply_to,
        )

    def team_install(self, *, user: Account = ANNA) -> dict[str, Any]:
        activity = self.base(
            user=user,
            conversation={"id": TEAM_ID, "conversationType": "channel", "isGroup": True},
            type="conversationUpdate",
            membersAdded=[{"id": BOT["id"]}],
        )
        activity["channelData"] = {
            "tenant": {"id": TENANT},
            "team": {"id": TEAM_ID, "name": "Dagplejen"},
            "eventType": "teamMemberAdded",
        }
        return activity

    def personal_install(self, *, user: Account = ANNA) -> dict[str, Any]:
        return self.base(
            user=user,
            conversation=self.personal(user),
            type="conversationUpdate",
            membersAdded=[{"id": BOT["id"]}, {"id": user.id, "aadObjectId": user.aad}],
        )


async def start_bot(
    *,
    stub: StubConnector,
    handler: EventHandler,
    refs: RefStore,
    files: FileLink | None = None,
    mounts: Sequence[Callable[[web.Application], None]] = (),
) -> Bot:
    """The Teams endpoint on a local port, unauthenticated (dev mode), with simulated time.

    `files` makes attachments download links; `mounts` add routes to the same server (the
    bot's file route, as `musbot run` has it).
    """
    time = FakeTime()
    app = web.Application()
    port = add_teams_routes(
        app=app,
        handler=handler,
        refs=refs,
        settings=TeamsSettings(allow_unauthenticated=True),
        limiter=TeamsLimiter(clock=time.clock, sleep=time.sleep),
        files=files,
    )
    for mount in mounts:
        mount(app)
    port.jitter = lambda: 0.0  # deterministic back-off in tests
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return Bot(client=client, port=port, handler=handler, refs=refs, stub=stub, time=time)
