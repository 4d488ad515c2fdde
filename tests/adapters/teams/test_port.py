"""TeamsPort against the stub connector: proactive 1:1 chats, rosters, errors, rate limits."""

from __future__ import annotations

import asyncio

import pytest

from adapters.teams.port import TENANT_KEY
from conversations.messages import Button, Message, ToChannel, ToPerson
from conversations.ports import DeliveryError
from tests.adapters.teams.harness import ANNA, BO, CARL, TEAM_ID, TENANT, Bot


async def installed(bot: Bot) -> None:
    """The app is installed in the team (which also gives the tenant's service URL)."""
    await bot.post(bot.team_install())
    bot.stub.calls.clear()


def dm(user_id: str, text: str = "Din forberedelse kan begynde") -> Message:
    return Message(to=ToPerson(user_id), text=text, buttons=(Button("Start", "prep.start", "1"),))


async def test_proactive_dm_creates_the_chat_once(bot: Bot) -> None:
    await installed(bot)
    members = await bot.port.channel_members(workspace_id=TENANT, channel_id=TEAM_ID)
    bot.stub.calls.clear()

    ref = await bot.port.send(workspace_id=TENANT, message=dm(BO.aad))
    (create,) = bot.stub.creates()
    assert create.body["members"] == [{"id": BO.id}]  # the Teams id learnt from the roster
    assert create.body["channelData"] == {"tenant": {"id": TENANT}}
    assert create.body["tenantId"] == TENANT and create.body["isGroup"] is False
    assert create.body["bot"]["id"] == "28:bot-app-id"
    (post,) = bot.stub.posted(f"a:dm-{BO.id}")
    assert post.card["actions"][0]["data"]["mus_owner"] == BO.aad
    assert ref == f"a:dm-{BO.id}|act-1"

    await bot.port.send(workspace_id=TENANT, message=dm(BO.aad, "Påmindelse"))
    assert len(bot.stub.creates()) == 1  # the stored 1:1 chat is reused
    assert len(bot.stub.posted(f"a:dm-{BO.id}")) == 2
    assert {m.user_id for m in members} == {ANNA.aad, BO.aad, CARL.aad}


async def test_dm_to_someone_never_seen_uses_their_aad_id(bot: Bot) -> None:
    await installed(bot)
    await bot.port.send(workspace_id=TENANT, message=dm("aad-stranger"))
    (create,) = bot.stub.creates()
    assert create.body["members"] == [{"id": "aad-stranger"}]


async def test_nothing_can_be_sent_to_a_tenant_without_the_app(bot: Bot) -> None:
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id="other-tenant", message=dm(BO.aad))
    assert raised.value.kind == "forbidden"
    assert bot.stub.calls == []


async def test_user_who_removed_the_app_is_user_gone(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(403, path_contains="/v3/conversations")
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=dm(BO.aad))
    assert raised.value.kind == "user_gone" and raised.value.permanent


async def test_team_that_removed_the_bot_is_not_in_channel(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(403)
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="Hej"))
    assert raised.value.kind == "not_in_channel"


async def test_unknown_channel_is_channel_not_found(bot: Bot) -> None:
    await installed(bot)
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel("19:gone"), text="x"))
    assert raised.value.kind == "channel_not_found"
    bot.stub.fail(404)
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="x"))
    assert raised.value.kind == "channel_not_found"


async def test_429_is_retried_after_retry_after(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(429, times=2, retry_after=3, method="POST", path_contains="/activities")
    await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="Hej"))
    attempts = [c for c in bot.stub.calls if c.path.endswith("/activities")]
    assert [c.status for c in attempts] == [429, 429, 200]
    assert bot.time.sleeps.count(3.0) == 2


async def test_429_without_retry_after_backs_off_exponentially_then_gives_up(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(429, times=100, path_contains="/activities")
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="Hej"))
    assert raised.value.kind == "rate_limited" and not raised.value.permanent
    assert len([c for c in bot.stub.calls if c.path.endswith("/activities")]) == 4
    backoffs = [s for s in bot.time.sleeps if s in (1.0, 2.0, 4.0)]
    assert backoffs == [1.0, 2.0, 4.0]


async def test_long_retry_after_is_left_to_the_caller(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(429, retry_after=600, path_contains="/activities")
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="Hej"))
    assert raised.value.kind == "rate_limited" and raised.value.retry_after == 600


async def test_server_error_is_unavailable_and_not_retried_behind_our_back(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(500, times=10)
    with pytest.raises(DeliveryError) as raised:
        await bot.port.send(workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="Hej"))
    assert raised.value.kind == "unavailable" and not raised.value.permanent
    assert len(bot.stub.calls) == 1  # 5xx is not retried here: the outbox retries later


async def test_message_replaces_updates_in_place(bot: Bot) -> None:
    await installed(bot)
    ref = await bot.port.send(
        workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="1/3")
    )
    assert ref is not None
    again = await bot.port.send(
        workspace_id=TENANT, message=Message(to=ToChannel(TEAM_ID), text="2/3", replaces=ref)
    )
    assert again == ref
    (update,) = bot.stub.updated(TEAM_ID)
    assert update.card["body"][0]["text"] == "2/3"


