"""Seed people who are in the middle of their MUS preparation, through the real engine.

Each team: a leader starts a round in the team's channel with the kk-buf template, and every
member presses "start" in the DM the kickoff sent: they are then at question 1, which is what
the interaction benchmark answers. This goes through `Engine` (not HTTP): seeding is not
measured, and the people are stored exactly as Slack's would be (platform "slack", the
stand-in's team id).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from adapters.inproc import Harness, ManualClock
from adapters.inproc.port import InProcPort
from bench.standin import TEAM_ID
from conversations.engine import Engine
from conversations.templates.library import TemplateLibrary
from storage.db import create_store

TEMPLATE = "kk-buf"


def round_values(*, channel: str, today: date) -> dict[str, str]:
    return {
        "channel": channel,
        "template": TEMPLATE,
        "kerneopgave": "Borgerservice",
        "udviklingsmaal": "Digitalisering",
        "prep_deadline": (today + timedelta(days=14)).isoformat(),
        "conversations_from": (today + timedelta(days=15)).isoformat(),
        "conversations_to": (today + timedelta(days=30)).isoformat(),
    }


async def seed_prep(
    *, url: str, teams: int, team_size: int, prefix: str = "", platform: str = "slack"
) -> list[str]:
    """`teams` rounds of `team_size` members each, all at question 1; their user ids.

    `platform` "teams" stores them as a Teams tenant's (the tenant id is the same TEAM_ID)."""
    store = await create_store(url=url, migrate=True)
    now = datetime.now(UTC)
    engine = Engine(store=store, templates=TemplateLibrary(), clock=ManualClock(now))
    h = Harness(handler=engine, workspace=TEAM_ID, port=InProcPort(platform=platform))
    members: list[str] = []
    try:
        for t in range(teams):
            leader = f"UL{prefix}{t}"
            ids = [f"U{prefix}{t}X{m}" for m in range(team_size)]
            h.add_user(leader, name=f"Leder {t}", admin=True)
            for user in ids:
                h.add_user(user, name=f"Medarbejder {user}")
            channel = f"C{prefix}{t}"
            h.add_channel(channel, members=[leader, *ids])
            form = (await h.command(leader, "start", channel=channel)).form
            await h.submit(leader, form, round_values(channel=channel, today=now.date()))
            for user in ids:
                await h.press(user, h.dms(user)[0].buttons[0])
            members += ids
    finally:
        await store.close()
    return members


def steps_per_person() -> int:
    """How many typed answers one person can give before the overview (kk-buf's questions)."""
    return len(TemplateLibrary().get(name=TEMPLATE).steps())
