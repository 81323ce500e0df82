"""Several accounts side by side: 20 accounts × 30 uncached daily periods against the demo server.

    python benchmarks/bench_accounts.py [--accounts 20] [--periods 30] [--window 2]

Each account is its own demo login with its own rate limit (3 requests per ``window`` seconds),
named in an accounts file (secrets in environment variables), all in one fresh cache directory.
The floor is one account's 30 periods at its limit (the first three at once, then three per
window, plus the client's safety margin); the goal is wall time ÷ floor ≤ 1.1 with no error 9.
Also printed: the threads added while it ran (one per account, plus the pool's).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsstats_nb.client._accounts import add_account
from smsstats_nb.client._multi import fetch_accounts
from smsstats_nb.core._settings import DEFAULT_MARGIN
from smsstats_nb.demo import DemoServer


def _serve(conn: Any, window: float, logins: dict[str, str]) -> None:
    """The demo server in its own process (as SMSC is: not sharing the clients' interpreter)."""
    with DemoServer(window=window, accounts=logins) as server:
        conn.send(server.url)
        conn.recv()  # stop
        conn.send({"error9": server.errors[9], "requests": server.stat_requests})


def run(accounts: int = 20, periods: int = 30, window: float = 2.0) -> dict[str, float]:
    logins = {f"acct{i:02d}": f"password-{i:02d}" for i in range(accounts)}
    peak = [threading.active_count()]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], threading.active_count())
            time.sleep(0.01)

    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    serving = ctx.Process(target=_serve, args=(there, window, logins), daemon=True)
    serving.start()
    url = here.recv()
    with tempfile.TemporaryDirectory() as tmp:
        # an accounts file like a user's, each secret in an environment variable (no keyring here)
        names = list(logins)
        for name, secret in logins.items():
            os.environ[f"BENCH_{name.upper()}_PSW"] = secret
        for name in names:
            add_account(name, login=name, base_url=url, env=f"BENCH_{name.upper()}_PSW", path=Path(tmp) / "a.toml")
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        base_threads = threading.active_count()
        try:
            t0 = time.perf_counter()
            df = fetch_accounts(
                names,
                "2024-01-01",
                f"2024-01-{periods:02d}",
                freq="D",
                accounts_file=Path(tmp) / "a.toml",
                cache=Path(tmp) / "cache",  # one cache for all: each account its own identity and quota
                rate_limit=(3, window),
            )
            wall = time.perf_counter() - t0
        finally:
            stop.set()
            here.send("stop")
            counts = here.recv()
            serving.join(10)
        rounds = math.ceil(periods / 3) - 1  # the first three at once, then three per window
        floor = rounds * (window + DEFAULT_MARGIN)
        assert df["account"].nunique() == accounts and df["period_start"].nunique() == periods
        return {
            "wall_s": wall,
            "floor_s": floor,
            "ratio": wall / floor,
            "error9": float(counts["error9"]),
            "requests": float(counts["requests"]),
            "threads_added": float(peak[0] - base_threads),
        }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--accounts", type=int, default=20)
    p.add_argument("--periods", type=int, default=30)
    p.add_argument("--window", type=float, default=2.0)
    a = p.parse_args()
    for key, value in run(a.accounts, a.periods, a.window).items():
        print(f"{key:<14} {value:.3f}")
