"""Issue #15 in Teams, asserted on what the stand-in connector received: a mention typed in an
answer shows the person's name, a double click on "Godkend" is recognised as one, and the
overview card refreshes itself (Adaptive Card Universal Actions `refresh`) for its viewer only."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.teams.harness import ANNA, BO, Bot
from tests.adapters.teams.test_files import book_anna, start_round, submit
from tests.adapters.teams.test_private_dialog import dialog_fetch
from tests.adapters.teams.test_scenario import (  # noqa: F401 - `teams` is a fixture
    LENE,
    _start_round,
    actions,
    chat,
    latest,
    press,
    teams,
    text_of,
)


def mention(account: Any, label: str) -> dict[str, Any]:
    return {
        "type": "mention",
        "text": f"<at>{label}</at>",
        "mentioned": {"id": account.id, "name": account.name},
    }


async def answer(bot: Bot, text: str, *, entities: tuple[dict[str, Any], ...] = ()) -> None:
    activity = bot.message(text, user=ANNA)
    activity["entities"] = [*activity["entities"], *entities]
    assert (await bot.post(activity)).status == 202


async def share(bot: Bot) -> None:
    await press(bot, ANNA, "prep.review")
    await press(bot, ANNA, "prep.share")


async def test_a_mention_in_an_answer_shows_the_persons_name_to_the_leader(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await _start_round(bot)
    _, invite = latest(stub, ANNA)
    await press(bot, ANNA, next(iter(actions(invite))))
    await answer(
        bot, "Jeg vil gerne tale med <at>Lene</at> om det", entities=(mention(LENE, "Lene"),)
    )
    await answer(bot, "Og <at>Bo</at> skal ikke nævnes")  # typed tags, no entity: literal text
    await share(bot)

    notice_id, notice = latest(stub, LENE)
    response = await bot.post(
        dialog_fetch(bot, actions(notice)["prep.view"], user=LENE, reply_to=notice_id)
    )
    card = (await response.json())["task"]["value"]["card"]["content"]
    shown = text_of(card)
    assert "Jeg vil gerne tale med @Lene Leder om det" in shown
    assert "<at>Lene</at>" not in shown
    assert "Og <at>Bo</at> skal ikke nævnes" in shown  # shown as typed ...
    raw = json.dumps(card, ensure_ascii=False)
    assert "<at>" not in raw.replace("\\\\<at\\\\>", "")  # ... but escaped: no live tag
    assert "entities" not in raw  # and the card declares no mention for Teams to resolve


def refresh(bot: Bot, data: dict[str, Any], *, user: Any, reply_to: str) -> dict[str, Any]:
    """What Teams sends when a card's `refresh` fires as `user` views it."""
    return bot.base(
        user=user,
        conversation=bot.personal(user),
        type="invoke",
        name="adaptiveCard/action",
        value={"action": dict(data, type="Action.Execute"), "trigger": "automatic"},
        replyToId=reply_to,
    )


async def overview(bot: Bot, user: Any) -> tuple[str, dict[str, Any]]:
    await bot.post(bot.message("mus hjem", user=user))
    return latest(bot.stub, user)


async def answer_all_and_share(bot: Bot) -> None:
    _, invite = latest(bot.stub, ANNA)
    await press(bot, ANNA, next(iter(actions(invite))))
    for n in range(30):
        if "prep.share" in actions(latest(bot.stub, ANNA)[1]):
            break
        await answer(bot, f"Svar {n}")
    await press(bot, ANNA, "prep.share")