async def test_update_of_a_vanished_card_posts_a_new_one(bot: Bot) -> None:
    await installed(bot)
    bot.stub.fail(404, method="PUT")
    ref = await bot.port.send(
        workspace_id=TENANT,
        message=Message(to=ToChannel(TEAM_ID), text="ny", replaces=f"{TEAM_ID}|gone"),
    )
    assert ref == f"{TEAM_ID}|act-1"
    assert len(bot.stub.posted(TEAM_ID)) == 1


async def test_channel_members_pages_through_the_roster_without_bots(bot: Bot) -> None:
    await installed(bot)
    members = await bot.port.channel_members(workspace_id=TENANT, channel_id=TEAM_ID)
    assert [(m.user_id, m.display_name) for m in members] == [
        (ANNA.aad, "Anna"),
        (BO.aad, "Bo"),
        (CARL.aad, "Carl"),
    ]
    pages = [c for c in bot.stub.calls if c.path.endswith("/pagedmembers")]
    assert len(pages) == 2 and pages[1].query["continuationToken"] == "2"


async def test_lookup_reads_the_member(bot: Bot) -> None:
    await bot.post(bot.message("hej", user=ANNA))
    actor = await bot.port.lookup(workspace_id=TENANT, user_id=ANNA.aad)
    assert actor is not None and actor.user_id == ANNA.aad and actor.display_name == "Anna"
    assert await bot.port.lookup(workspace_id=TENANT, user_id="aad-nobody") is None


def record_grants(bot: Bot) -> list[tuple[str | None, float]]:
    """(conversation id, simulated time) of every request the limiter let through."""
    grants: list[tuple[str | None, float]] = []
    limiter = bot.port.limiter
    acquire = limiter.acquire

    async def recording(*, tenant_id: str, conversation_id: str | None = None) -> None:
        await acquire(tenant_id=tenant_id, conversation_id=conversation_id)
        grants.append((conversation_id, bot.time.now))

    limiter.acquire = recording  # type: ignore[method-assign]
    return grants


async def test_burst_to_one_conversation_is_spread_over_time(bot: Bot) -> None:
    """50 proactive posts to one chat: never more than 7 in a second or 8 in two."""
    await installed(bot)
    await bot.post(bot.message("hej"))  # Anna's 1:1 chat is known
    grants = record_grants(bot)
    chat = f"a:dm-{ANNA.id}"
    await asyncio.gather(
        *(bot.port.send(workspace_id=TENANT, message=dm(ANNA.aad, f"{i}")) for i in range(50))
    )
    assert len(bot.stub.posted(chat)) == 50
    times = [t for conversation, t in grants if conversation == chat]
    assert len(times) == 50
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[7:], strict=False))
    assert all(later - earlier >= 2.0 for earlier, later in zip(times, times[8:], strict=False))
    assert times[-1] - times[0] >= 10.0  # 8 per 2 s: 50 posts need more than 10 s


async def test_fan_out_stays_under_the_tenant_limit(bot: Bot) -> None:
    await installed(bot)
    grants = record_grants(bot)
    users = [f"aad-user-{i}" for i in range(40)]
    await asyncio.gather(*(bot.port.send(workspace_id=TENANT, message=dm(u)) for u in users))
    assert len(bot.stub.creates()) == 40 and len(bot.stub.posted()) == 40
    times = [t for _, t in grants]
    assert len(times) == 80  # one create and one post per person
    # Never more than 40 in any second (Microsoft documents 50 a second per app per tenant)...
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[40:], strict=False))
    # ... and a steady 28/s after a burst of 28: within a 30/s bucket with bursts of 30.
    assert times[-1] - times[0] >= (80 - 28) / 28 - 1e-6
    tokens, at = 30.0, times[0]
    for t in times:
        tokens, at = min(30.0, tokens + (t - at) * 30.0), t
        assert tokens >= 1
        tokens -= 1


async def test_tenant_ref_is_written_once_not_per_message(bot: Bot) -> None:
    await bot.post(bot.message("hej"))
    writes = bot.refs.writes
    await bot.post(bot.message("igen"))
    assert bot.refs.writes == writes  # unchanged refs are not written again
    assert await bot.refs.get(workspace_id=TENANT, key=TENANT_KEY) is not None


async def test_home_view_is_a_card_in_the_private_chat(bot: Bot) -> None:
    from conversations.messages import Heading, HomeView, Paragraph

    await installed(bot)
    view = HomeView(
        user_id=ANNA.aad,
        blocks=(Heading("Dit overblik"), Paragraph("I gang: 1 af 9")),
        buttons=(Button("Fortsæt", "prep.open", "1"),),
    )
    await bot.port.publish_home(workspace_id=TENANT, view=view)
    (card,) = [c.card for c in bot.stub.posted(f"a:dm-{ANNA.id}")]
    assert card["body"][0]["text"] == "Dit overblik"
    assert card["actions"][0]["data"]["mus_owner"] == ANNA.aad
