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

from smsstats_nb import AuthError, QueryError, SyncLeaseError
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


def test_status_counts_the_periods_the_sync_fetches(server: DemoServer, make_client: Any) -> None:
    client = make_client()
    today = moscow_today()
    first = (today.replace(day=1) - dt.timedelta(days=70)).replace(day=1)  # three months back, a month start
    for freq in ("MS", "W"):
        before = client.sync_status(first, None, freq, share=3)
        report = client.sync(first, None, freq, share=3)
        assert before.periods == report.periods and len(before.missing) == report.fetched
        after = client.sync_status(first, None, freq, share=3)
        assert after.missing == [] and after.cached == report.periods  # nothing left that sync never fetches
    assert server.errors[9] == 0


@pytest.mark.parametrize("share", [-1, 0, 4, True])
def test_a_bad_share_is_refused_the_same_way_by_sync_and_status(
    share: object, server: DemoServer, make_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    client = make_client()
    with pytest.raises(QueryError, match="share must be a whole number from 1 to 3"):
        client.sync("2024-01-01", "2024-01-03", share=share)
    with pytest.raises(QueryError, match="share must be a whole number from 1 to 3"):
        client.sync_status("2024-01-01", "2024-01-03", share=share)
    with pytest.raises(QueryError, match="share must be a whole number from 1 to 3"):
        client.coverage("2024-01-01", "2024-01-03", share=share)
    if isinstance(share, int) and not isinstance(share, bool):
        monkeypatch.setenv("SMSC_LOGIN", server.login)
        monkeypatch.delenv("SMSC_PASSWORD", raising=False)  # refused before the password is asked for
        for action in (["sync", "status"], ["sync"]):
            args = [*action, "--since", "2024-01-01", "--until", "2024-01-03", "--share", str(share)]
            assert main(args) == 2
            assert "share must be a whole number from 1 to 3" in capsys.readouterr().err
    assert server.stat_requests == 0


@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_a_closed_day_without_traffic_is_final_in_every_format(fmt: int, server: DemoServer, make_client: Any) -> None:
    client = make_client(recent_expiry=1)
    first = client.sync("2019-01-01", "2019-01-05", fmt=fmt, share=3)  # the demo has no traffic in 2019
    assert (first.fetched, first.cached) == (5, 0)
    time.sleep(1.1)  # longer than recent_expiry on the real clock (requests-cache's) ...
    client.transport.clock.sleep(1.1)  # ... and on the fake one (the parsed store's): still final
    again = make_client(recent_expiry=1).sync("2019-01-01", "2019-01-05", fmt=fmt, share=3)
    assert (again.fetched, again.cached) == (0, 5) and server.stat_requests == 5


def test_a_watch_keeps_its_lease_through_long_sleeps_so_a_nightly_once_is_refused(
    server: DemoServer, make_client: Any
) -> None:
    """The README's cron line (`sync --once`) while a `--watch` sleeps 15 minutes between passes
    (its lease lasts 5): the watch keeps the lease, the nightly run is refused, the watch lives on."""
    watcher = make_client()
    cancel = threading.Event()
    passes: list[Any] = []
    first_pass = threading.Event()
    errors: list[BaseException] = []

    def on_pass(report: Any) -> None:
        passes.append(report)
        first_pass.set()

    def run() -> None:
        try:
            watcher.sync("2024-01-01", "2024-01-03", watch=True, interval=900, cancel=cancel, on_pass=on_pass)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert first_pass.wait(30)
    nightly = make_client()
    start = nightly.transport.clock.time()
    refused = 0
    while nightly.transport.clock.time() - start < 4 * 900 and refused < 200:  # hours on the fake clock
        with pytest.raises(SyncLeaseError, match="another sync for this login is running"):
            nightly.sync("2024-01-01", "2024-01-03")
        refused += 1
        time.sleep(0.002)
    cancel.set()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == [], errors  # the watch was never pushed out
    assert nightly.transport.clock.time() - start >= 900 and len(passes) >= 2  # it did sleep past its lease


def test_a_watch_rides_out_transient_faults_and_ends_on_bad_credentials(server: DemoServer, make_client: Any) -> None:
    client = make_client()
    cancel = threading.Event()
    faults: list[tuple[str, float]] = []
    passes: list[Any] = []

    def on_pass(report: Any) -> None:
        passes.append(report)
        if len(passes) == 1:
            server.inject("502", "502", "502", "plain_error9", "plain_error9", "plain_error9")
        if len(passes) == 3:
            cancel.set()

    since = moscow_today() - dt.timedelta(days=4)
    client.sync(
        since,
        watch=True,
        interval=60,
        cancel=cancel,
        on_pass=on_pass,
        on_fault=lambda e, s: faults.append((type(e).__name__, s)),
    )
    kinds = [k for k, _ in faults]
    assert "TransportError" in kinds and len(passes) == 3, faults  # it said so, backed off, went on
    assert [s for _, s in faults] == sorted(s for _, s in faults)  # the back-off grows
    with pytest.raises(AuthError):  # cannot heal: the watch ends with it, at once
        make_client(psw="wrong-password").sync(since, watch=True, interval=60)
    assert server.errors[2] == 1
