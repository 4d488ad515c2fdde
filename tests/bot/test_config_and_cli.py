"""Settings, the command line, and the one server's health endpoint and routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.server import build_app
from bot.services import build_services


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MUSBOT_PUBLIC_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env, and the default SQLite file lands here


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///musbot.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.web_chat_enabled and not settings.slack_enabled


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is missing"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"MUSBOT_PORT": "abc"}, "MUSBOT_PORT"),
        ({"MUSBOT_PORT": "70000"}, "MUSBOT_PORT"),
        ({"MUSBOT_LOG_LEVEL": "LOUD"}, "MUSBOT_LOG_LEVEL"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID is missing"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MUSBOT_PORT=4000\nMUSBOT_LEADERS=U1, U2\n")
    settings = load_settings()
    assert settings.port == 4000 and settings.leaders == ["U1", "U2"]


def test_cli_refuses_half_slack_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["run"]) == 2
    assert "SLACK_SIGNING_SECRET is missing" in capsys.readouterr().err


def test_templates_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert names == ["generic", "kk-buf", "randers", "toender"]
    assert main(["templates", "show", "toender"]) == 0
    shown = capsys.readouterr().out
    for skema in ("Skema 1", "Skema 2", "Skema 3"):
        assert skema in shown
    assert main(["templates", "show", "nope"]) == 1
    assert "available" in capsys.readouterr().err


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "musbot.db").exists()


async def test_healthz_and_slack_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    services = await build_services(settings=load_settings())
    from bot.adapters import enable_adapters

    await enable_adapters(services=services)
    async with TestClient(TestServer(build_app(services=services))) as client:
        health = await client.get("/healthz")
        assert health.status == 200
        assert (await health.json())["adapters"] == ["slack"]
        ready = await client.get("/readyz")  # the stand-in API at :9 does not answer
        assert ready.status == 503
        assert "Slack API unreachable" in (await ready.json())["checks"]["slack"]
        forged = await client.post("/slack/events", data="command=/mus")
        assert forged.status == 401
        # A database that stops answering (here: the file is no longer a database).
        await services.store.close()
        for path in Path.cwd().glob("musbot.db*"):
            path.write_bytes(b"this is not a database" * 100)
        alive = await client.get("/healthz")  # alive: the process answers
        assert alive.status == 200
        broken = await client.get("/readyz")  # not ready: the database does not answer
        assert broken.status == 503
        body = await broken.json()
        assert body["status"] == "not ready" and body["checks"]["database"] == "unreachable"


def test_manifest_teams_writes_the_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    out = tmp_path / "pkg"
    assert (
        main(
            [
                "manifest",
                "teams",
                "--app-id",
                "11111111-2222-3333-4444-555555555555",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    [package] = out.glob("*.zip")
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "en-us.json",
            "manifest.json",
            "outline.png",
        ]
        assert "11111111-2222-3333-4444-555555555555" in archive.read("manifest.json").decode()
    assert main(["manifest", "teams", "--app-id", "not-a-guid", "--out", str(out)]) == 1
    assert "not valid" in capsys.readouterr().err


async def test_teams_refuses_unauthenticated_mode_unless_switched_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.teams.server import TeamsConfigError
    from bot.adapters import enable_adapters

    monkeypatch.setenv("MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED", "true")
    services = await build_services(settings=load_settings())
    await enable_adapters(services=services)
    async with TestClient(TestServer(build_app(services=services))) as client:
        assert (await (await client.get("/healthz")).json())["adapters"] == ["teams"]
        assert "teams" in services.ports
    await services.close()
    monkeypatch.setenv("MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED", "false")
    monkeypatch.setenv("MICROSOFT_APP_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    services = await build_services(settings=load_settings())
    await enable_adapters(services=services)
    async with TestClient(TestServer(build_app(services=services))) as client:
        unsigned = await client.post("/api/messages", json={"type": "message", "text": "mus start"})
        assert unsigned.status == 401
    await services.close()
    monkeypatch.delenv("MICROSOFT_APP_PASSWORD")
    services = await build_services(settings=load_settings())
    with pytest.raises(ConfigError, match="MICROSOFT_APP_PASSWORD"):
        await enable_adapters(services=services)
    await services.close()
    assert TeamsConfigError


async def test_data_purge_lists_then_deletes_old_rounds_with_everything_in_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio
    from datetime import date

    from adapters.inproc import Harness
    from tests.conversations.flows.conftest import VALID_ROUND

    services = await build_services(settings=load_settings())
    h = Harness(handler=services.engine)
    h.add_user("UL", name="Lene", admin=True)
    h.add_user("U1", name="Anna")
    h.add_channel("C1", members=["UL", "U1"])
    form = (await h.command("UL", "start", channel="C1")).form
    await h.submit("UL", form, VALID_ROUND)  # conversations end 18.12.2026
    seen = await h.press("U1", h.dms("U1")[0].buttons[0])
    await h.say("U1", "Et svar, der skal slettes")
    await services.close()

    assert await asyncio.to_thread(main, ["data", "purge", "--before", "18.12.2026"]) == 0
    assert "no rounds ended before" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["data", "purge", "--before", "2027-01-01"]) == 0
    assert "would be deleted; add --yes" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["data", "purge", "--before", "2027-01-01", "--yes"]) == 0
    assert (
        "still running" in capsys.readouterr().out
    )  # kept: a running round needs a yes of its own
    argv = ["data", "purge", "--before", "2027-01-01", "--yes", "--include-running"]
    assert await asyncio.to_thread(main, argv) == 0
    assert "deleted 1 round(s)" in capsys.readouterr().out
    services = await build_services(settings=load_settings())
    async with services.store.transaction() as tx:
        assert await tx.rounds.ended_before(day=date(2030, 1, 1)) == []
        actions = [e.action for e in await tx.audit.entries(subject_prefix="round:")]
        assert "round.purge" in actions
    from sqlalchemy import text

    async with services.store.engine.connect() as conn:
        for table in ("prep_answers", "prep_sessions", "reminders", "round_people"):
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0, table
    await services.close()
    assert seen is not None
