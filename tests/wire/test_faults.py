"""A fault matrix against the demo server, and four processes on one login at once.

For each fault, part-way through a daily series: what was fetched before the fault stays (in the
exception's ``.partial`` and in the cache), nothing wrong is cached, the error is typed, and a
re-run after the fault spends requests only on the rest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import RateLimitError, ResponseFormatError, SmsStatsError, StatsClient, TransportError
from smsstats_nb.demo import DemoServer

from ..client.test_series import expected_series
from ..conftest import WINDOW

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]
ROOT = Path(__file__).resolve().parents[2]
START, END = dt.date(2024, 5, 1), dt.date(2024, 5, 5)


@pytest.mark.parametrize(
    ("fault", "times", "error"),
    [
        ("502", 3, TransportError),
        ("reset", 3, TransportError),
        ("slow", 3, TransportError),
        ("truncate", 1, ResponseFormatError),
        ("html", 1, ResponseFormatError),
        ("plain_error9", 3, RateLimitError),
    ],
)
def test_fault_part_way_through_a_series(
    make_client: Make, server: DemoServer, fault: str, times: int, error: type[SmsStatsError]
) -> None:
    client = make_client(timeout=0.5)
    client.fetch(START)
    client.fetch(START + dt.timedelta(days=1))
    server.inject(*([fault] * times))
    with pytest.raises(error) as info:
        client.fetch_series(START, END, "D", progress=False)
    partial = info.value.partial  # type: ignore[attr-defined]
    assert partial["period_start"].nunique() == 2 and partial.attrs["complete"] is False
    assert client.cache_info()["entries"] == 2  # nothing wrong was stored
    server.reset()
    df = client.fetch_series(START, END, "D", progress=False)
    assert server.stat_requests == 3  # only the rest
    pd.testing.assert_frame_equal(df, expected_series(START, END, "D"))


def test_server_stopped_in_the_middle_of_a_series(cache_dir: Path) -> None:
    server = DemoServer(window=WINDOW).start()
    port = int(server.url.rsplit(":", 1)[1])
    client = StatsClient(
        server.login, server.psw, base_url=server.url, cache=cache_dir, rate_limit=(3, WINDOW), timeout=2
    )

    def stop_after_two(done: int, total: int, cached: bool) -> None:
        if done == 2:
            server.stop()

    try:
        with pytest.raises(TransportError) as info:
            client.fetch_series(START, END, "D", progress=False, on_period=stop_after_two)
        assert info.value.partial["period_start"].nunique() == 2  # type: ignore[attr-defined]
        assert client.cache_info()["entries"] == 2
        restarted = DemoServer(port=port, window=WINDOW).start()
        try:
            df = client.fetch_series(START, END, "D", progress=False)
            assert restarted.stat_requests == 3
            pd.testing.assert_frame_equal(df, expected_series(START, END, "D"))
        finally:
            restarted.stop()
    finally:
        client.close()
        server.stop()


@pytest.mark.realtime  # the real-window wiring: four processes, one quota file
@pytest.mark.slow
def test_four_processes_on_one_login(server: DemoServer, cache_dir: Path) -> None:
    env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tests.e2e.worker", server.url, str(cache_dir), str(WINDOW)]
    firsts = ["2024-06-01", "2024-06-03", "2024-06-05", "2024-06-07"]  # overlapping: 2024-06-03..04 twice, etc.
    t0 = time.monotonic()
    procs = [subprocess.Popen([*cmd, f, "3"], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT) for f in firsts]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    results = [r for o in outs for r in json.loads(o)]
    assert len(results) == 12
    assert server.errors[9] == 0
    distinct = {r["day"] for r in results}
    assert len(distinct) == 9
    assert server.stat_requests <= 12 and time.monotonic() - t0 >= (server.stat_requests // 3 - 1) * WINDOW
    # the cache is intact: the database checks out and every day is answered from it
    with sqlite3.connect(cache_dir / "http_cache.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = server.stat_requests
    with StatsClient(server.login, server.psw, base_url=server.url, cache=cache_dir, rate_limit=(3, WINDOW)) as c:
        for day in sorted(distinct):
            assert c.fetch(day).attrs["from_cache"] is True
    assert server.stat_requests == before
