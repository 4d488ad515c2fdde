"""One phase of the BUF scenario, run as its own process (`python -m tests.scenarios.buf_driver`).

Each phase builds the real services (migrations, SQL store, template library, engine) on the
given SQLite file, acts, and prints what the people saw as JSON. Two phases in two processes
show that nothing of a half-done preparation lives in memory.
"""

from __future__ import annotations

import asyncio
import json
import sys

from adapters.inproc import Harness
from adapters.inproc.harness import message_text
from bot.config import load_settings
from bot.services import build_services

ROUND = {
    "channel": "C1",
    "members": (),
    "template": "kk-buf",
    "kerneopgave": "Trygge rammer for børns leg og læring.",
    "udviklingsmaal": "Sprogarbejde i alle grupper.",
    "prep_deadline": "4.12.2026",
    "conversations_from": "7.12.2026",
    "conversations_to": "18.12.2026",
}


def directory(h: Harness) -> None:
    h.add_user("UL", name="Lene Leder", admin=True)
    h.add_user("U1", name="Anna Andersen")
    h.add_user("U2", name="Bo Berg")
    h.add_user("UX", name="Xenia Anden-Leder", admin=True)
    h.add_user("U9", name="Niels Nabo")
    h.add_channel("C1", members=["UL", "U1", "U2"])
    h.add_channel("C2", members=["UX", "U9"])


async def phase(name: str, url: str) -> dict[str, object]:
    services = await build_services(settings=load_settings(database_url=url))
    h = Harness(handler=services.engine)
    directory(h)
    out: dict[str, object] = {}
    try:
        if name == "first":
            form = (await h.command("UL", "start", channel="C1")).form
            assert not (await h.submit("UL", form, ROUND)).errors  # type: ignore[arg-type]
            other = (await h.command("UX", "start", channel="C2")).form
            await h.submit("UX", other, {**ROUND, "channel": "C2"})  # type: ignore[arg-type]
            opened = await h.press("U1", h.dms("U1")[0].buttons[0])
            out["opened"] = opened.text
            for answer in (
                "Svar 1: planen blev fulgt",
                "Svar 2: jeg trives",
                "Svar 3: godt samarbejde",
            ):
                out["last"] = (await h.say("U1", answer)).text
        elif name == "second":
            resumed = await h.command("U1", "forbered")
            out["resumed"] = resumed.text
            seen = resumed
            for n in range(4, 10):
                seen = await h.say("U1", f"Svar {n}")
            pick = (await h.press("U1", seen.button("prep.pick"))).form
            shown = await h.submit("U1", pick, {"step": "trivsel-arbejde"})
            edit = (await h.press("U1", shown.button("prep.answer"))).form
            review = await h.submit("U1", edit, {"answer": "Svar 2 rettet: jeg trives rigtig godt"})
            shared = await h.press("U1", review.button("prep.share"))
            out["shared"] = shared.text
        elif name == "read":
            status = await h.command("UL", "status")
            out["status"] = status.text
            card = await h.press("UL", status.button("status.member", label="Anna"))
            view = card.button("prep.view")
            out["leader"] = (await h.press("UL", view)).text
            out["other_employee"] = (await h.press("U2", view)).text
            out["other_leader"] = (await h.press("UX", view)).text
            out["other_leader_status"] = (await h.command("UX", "status")).text
            out["other_employee_prep"] = (await h.command("U2", "forbered")).text
            out["notices"] = [message_text(m) for m in h.dms("UL")]
    finally:
        await services.close()
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(phase(sys.argv[1], sys.argv[2])), ensure_ascii=False))
