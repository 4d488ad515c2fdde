"""What every benchmark shares: the machine, statistics, result files, server processes.

Figures are always ratios against a baseline measured in the same run, interleaved with it
(baseline, ours, baseline, ours, ...), so a noisy neighbour on a shared machine hits both.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def machine() -> dict[str, Any]:
    """Where the figures were measured: they mean little without it."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": os.getloadavg(),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def summary(values: Iterable[float]) -> dict[str, float]:
    """Median and spread (min, max) over repetitions."""
    data = [v for v in values if v == v]  # drop NaN
    if not data:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {
        "median": statistics.median(data),
        "min": min(data),
        "max": max(data),
        "n": len(data),
    }


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("nan")


def write_result(name: str, payload: Mapping[str, Any]) -> Path:
    """bench/results/NAME.json with the machine and the date around `payload`."""
    folder = RESULTS / "tiny" if name.endswith("-tiny") else RESULTS  # tiny: not kept
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    document = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "commit": _commit(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def _commit() -> str:
    """The code measured: the checkout's commit (or MUSBOT_BENCH_COMMIT for a copy)."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        found = None
    if found is not None and found.returncode == 0:
        return found.stdout.strip()
    return os.environ.get("MUSBOT_BENCH_COMMIT", "unknown")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- a process under test


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (from /proc: Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, as /proc lists them now."""
    found = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE / 1e6


@dataclass
class Server:
    """A server in its own process, so its CPU and memory are its own."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path  # its stderr (a file: a pipe nobody reads fills up and stops the server)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        """CPU seconds of the server and its worker processes (`MUSBOT_WORKERS`)."""
        return sum(cpu_seconds(pid) for pid in _tree(self.pid))

    def rss(self) -> float:
        return rss_mb(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._report_log()

    def _report_log(self) -> None:
        """Warnings the server logged are a finding (a form over its budget, a failed post):
        say how many and keep the file; a clean log is removed."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        noted = [line for line in text.splitlines() if _NOTABLE.search(line)]
        if noted:
            print(
                f"  ({self.name} logged {len(noted)} warning/error line(s), first: "
                f"{noted[0][:160]!r}; all in {self.log})",
                file=sys.stderr,
            )
        else:
            self.log.unlink(missing_ok=True)


_NOTABLE = re.compile(r"WARNING|ERROR|CRITICAL|Traceback")


async def start_server(
    *, name: str, argv: list[str], env: Mapping[str, str], port: int, ready_path: str
) -> Server:
    """Start `argv` (cwd: the repository) and wait until `ready_path` answers.

    Its stderr goes to a file (`Server.log`), not a pipe: a server that logs a warning per
    request under load filled a pipe the driver never read, and blocked in the write."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    fd, log_name = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")
    log = Path(log_name)
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
            argv, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                err = log.read_text(errors="replace")  # noqa: ASYNC240 - it has exited
                raise RuntimeError(f"{name} exited at start ({process.returncode}):\n{err[-3000:]}")
            try:
                async with session.get(url + ready_path) as response:
                    if response.status < 500:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{name} did not start within 60 s")
            await asyncio.sleep(0.1)
    return Server(name=name, process=process, url=url, log=log)


# ---------------------------------------------------------------- databases


def postgres_admin_url() -> str | None:
    return os.environ.get("MUSBOT_TEST_POSTGRES_URL") or None


def ensure_encryption_keys() -> None:
    """PostgreSQL needs MUSBOT_ENCRYPTION_KEYS (confidential columns are encrypted): one key
    for this run, shared with the servers and workers started from here (they inherit it)."""
    if not os.environ.get("MUSBOT_ENCRYPTION_KEYS"):
        from storage.crypto import new_key

        os.environ["MUSBOT_ENCRYPTION_KEYS"] = new_key()


async def create_database(kind: str, *, tmp: Path) -> str:
    """A fresh, empty database URL of `kind` (`sqlite` or `postgresql`)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / ('bench-' + secrets.token_hex(4) + '.db')}"
    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("PostgreSQL benchmarks need MUSBOT_TEST_POSTGRES_URL")
    ensure_encryption_keys()
    import asyncpg  # type: ignore[import-untyped]

    name = "bench_" + secrets.token_hex(6)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = admin.rpartition("/")
    return f"{base}/{name}"


async def drop_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import asyncpg

    admin = postgres_admin_url()
    assert admin is not None
    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"
