"""Issue #13 in Teams: the leader reads shared prep in a dialog (task module), not in the chat.

The notice in the leader's 1:1 chat names the employee only; its button opens a dialog
(`task/fetch`) whose card is returned in the HTTP answer to the invoke, so Teams keeps no
copy of the answers in the chat's history. Nothing the stub connector received as a chat
message to the leader carries an answer.
"""

from __future__ import annotations

from typing import Any

from tests.adapters.teams.harness import ANNA, BO, Bot
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

SECRET = "HEMMELIGT-SVAR-42"


def dialog_fetch(bot: Bot, data: dict[str, Any], *, user: Any, reply_to: str) -> dict[str, Any]:
    """What Teams sends when an Action.Submit with msteams.type task/fetch is pressed."""
    return bot.base(
        user=user,
        conversation=bot.personal(user),
        type="invoke",
        name="task/fetch",
        value={"type": "task/fetch", "data": data, "context": {"theme": "default"}},
        replyToId=reply_to,
    )


async def test_the_leader_reads_shared_prep_in_a_dialog(teams: Bot) -> None:  # noqa: F811
    bot, stub = teams, teams.stub
    await _start_round(bot)
    _, invite = latest(stub, ANNA)
    await press(bot, ANNA, next(iter(actions(invite))))
    for n in range(30):
        _, card = latest(stub, ANNA)
        if "prep.share" in actions(card):
            break
        await bot.post(bot.message(f"{SECRET} {n}", user=ANNA))
    await press(bot, ANNA, "prep.share")

    notice_id, notice = latest(stub, LENE)
    assert "Anna" in text_of(notice) and SECRET not in text_of(notice)
    view = actions(notice)["prep.view"]
    assert view["msteams"] == {"type": "task/fetch"}  # the button opens a dialog

    posted_before = len(stub.posted(chat(LENE)))
    response = await bot.post(dialog_fetch(bot, view, user=LENE, reply_to=notice_id))
    assert response.status == 200
    task = (await response.json())["task"]
    assert task["type"] == "continue"
    assert SECRET in text_of(task["value"]["card"]["content"])
    # Nothing new in Lene's chat, and no chat message to her ever carried an answer.
    assert len(stub.posted(chat(LENE))) == posted_before
    assert all(SECRET not in text_of(c.card) for c in stub.posted(chat(LENE)) if c.card)

    # Bo, with Lene's button data, gets a dialog that shows nothing of Anna's.
    refused = await bot.post(dialog_fetch(bot, view, user=BO, reply_to=notice_id))
    body = await refused.json()
    assert SECRET not in str(body)
