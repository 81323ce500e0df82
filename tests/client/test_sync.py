"""The background sync: resumable after SIGKILL, polite beside interactive use, one per login."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import AuthError, QueryError, SyncLeaseError
from smsstats_nb.cli._main import main
from smsstats_nb.core._query import moscow_today
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

ROOT = Path(__file__).resolve().parents[2]


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
    assert main(["sync", "status", "--since", "2024-01-01", "--end", "2024-01-03"]) == 0
    assert "3 periods: 0 cached, 3 missing (newest 2024-01-03)" in capsys.readouterr().out
    assert main(["sync", "--since", "2024-01-01", "--end", "2024-01-03", "--once", "--share", "3"]) == 0
    assert "sync done: 3 periods, 0 already cached, 3 fetched (3 requests)" in capsys.readouterr().out
    assert main(["sync", "status", "--since", "2024-01-01", "--end", "2024-01-03"]) == 0
    assert "3 periods: all cached" in capsys.readouterr().out
    assert main(["sync", "--since", "2024-01-01", "--end", "2099-01-01"]) == 2
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
            args = [*action, "--since", "2024-01-01", "--end", "2024-01-03", "--share", str(share)]
            assert main(args) == 2
            assert "share must be a whole number from 1 to 3" in capsys.readouterr().err
    assert server.stat_requests == 0


@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_a_closed_day_without_traffic_is_final_in_every_format(fmt: int, server: DemoServer, make_client: Any) -> None:
    client = make_client(recent_expiry=0.3)
    first = client.sync("2019-01-01", "2019-01-05", fmt=fmt, share=3)  # the demo has no traffic in 2019
    assert (first.fetched, first.cached) == (5, 0)
    time.sleep(0.4)  # longer than recent_expiry on the real clock (requests-cache's) ...
    client.transport.clock.sleep(0.4)  # ... and on the fake one (the parsed store's): still final
    again = make_client(recent_expiry=0.3).sync("2019-01-01", "2019-01-05", fmt=fmt, share=3)
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
