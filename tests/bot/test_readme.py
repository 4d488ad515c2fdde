"""The README's two first commands are what a new user and CI actually run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.+)\n```", readme, flags=re.MULTILINE)[:2]


def test_the_readme_opens_with_install_and_run_then_install_and_test() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    first, second = _commands()
    assert head.index(first) < head.index(second)  # both before any section
    for command in (first, second):
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
        assert "-c constraints.txt" in command
    assert first.endswith("&& musbot run")
    assert second.endswith("&& python -m pytest")
    assert "MUSBOT_PORT=" in head  # how to use another port


def test_ci_runs_the_readmes_test_command_exactly_and_follows_the_first() -> None:
    _, second = _commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"\n{second} || status=$?\n" in ci
    assert "\n.ci/readme-smoke.sh\n" in ci and "\nhadolint Dockerfile\n" in ci
    smoke = (ROOT / ".ci" / "readme-smoke.sh").read_text(encoding="utf-8")
    assert "/readyz" in smoke and "README.md" in smoke
