"""Issue #15 in Teams: a kickoff the channel refuses (the app was removed from the team) is not
reported as sent; Lene's 1:1 chat says so and offers "Send opstartsbeskeden igen", which posts
it once the app is back. Asserted on what the stand-in connector received."""

from __future__ import annotations

from tests.adapters.teams.harness import ANNA, TEAM_ID, Bot
from tests.adapters.teams.test_scenario import LENE, actions, chat, latest, teams, text_of  # noqa: F401
from tests.support.stub_connector import StubConnector

RESEND = "round.kickoff.resend"
VALUES = {
    "channel": TEAM_ID,
    "members": "",
    "template": "kk-buf",
    "kerneopgave": "Vi skaber trygge rammer for børns læring.",
    "udviklingsmaal": "Mere samarbejde på tværs.",
    "kickoff_at__date": "",
    "kickoff_at__time": "",
    "prep_deadline": "2026-12-04",
    "conversations_from": "2026-12-07",
    "conversations_to": "2026-12-18",
    "summary_at__date": "",
    "summary_at__time": "",
}


def _lene_sees(stub: StubConnector) -> str:
    return "\n".join(text_of(card) for _, card in stub.shown(chat(LENE)))


async def test_a_refused_kickoff_is_told_truthfully_and_can_be_sent_again(
    teams: Bot,  # noqa: F811
) -> None:
    bot, stub = teams, teams.stub
    await bot.post(bot.team_install(user=LENE))
    posted_before = len([c for c in stub.posted(TEAM_ID) if c.status < 300])
    await bot.post(bot.message("mus start", user=LENE))
    form_id, form = latest(stub, LENE)
    (submit,) = actions(form).values()
    stub.fail(403, method="POST", path_contains=TEAM_ID)  # the channel post is refused
    await bot.post(bot.submit({**submit, **VALUES}, reply_to=form_id, user=LENE))

    seen = _lene_sees(stub)
    assert "Opstartsbeskeden kom ikke frem til" in seen
    assert "Kanalen har fået opstartsbeskeden" not in seen
    assert latest(stub, ANNA), "Anna still got her invitation"
    told = next(card for _, card in reversed(stub.shown(chat(LENE))) if RESEND in actions(card))
    assert RESEND in actions(told)
    titles = [a["title"] for a in told["actions"] if a.get("data") == actions(told)[RESEND]]
    assert titles == ["Send opstartsbeskeden igen"]

    response = await bot.post(bot.submit(actions(told)[RESEND], reply_to="x", user=LENE))
    assert response.status == 202
    kickoffs = [c for c in stub.posted(TEAM_ID) if c.status < 300][posted_before:]
    assert len(kickoffs) == 1 and "Vi skaber trygge rammer" in text_of(kickoffs[0].card or {})
    assert "Opstartsbeskeden er sendt til" in text_of(latest(stub, LENE)[1])
