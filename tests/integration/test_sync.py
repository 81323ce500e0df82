"""The background sync: resumable after SIGKILL, polite beside interactive use, one per login."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import SyncLeaseError
from smsstats_nb.cli import main
from smsstats_nb.demo import DemoServer
from smsstats_nb.query import moscow_today

from ..conftest import WINDOW

ROOT = Path(__file__).resolve().parents[2]


def start_worker(server: DemoServer, cache: str, since: str, until: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.sync_worker", server.url, cache, str(WINDOW), since, until],
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
    periods = 12  # 2024-01-01 .. 2024-01-12, by day
    first = start_worker(server, str(cache_dir), "2024-01-01", "2024-01-12")
    seen = read_until(first, 5)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    fetched_before = sum(x.startswith("fetched") for x in seen)
    assert 5 <= fetched_before < periods
    assert seen[0] == "fetched 2024-01-12"  # newest first
    second = start_worker(server, str(cache_dir), "2024-01-01", "2024-01-12")
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    lines = out.split("\n")
    assert f"cached 2024-01-{12 - fetched_before + 1:02d}" in lines  # what the first run got is kept
    assert lines[-2].startswith("done ")
    assert periods <= server.stat_requests <= periods + 1  # at most the request in flight again
    assert server.errors[9] == 0


@pytest.mark.realtime
@pytest.mark.slow
def test_an_interactive_fetch_never_waits_behind_the_sync(
    server: DemoServer, cache_dir: Path, make_client: Any
) -> None:
    worker = start_worker(server, str(cache_dir), "2024-02-01", "2024-02-20")
    try:
        read_until(worker, 2)  # the sync is running and has used its share
        client = make_client()
        waits = []
        for day in ("2023-06-01", "2023-06-02", "2023-06-03", "2023-06-04"):
            t0 = time.monotonic()
            assert client.fetch(day).attrs["requests"] == 1
            waits.append(time.monotonic() - t0)
        assert max(waits) <= WINDOW + 0.25 + 0.6, waits  # at most one window (+ margin, + slack)
    finally:
        out, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0, out
    assert server.errors[9] == 0


@pytest.mark.realtime
@pytest.mark.slow
def test_a_second_sync_for_the_same_login_is_refused(server: DemoServer, cache_dir: Path, make_client: Any) -> None:
    worker = start_worker(server, str(cache_dir), "2024-03-01", "2024-03-12")
    try:
        read_until(worker, 1)
        with pytest.raises(SyncLeaseError, match="another sync for this login is running"):
            make_client().sync("2024-03-01", "2024-03-12")
    finally:
        out, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0 and "done" in out
    report = make_client().sync("2024-03-01", "2024-03-12")  # the lease was given back
    assert (report.fetched, report.cached) == (0, 12)


def test_watch_keeps_the_open_days_fresh(server: DemoServer, make_client: Any) -> None:
    client = make_client(recent_expiry=60)
    passes: list[Any] = []
    cancel = threading.Event()

    def on_pass(report: Any) -> None:
        passes.append(report)
        if len(passes) == 2:
            cancel.set()

    today = moscow_today()  # the server's calendar
    since = today - dt.timedelta(days=4)  # closed: today-4 .. today-2; open: yesterday, today (Moscow)
    client.sync(since, watch=True, interval=0.2, cancel=cancel, on_pass=on_pass)
    assert passes[0].fetched == 3 and passes[1].cached == 3 and passes[1].fetched == 0
    assert server.stat_requests == 5  # three closed days once, yesterday and today once (still fresh)


@pytest.mark.realtime  # the CLI builds its own client on the real clock
def test_cli_sync_and_status(server: DemoServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(cache_dir))
    assert main(["sync", "status", "--since", "2024-01-01", "--until", "2024-01-03"]) == 0
    assert "3 periods: 0 cached, 3 missing (newest 2024-01-03)" in capsys.readouterr().out
    assert main(["sync", "--since", "2024-01-01", "--until", "2024-01-03", "--once", "--share", "3"]) == 0
    assert "sync done: 3 periods, 0 already cached, 3 fetched (3 requests)" in capsys.readouterr().out
    assert main(["sync", "status", "--since", "2024-01-01", "--until", "2024-01-03"]) == 0
    assert "3 periods: all cached" in capsys.readouterr().out
    assert main(["sync", "--since", "2024-01-01", "--until", "2099-01-01"]) == 2
    assert "not closed yet" in capsys.readouterr().err
    assert server.stat_requests == 3
