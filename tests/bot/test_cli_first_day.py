"""The command line as a first-time user meets it: help, version, and one-line errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MUSBOT_PUBLIC_URL",
        "MUSBOT_DATABASE_URL",
        "MUSBOT_PORT",
        "MUSBOT_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("musbot")]
    assert len(lines) == 1, err
    return lines[0]


def test_musbot_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: musbot" in out
    for command in ("run", "demo", "db", "templates", "data", "manifest"):
        assert command in out


def test_a_missing_subcommand_shows_that_commands_help_without_internal_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, expect in ((["db"], "upgrade"), (["templates"], "list"), (["data"], "backup")):
        assert main(argv) == 2
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert expect in text
        assert "_command" not in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("musbot ")


def test_run_help_lists_every_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.config import Settings
    from bot.settings_doc import env_name

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for name, field in Settings.model_fields.items():
        assert env_name(name, field) in out, name


def test_unsupported_database_url_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUSBOT_DATABASE_URL", "mysql://root:secret@db/mus")
    assert main(["run"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "MUSBOT_DATABASE_URL" in line and "mysql" in line and "secret" not in line


def test_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MUSBOT_DATABASE_URL", f"postgresql://mus:secret@127.0.0.1:{port}/mus")
    assert main(["db", "upgrade"]) == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "cannot reach the database" in line and "secret" not in line


def test_port_in_use_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("MUSBOT_PORT", str(port))
        assert main(["run"]) == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "MUSBOT_PORT" in line and str(port) in line


def test_db_upgrade_on_a_new_file_says_it_created_the_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "created the database schema" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "already at the current schema" in capsys.readouterr().out


def test_templates_list_says_what_answers_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "list"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "answers (answer boxes" in header


def test_unknown_lang_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["templates", "show", "toender", "--lang", "fr"])
    assert exit_.value.code == 2
    assert "--lang" in capsys.readouterr().err


def test_env_example_lists_every_setting_and_is_current() -> None:
    from bot.settings_doc import render_env_example, undocumented

    assert undocumented() == [], "describe the new setting in bot/settings_doc.py"
    example = Path(__file__).resolve().parents[2] / ".env.example"
    assert example.read_text(encoding="utf-8") == render_env_example(), (
        "regenerate: python -m bot.settings_doc > .env.example"
    )


def test_demo_links_need_the_passphrase_and_act_as_one_person(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MUSBOT_WEB_CHAT_PASSPHRASE", raising=False)
    assert main(["demo", "--links"]) == 1
    assert "MUSBOT_WEB_CHAT_PASSPHRASE" in _one_line_error(capsys.readouterr().err)
    monkeypatch.setenv("MUSBOT_WEB_CHAT_PASSPHRASE", "solsikke-2026")
    monkeypatch.setenv("MUSBOT_PUBLIC_URL", "https://demo.example.org")
    assert main(["demo", "--links"]) == 0
    out = capsys.readouterr().out
    assert "Anna Jensen: https://demo.example.org/?key=anna." in out
    assert "solsikke-2026" not in out
