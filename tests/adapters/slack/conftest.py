"""Fixtures for the Slack adapter: the stand-in Slack, a port on it, and the app over HTTP."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from adapters.slack.app import build_slack_app
from adapters.slack.config import SlackSettings
from adapters.slack.port import SlackPort, build_web_client
from conversations.events import InboundEvent
from conversations.messages import HomeView, Message, Reply, ToChannel, ToPerson
from conversations.ports import DeliveryError, PlatformPort
from tests.adapters.slack.harness import SlackHarness
from tests.support.slack_signing import SIGNING_SECRET
from tests.support.stub_slack import BOT_TOKEN, StubSlack

Script = Callable[[InboundEvent], Reply | Awaitable[Reply]]


class FakeCore:
    """Stands in for the Engine, keeping its `EventHandler` contract.

    Records each event, answers with `script`, delivers ToPerson/ToChannel messages and home
    views through the platform (recording `DeliveryError`s as the engine would report them),
    returns the in-place rest, and answers a repeated `event_id` with an empty Reply.
    """

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.received = 0  # every call, duplicates included
        self.script: Script = lambda event: Reply()
        self.delivery_errors: list[DeliveryError] = []
        self.sent_refs: list[str | None] = []
        self.recorded: dict[str, str] = {}  # Message.key -> ref, as adapters report them
        self._seen: set[str] = set()

    async def handle(self, event: InboundEvent, *, platform: PlatformPort) -> Reply:
        self.received += 1
        if event.event_id in self._seen:
            return Reply()
        self._seen.add(event.event_id)
        self.events.append(event)
        reply = self.script(event)
        if inspect.isawaitable(reply):
            reply = await reply
        in_place = []
        for item in reply.items:
            try:
                if isinstance(item, Message) and isinstance(item.to, ToPerson | ToChannel):
                    self.sent_refs.append(
                        await platform.send(workspace_id=event.actor.workspace_id, message=item)
                    )
                elif isinstance(item, HomeView):
                    await platform.publish_home(workspace_id=event.actor.workspace_id, view=item)
                else:
                    in_place.append(item)
            except DeliveryError as error:
                self.delivery_errors.append(error)
        return Reply(tuple(in_place))

    async def record_sent(
        self, *, platform: str, workspace_id: str, key: str, ref: str, user_id: str | None
    ) -> None:
        self.recorded[key] = ref


@pytest.fixture
async def stub() -> AsyncIterator[StubSlack]:
    server = await StubSlack().start()
    yield server
    await server.close()


@pytest.fixture
async def port(stub: StubSlack) -> AsyncIterator[SlackPort]:
    """A port without rate-limit retries, so each injected failure surfaces as it is."""
    made = SlackPort(
        client=build_web_client(token=BOT_TOKEN, base_url=stub.api_url, rate_limit_retries=0)
    )
    yield made
    await made.close()


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest.fixture
def settings(stub: StubSlack) -> SlackSettings:
    return SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=stub.api_url)


@pytest.fixture
async def slack(
    stub: StubSlack, core: FakeCore, settings: SlackSettings
) -> AsyncIterator[SlackHarness]:
    bolt = build_slack_app(handler=core, settings=settings, form_budget=1.0)
    harness = await SlackHarness(bolt=bolt, stub=stub).start()
    yield harness
    await harness.settle()
    await harness.close()
