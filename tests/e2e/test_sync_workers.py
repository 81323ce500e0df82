"""The background sync across processes, on real windows: resumable after SIGKILL, polite beside
interactive use, one per login (subprocess workers cannot share a fake clock: these prove the
real wiring, and are marked slow)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW

pytestmark = pytest.mark.loopback

ROOT = Path(__file__).resolve().parents[2]


def start_worker(server: DemoServer, cache: str, since: str, until: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.sync_worker", server.url, cache, str(WINDOW), since, until],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def read_until(proc: subprocess.Popen[str], count: int, timeout: float = 60) -> list[str]:
    """Read lines until ``count`` 'fetched' lines (or the end); bounded in time."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if sum(x.startswith("fetched") for x in lines) >= count:
            break
    return lines


@pytest.mark.realtime  # sync workers in subprocesses
@pytest.mark.slow
def test_a_sync_killed_with_sigkill_resumes_without_asking_twice(server: DemoServer, cache_dir: Path) -> None:
    periods = 8  # 2024-01-01 .. 2024-01-08, by day
    first = start_worker(server, str(cache_dir), "2024-01-01", "2024-01-08")
    seen = read_until(first, 3)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    fetched_before = sum(x.startswith("fetched") for x in seen)
    assert 3 <= fetched_before < periods
    assert seen[0] == "fetched 2024-01-08"  # newest first
    second = start_worker(server, str(cache_dir), "2024-01-01", "2024-01-08")
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    lines = out.split("\n")
    assert f"cached 2024-01-{periods - fetched_before + 1:02d}" in lines  # what the first run got is kept
    assert lines[-2].startswith("done ")
    assert periods <= server.stat_requests <= periods + 1  # at most the request in flight again
    assert server.errors[9] == 0
