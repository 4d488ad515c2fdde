"""Issue #2's scenario: a Danish employee prepares with the BUF template across a restart.

Each phase runs in a fresh Python process on the same SQLite file, through the real
migrations, SQL store, template library and engine (the in-process adapter stands in for a
chat platform).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_phase(name: str, url: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MUSBOT_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.scenarios.buf_driver", name, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_buf_prep_survives_a_restart_and_is_shared_only_with_the_leader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'musbot.db'}"

    first = run_phase("first", url)
    assert "Siden sidste MUS · 1/9" in first["opened"]
    assert "4/9" in first["last"]  # three typed answers stored, on to question 4

    second = run_phase("second", url)  # a fresh process: nothing was in memory
    assert "Velkommen tilbage. Du er nået igennem 3 af 9 spørgsmål." in second["resumed"]
    assert "4/9" in second["resumed"]
    assert "delt med Lene Leder" in second["shared"]

    read = run_phase("read", url)
    assert "1 af 2 har delt" in read["status"]
    leader = read["leader"]
    for expected in [
        "Svar 1: planen blev fulgt",
        "Svar 2 rettet: jeg trives rigtig godt",
        "Svar 3: godt samarbejde",
    ]:
        assert expected in leader
    for n in range(4, 10):
        assert f"Svar {n}" in leader
    assert "Svar 2: jeg trives" not in leader  # the edit replaced the text
    for outsider in (
        "other_employee",
        "other_leader",
        "other_leader_status",
        "other_employee_prep",
    ):
        assert "Svar 1" not in read[outsider] and "Anna" not in read[outsider], outsider
    assert "adgang" in read["other_employee"] and "adgang" in read["other_leader"]
