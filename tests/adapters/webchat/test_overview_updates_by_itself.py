"""Issue #15: the web chat's overview follows what happens, over its server-sent event stream,
without the leader pressing "Opdater overblik"."""

from __future__ import annotations

import json

from tests.adapters.webchat.conftest import Chat, start_round
from tests.adapters.webchat.test_whole_round import share_prep


async def test_the_leaders_overview_updates_when_an_employee_shares(web_chat: Chat) -> None:
    anna, _ = await web_chat.stream("anna")
    lene = await start_round(web_chat)
    await share_prep(web_chat, anna)
    while True:  # the next overview pushed to Lene, unasked
        home = await lene.next("home")
        shown = json.dumps(home, ensure_ascii=False)
        if "Delt forberedelse" in shown:
            break
    assert "1/" in shown
