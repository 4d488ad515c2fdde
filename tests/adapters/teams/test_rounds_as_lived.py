"""Issue #15 in Teams, asserted on what the stand-in connector received: a mention typed in an
answer shows the person's name, a double click on "Godkend" is recognised as one, and the
overview card refreshes itself (Adaptive Card Universal Actions `refresh`) for its viewer only."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.teams.harness import ANNA, BO, Bot
from tests.adapters.teams.test_private_dialog import dialog_fetch
from tests.adapters.teams.test_scenario import (  # noqa: F401 - `teams` is a fixture
    LENE,
    _start_round,
    actions,
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


async def answer(bot: Bot, text: str, *, entities: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
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
        bot, "Jeg vil gerne tale med <at>Lene</at> om det", entities=[mention(LENE, "Lene")]
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
