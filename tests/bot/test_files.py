"""Download links: MUSBOT_PUBLIC_URL, the `/files/...` route on the one server, and purging."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.inproc import ManualClock
from bot.adapters import enable_adapters
from bot.config import ConfigError, load_settings
from bot.files import LINK_TTL, FileLinks, add_file_routes, file_url
from bot.server import build_app
from bot.services import build_services
from conversations.messages import Attachment
from storage.db import SqlStore
from storage.files import DOWNLOAD, SqlFileRepo, token_digest

PLAN = Attachment(
    filename="udviklingsplan æøå.txt",
    content=b"Udviklingsplan for Anna\n",
    mime_type="text/plain; charset=utf-8",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MUSBOT_PUBLIC_URL",
        "MUSBOT_WEB_CHAT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED", "true")
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://mus.example.org/", "https://mus.example.org"),
        ("https://example.org/mus", "https://example.org/mus"),
        ("http://localhost:3978", "http://localhost:3978"),
        ("", None),
    ],
)
def test_public_url_is_a_base_url(given: str, kept: str | None) -> None:
    assert load_settings(public_url=given).public_url == kept


@pytest.mark.parametrize("bad", ["http://mus.example.org", "mus.example.org", "https://x/?a=1"])
def test_a_public_url_that_cannot_work_names_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match="MUSBOT_PUBLIC_URL"):
        load_settings(public_url=bad)


def test_file_url_quotes_the_name() -> None:
    url = file_url(public_url="https://mus.example.org/", token="abc_-1", filename="a b/æ.txt")
    assert url == "https://mus.example.org/files/abc_-1/a%20b%2F%C3%A6.txt"


async def test_teams_with_a_public_url_serves_download_links(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSBOT_PUBLIC_URL", "https://mus.example.org")
    services = await build_services(settings=load_settings())
    await enable_adapters(services=services)
    async with TestClient(TestServer(build_app(services=services))) as client:
        links = services.ports["teams"].files  # type: ignore[attr-defined]
        assert isinstance(links, FileLinks) and links.ttl == LINK_TTL <= timedelta(days=3)
        url = await links(attachment=PLAN, owner_user_id="aad-anna")
        assert url.startswith("https://mus.example.org/files/")
        path = urlsplit(url).path
        response = await client.get(path)
        assert response.status == 200
        assert await response.read() == PLAN.content
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="udviklingsplan ___.txt"; '
            "filename*=UTF-8''udviklingsplan%20%C3%A6%C3%B8%C3%A5.txt"
        )
        assert response.headers["Cache-Control"] == "private, no-store"
        token = path.split("/")[2]
        missing = await client.get(f"/files/{token[:-1]}/udviklingsplan.txt")
        assert missing.status == 404
        assert missing.headers["Cache-Control"] == "private, no-store"
    await services.close()


async def test_teams_without_a_public_url_warns_and_serves_no_files(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = await build_services(settings=load_settings())
    with caplog.at_level(logging.WARNING, logger="musbot"):
        await enable_adapters(services=services)
    assert "MUSBOT_PUBLIC_URL is not set" in caplog.text
    async with TestClient(TestServer(build_app(services=services))) as client:
        assert services.ports["teams"].files is None  # type: ignore[attr-defined]
        assert (await client.get("/files/x/y.ics")).status == 404
    await services.close()


async def test_expired_files_are_purged_now_and_then(sqlite_store: SqlStore) -> None:
    clock = ManualClock()
    repo = SqlFileRepo(store=sqlite_store)
    links = FileLinks(repo=repo, clock=clock, public_url="https://mus.example.org")
    first = await links(attachment=PLAN, owner_user_id=None)
    token = urlsplit(first).path.split("/")[2]
    clock.advance(seconds=(LINK_TTL + timedelta(days=1)).total_seconds())
    assert await repo.get(token=token, now=clock.now() - timedelta(days=2)) is not None
    await links(attachment=PLAN, owner_user_id=None)  # purges on the way
    assert await repo.get(token=token, now=clock.now() - timedelta(days=2)) is None
    assert await repo.purge(before=clock.now()) == 0


async def test_each_download_is_audited_and_a_wrong_or_expired_link_gets_nothing(
    sqlite_store: SqlStore,
) -> None:
    """The link is a capability (a browser carries no Teams identity): made for one person,
    short-lived, unguessable, and every file that leaves is an audit row about that person."""
    async with sqlite_store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="teams", external_id="tenant")
        anna = await tx.people.upsert(workspace_id=ws.id, user_id="aad-anna")
    clock = ManualClock()
    repo = SqlFileRepo(store=sqlite_store)
    links = FileLinks(repo=repo, clock=clock, public_url="https://mus.example.org")
    app = web.Application()
    add_file_routes(app=app, repo=repo, clock=clock)

    async def audit() -> list[tuple[str, str, int | None, str | None]]:
        async with sqlite_store.transaction() as tx:
            return [(e.action, e.subject, e.actor_id, e.detail) for e in await tx.audit.entries()]

    async with TestClient(TestServer(app)) as client:
        path = urlsplit(await links(attachment=PLAN, owner_user_id="aad-anna")).path
        _, _, token, name = path.split("/")
        for wrong in (
            f"/files/{token[:-1]}x/{name}",  # a guessed or altered token
            f"/files/{token}/other.txt",  # the right token, another name
            f"/files/{'A' * len(token)}/{name}",
        ):
            got = await client.get(wrong)
            assert got.status == 404 and PLAN.content not in await got.read()
        assert await audit() == []  # nothing was read, so nothing about Anna is logged

        got = await client.get(path)
        assert got.status == 200 and await got.read() == PLAN.content
        assert got.headers["Referrer-Policy"] == "no-referrer"
        row = (DOWNLOAD, f"file:{token_digest(token)}/person:{anna.id}", None, "text/plain")
        assert await audit() == [row]
        assert token not in str(await audit())  # the log does not hand the link on
        await client.get(path)
        assert await audit() == [row, row]  # each download, not only the first

        clock.advance(seconds=LINK_TTL.total_seconds())
        expired = await client.get(path)
        assert expired.status == 404 and PLAN.content not in await expired.read()
        assert len(await audit()) == 2
