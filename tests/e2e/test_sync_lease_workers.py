"""The background sync across processes, on real windows: polite beside interactive use and one
per login (subprocess workers cannot share a fake clock: these prove the
real wiring, and are marked slow)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import SyncLeaseError
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW
from .test_sync_workers import read_until, start_worker

pytestmark = pytest.mark.loopback


@pytest.mark.realtime
@pytest.mark.slow
def test_an_interactive_fetch_never_waits_behind_the_sync(
    server: DemoServer, cache_dir: Path, make_client: Any
) -> None:
    worker = start_worker(server, str(cache_dir), "2024-02-01", "2024-02-12")
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
    worker = start_worker(server, str(cache_dir), "2024-03-01", "2024-03-06")
    try:
        read_until(worker, 1)
        with pytest.raises(SyncLeaseError, match="another sync for this login is running"):
            make_client().sync("2024-03-01", "2024-03-06")
    finally:
        out, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0 and "done" in out
    report = make_client().sync("2024-03-01", "2024-03-06")  # the lease was given back
    assert (report.fetched, report.cached) == (0, 6)