async def test_the_leaders_overview_card_refreshes_itself_when_viewed(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await _start_round(bot)
    card_id, card = await overview(bot, LENE)
    assert "Delt forberedelse: 0/2" in text_of(card)
    rule = card["refresh"]
    assert rule["userIds"] == [LENE.id]  # the viewer's Teams id (MRI), and only theirs
    assert rule["action"]["type"] == "Action.Execute"

    await answer_all_and_share(bot)
    posted = len(stub.posted())
    response = await bot.post(refresh(bot, rule["action"], user=LENE, reply_to=card_id))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    fresh = body["value"]
    assert "Delt forberedelse: 1/2" in text_of(fresh)
    assert fresh["refresh"] == rule  # and it keeps refreshing
    assert len(stub.posted()) == posted  # answered in the invoke, nothing new in the chat


async def test_a_change_updates_the_last_overview_card_in_place(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await _start_round(bot)
    card_id, _ = await overview(bot, LENE)
    overviews_before = sum("Delt forberedelse" in text_of(c.card or {}) for c in stub.posted())
    await answer_all_and_share(bot)
    # Anna's share changed Lene's figures: her overview card was rewritten, not posted anew.
    shown = dict(stub.shown(f"a:dm-{LENE.id}"))
    assert "Delt forberedelse: 1/2" in text_of(shown[card_id])
    assert any(c.activity_id == card_id for c in stub.updated(f"a:dm-{LENE.id}"))
    overviews_after = sum("Delt forberedelse" in text_of(c.card or {}) for c in stub.posted())
    assert overviews_after == overviews_before


async def test_nobody_else_can_refresh_the_leaders_overview(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await _start_round(bot)
    card_id, card = await overview(bot, LENE)
    action = card["refresh"]["action"]
    await answer_all_and_share(bot)
    anna_before = len(stub.posted(f"a:dm-{ANNA.id}"))

    # Anna (or Bo) sending Lene's refresh - a userId the card was not for - gets no card.
    for intruder in (ANNA, BO):
        response = await bot.post(refresh(bot, action, user=intruder, reply_to=card_id))
        assert response.status == 200
        body = await response.json()
        assert body["type"] != "application/vnd.microsoft.card.adaptive"
        assert "Delt forberedelse" not in json.dumps(body, ensure_ascii=False)
    assert len(stub.posted(f"a:dm-{ANNA.id}")) == anna_before

    # A refresh of Anna's own overview shows Anna's view, never the leader's figures.
    _, own = await overview(bot, ANNA)
    response = await bot.post(refresh(bot, own["refresh"]["action"], user=ANNA, reply_to="x"))
    mine = text_of((await response.json())["value"])
    assert "Delt med din leder" in mine and "Delt forberedelse" not in mine


async def test_a_double_click_on_approve_says_already_approved(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await start_round(bot)
    await book_anna(bot)
    await press(bot, LENE, "booking.held")
    await press(bot, LENE, "booking.held_confirm")
    await press(bot, LENE, "plan.open")
    await press(bot, LENE, "plan.item")
    await submit(
        bot,
        LENE,
        {
            "laeringsmaal": "Styrke sprogarbejdet",
            "tiltag": "Kursus",
            "stoette": "Kollega",
            "tidsplan": "Forår 2027",
            "waits": "no",
        },
    )
    await press(bot, LENE, "plan.followup")
    await submit(bot, LENE, {"follow_up_on": "2027-03-06"})
    await press(bot, LENE, "plan.propose")
    assert "når Anna har svaret" in text_of(latest(stub, LENE)[1])

    # Lene's old "Tilføj punkt" names whom the plan waits for.
    await press(bot, LENE, "plan.item")
    assert "Planen venter på, at Anna godkender den" in text_of(latest(stub, LENE)[1])

    await press(bot, ANNA, "plan.open")
    approve_id, plan_card = next(
        (i, c) for i, c in reversed(stub.shown(chat(ANNA))) if "plan.approve" in actions(c)
    )
    data = actions(plan_card)["plan.approve"]
    for _ in range(2):  # the double click: both presses carry the same card's data
        await bot.post(bot.submit(data, reply_to=approve_id, user=ANNA))
    said = text_of(latest(stub, ANNA)[1])
    assert "Du har allerede godkendt" in said
    assert "ændret siden" not in said
