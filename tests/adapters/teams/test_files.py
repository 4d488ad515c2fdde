"""Issue #4 in Teams: the calendar invite (and any file) reaches people as a download link.

The real engine on the SQL store books a conversation through Teams cards; the cards the stub
connector received carry `Action.OpenUrl` buttons whose links, fetched from the same test
server (the bot's `/files/...` route, as `musbot run` mounts it), give back the `.ics` bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from adapters.inproc import ManualClock
from adapters.teams.refs import StoreRefStore
from bot.files import LINK_TTL, FileLinks, add_file_routes
from conversations.context import CoreSettings
from conversations.engine import Engine
from conversations.events import CommandEvent, InboundEvent
from conversations.messages import Attachment, Message, Paragraph, Reply, ToActor, ToPerson
from conversations.ports import PlatformPort
from conversations.templates.library import TemplateLibrary
from storage.db import SqlStore
from storage.files import SqlFileRepo
from tests.adapters.teams.harness import ANNA, BO, TEAM_ID, TENANT, Bot, start_bot
from tests.adapters.teams.test_scenario import LENE, actions, chat, latest, text_of
from tests.support.stub_connector import Account, StubConnector


def downloads(card: dict[str, Any]) -> dict[str, str]:
    """Title -> URL of every download button on a card."""
    return {a["title"]: a["url"] for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"}


@dataclass
class Files:
    bot: Bot
    clock: ManualClock
    repo: SqlFileRepo
    store: SqlStore

    async def fetch(self, url: str) -> tuple[int, dict[str, str], bytes]:
        async with self.bot.client.session.get(url) as response:
            return response.status, dict(response.headers), await response.read()


@pytest.fixture
async def files(store: SqlStore, stub: StubConnector) -> AsyncIterator[Files]:
    stub.rosters[TEAM_ID] = [LENE, ANNA, BO, Account(id="28:x", aad="", name="Bot", role="bot")]
    clock = ManualClock()
    engine = Engine(
        store=store,
        templates=TemplateLibrary(),
        clock=clock,
        settings=CoreSettings(configured_leaders=frozenset({LENE.aad})),
    )
    repo = SqlFileRepo(store=store)
    links = FileLinks(repo=repo, clock=clock, public_url="http://unknown.invalid")
    bot = await start_bot(
        stub=stub,
        handler=engine,
        refs=StoreRefStore(store=store),
        files=links,
        mounts=[lambda app: add_file_routes(app=app, repo=repo, clock=clock)],
    )
    links.public_url = str(bot.client.make_url("/"))  # the port is known once it listens
    yield Files(bot=bot, clock=clock, repo=repo, store=store)
    await bot.client.close()


async def submit(bot: Bot, user: Account, values: dict[str, Any]) -> None:
    """Fill in and send the newest form card in the user's chat (a sent form turns read-only,
    so that is not necessarily the card changed last)."""
    form_id, data = next(
        (activity_id, data)
        for activity_id, card in reversed(bot.stub.shown(chat(user)))
        for data in actions(card).values()
        if "mus_form" in data
    )
    response = await bot.post(bot.submit({**data, **values}, reply_to=form_id, user=user))
    assert response.status == 202


async def start_round(bot: Bot) -> None:
    await bot.post(bot.team_install(user=LENE))
    await bot.post(bot.message("mus start", user=LENE))
    await submit(
        bot,
        LENE,
        {
            "channel": TEAM_ID,
            "members": "",
            "template": "kk-buf",
            "kerneopgave": "Vi skaber trygge rammer for børns læring.",
            "udviklingsmaal": "Mere samarbejde på tværs.",
            "kickoff_at__date": "2026-11-25",
            "kickoff_at__time": "09:00",
            "prep_deadline": "2026-12-04",
            "conversations_from": "2026-12-07",
            "conversations_to": "2026-12-18",
        },
    )


async def book_anna(bot: Bot) -> None:
    await bot.post(bot.message("mus book", user=LENE))
    _, pick = latest(bot.stub, LENE)
    [anna] = [
        choice["value"]
        for container in pick["body"]
        for el in container.get("items", [])
        if el.get("id") == "employee"
        for choice in el["choices"]
        if choice["title"] == "Anna"
    ]
    await submit(bot, LENE, {"employee": anna})
    await submit(
        bot,
        LENE,
        {"starts_at__date": "2026-12-08", "starts_at__time": "10:00", "minutes": "60"},
    )


async def test_booking_in_teams_gives_both_a_link_to_the_invite(files: Files) -> None:
    bot = files.bot
    await start_round(bot)
    await book_anna(bot)

    # Anna's proactive notice: the text, and a download button for the invite.
    notice = bot.stub.posted(chat(ANNA))[-1].card
    assert notice is not None
    assert "har booket din MUS-samtale" in text_of(notice)
    [(title, url)] = downloads(notice).items()
    assert title == "Hent mus-samtale.ics"
    status, headers, body = await files.fetch(url)
    assert status == 200
    assert b"BEGIN:VEVENT" in body and b"DTSTART:20261208T090000Z" in body
    assert headers["Content-Type"].startswith("text/calendar")
    assert headers["Content-Disposition"].startswith('attachment; filename="mus-samtale.ics"')
    assert headers["Cache-Control"] == "private, no-store"
    token = urlsplit(url).path.split("/")[2]
    stored = await files.repo.get(token=token, now=files.clock.now())
    assert stored is not None and stored.owner_user_id == ANNA.aad
    assert stored.expires_at - stored.created_at == LINK_TTL
    async with files.store.transaction() as tx:  # the download is in the audit log
        audit = [(e.action, e.subject, e.actor_id) for e in await tx.audit.entries()]
    assert [a for a in audit if a[0] == "file.download" and "/person:" in a[1]]

    # Lene's answer in her own chat carries its own link next to "mark as held".
    answer = bot.stub.posted(chat(LENE))[-1].card or {}
    assert "Samtalen med Anna er booket" in text_of(answer)
    assert "booking.held" in actions(answer)
    [lene_url] = downloads(answer).values()
    assert lene_url != url
    assert (await files.fetch(lene_url))[2] == body

    # Links are capabilities that run out: LINK_TTL later, 404.
    files.clock.advance(seconds=LINK_TTL.total_seconds())
    status, headers, _ = await files.fetch(url)
    assert status == 404 and headers["Cache-Control"] == "private, no-store"


async def test_unknown_or_altered_links_are_404(files: Files) -> None:
    bot = files.bot
    await start_round(bot)
    await book_anna(bot)
    [url] = downloads(bot.stub.posted(chat(ANNA))[-1].card or {}).values()
    base, token, name = url.rsplit("/", 2)
    assert (await files.fetch(f"{base}/{'x' * len(token)}/{name}"))[0] == 404
    assert (await files.fetch(f"{base}/{token}/other.ics"))[0] == 404
    assert (await files.fetch(f"{base}/{token}"))[0] == 404
    assert (await files.fetch(url))[0] == 200


# ---------------------------------------------------------------- the adapter on its own

INVITE = Attachment(
    filename="mus-samtale.ics", content=b"BEGIN:VCALENDAR", mime_type="text/calendar"
)


def _with_file(event: InboundEvent) -> Reply:
    """A file for the actor and one for Bo, in answer to a command (nothing for installs)."""
    if not isinstance(event, CommandEvent):
        return Reply()
    return Reply(
        (
            Message(to=ToActor(), text="Her", blocks=(Paragraph("Her"),), attachments=(INVITE,)),
            Message(to=ToPerson(BO.aad), text="Til Bo", attachments=(INVITE,)),
        )
    )


async def test_without_a_public_url_the_card_says_the_file_cannot_be_fetched(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return _with_file(event)

    bot.handler.respond = respond
    await bot.post(bot.personal_install(user=BO))
    await bot.post(bot.message("mus book"))
    [(_, mine)] = bot.stub.shown(chat(ANNA))
    assert "Filen kan ikke hentes her: mus-samtale.ics" in text_of(mine)
    assert not downloads(mine)
    bos = bot.stub.posted(chat(BO))[-1].card or {}
    assert "Til Bo" in text_of(bos) and "Filen kan ikke hentes her" in text_of(bos)
    assert "MUSBOT_PUBLIC_URL" in caplog.text


async def test_links_are_in_the_person_s_language(bot: Bot) -> None:
    made: list[tuple[str, str | None]] = []

    async def link(*, attachment: Attachment, owner_user_id: str | None) -> str:
        made.append((attachment.filename, owner_user_id))
        return f"https://mus.example.org/files/t{len(made)}/{attachment.filename}"

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return _with_file(event)

    bot.port.files = link
    bot.handler.respond = respond
    english = bot.message("mus book")
    english["locale"] = "en-GB"
    english["entities"] = []
    await bot.post(bot.personal_install(user=BO))  # Bo's Teams speaks Danish
    await bot.post(english)
    [(_, mine)] = bot.stub.shown(chat(ANNA))
    assert downloads(mine) == {
        "Download mus-samtale.ics": "https://mus.example.org/files/t1/mus-samtale.ics"
    }
    bos = bot.stub.posted(chat(BO))[-1].card or {}
    assert downloads(bos) == {
        "Hent mus-samtale.ics": "https://mus.example.org/files/t2/mus-samtale.ics"
    }
    assert made == [("mus-samtale.ics", ANNA.aad), ("mus-samtale.ics", BO.aad)]


async def test_a_file_that_cannot_be_stored_still_lets_the_message_through(bot: Bot) -> None:
    async def broken(*, attachment: Attachment, owner_user_id: str | None) -> str:
        raise OSError("database gone")

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return Reply(
            (Message(to=ToActor(), text="Her", blocks=(Paragraph("Her"),), attachments=(INVITE,)),)
        )

    bot.port.files = broken
    bot.handler.respond = respond
    await bot.post(bot.message("mus plan"))
    [(_, mine)] = bot.stub.shown(chat(ANNA))
    assert "Her" in text_of(mine) and "Filen kan ikke hentes her" in text_of(mine)


async def test_a_proactive_link_uses_the_stored_locale_after_a_restart(bot: Bot) -> None:
    async def link(*, attachment: Attachment, owner_user_id: str | None) -> str:
        return f"https://mus.example.org/files/t/{attachment.filename}"

    async def respond(event: InboundEvent, platform: PlatformPort) -> Reply:
        return _with_file(event)

    bot.port.files = link
    bot.handler.respond = respond
    # What an earlier process stored about Bo (his Teams speaks English); this one never saw him.
    bot.refs.data[(TENANT, f"user:{BO.aad}")] = {"teams_id": BO.id, "locale": "en-US"}
    await bot.post(bot.message("mus book"))
    bos = bot.stub.posted()[-1].card or {}
    assert "Til Bo" in text_of(bos)
    assert list(downloads(bos)) == ["Download mus-samtale.ics"]
