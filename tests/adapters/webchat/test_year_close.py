"""Issue #12 in the web chat: after the summary meeting the team's action plan, `mus afslut`
with its confirmation, the anonymous evaluation, and next year's start; nothing in the page
changed for it (neutral messages and forms)."""

from __future__ import annotations

from tests.adapters.webchat.conftest import PANE, ROUND, Chat, button, start_round


async def test_the_year_closes_in_the_web_chat(web_chat: Chat) -> None:
    c = web_chat
    anna, _ = await c.stream("anna")
    lene = await start_round(c)
    await c.say("lene", "mus opsamling")
    overview = await lene.message("summary.announce")
    await c.press("lene", button(overview, "summary.announce"), entry=overview)
    called = await lene.message("summary.follow_up")
    await c.press("lene", button(called, "summary.follow_up"), entry=called)

    # -- Skema 5: one agreement, two owners
    await c.say("lene", "mus handleplan")
    plan = await lene.message("action.add")
    await c.press("lene", button(plan, "action.add"), entry=plan)
    form = (await lene.next("form"))["form"]
    assert [i["kind"] for i in form["inputs"]] == ["text", "date", "people", "text"]
    await c.submit(
        "lene",
        form,
        {
            "what": "Fælles sprogdag",
            "due_on": "2027-02-15",
            "owners": ["anna", "mads"],
            "follow_up": "Personalemøde",
        },
    )
    await lene.next("form_closed")
    await lene.message("Aftalen er gemt")

    # -- close: asked first, then closed; Anna is invited to the evaluation
    await c.say("lene", "mus afslut")
    asked = await lene.message("Afslut MUS-runden")
    await c.press("lene", button(asked, "summary.close"), entry=asked)
    await lene.message("er afsluttet")
    invitation = await anna.message("evaluation.open")
    await c.press("anna", button(invitation, "evaluation.open"), entry=invitation)
    evaluation = (await anna.next("form"))["form"]
    await c.submit(
        "anna",
        evaluation,
        {
            "prep_useful": "4",
            "time_enough": "3",
            "conversation_useful": "5",
            "plan_followed": "4",
            "comment": "",
        },
    )
    await anna.message("uden forbindelse til dig")

    # -- next year: the channel can start again
    c.clock.advance(days=330)
    await c.say("lene", "mus start", pane=PANE)
    form = (await lene.next("form"))["form"]
    await c.submit(
        "lene",
        form,
        {
            **ROUND,
            "kickoff_at": "",
            "prep_deadline": "2027-10-29",
            "conversations_from": "2027-11-01",
            "conversations_to": "2027-11-26",
        },
    )
    await lene.next("form_closed")
