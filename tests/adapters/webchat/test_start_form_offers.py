"""Issue #15, texts: the start form in the web chat does not offer the leader as a member of
their own round, and a Danish form lists Danish templates before the English one."""

from __future__ import annotations

from tests.adapters.webchat.conftest import PANE, Chat


async def test_the_start_form_offers_the_right_people_and_templates_first(web_chat: Chat) -> None:
    stream, _ = await web_chat.stream("lene")
    await web_chat.say("lene", "mus start", pane=PANE)
    form = (await stream.next("form"))["form"]
    inputs = {i["id"]: i for i in form["inputs"]}
    offered = [o["value"] for o in inputs["members"]["options"]]
    assert offered and "lene" not in offered
    templates = [o["value"] for o in inputs["template"]["options"]]
    assert templates[0] != "generic" and templates[-1] == "generic"
    assert inputs["template"]["initial"] == "kk-buf"
