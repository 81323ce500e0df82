"""Rate-limit scheduling: N uncached periods at 3 per W seconds against the demo server.

    python benchmarks/bench_schedule.py [--n 30] [--window 10] [--mode series|fetch]

Prints wall time / floor, where floor = (ceil(N/3) - 1) * W is the least time the limit allows
(target <= 1.05), and how many error-9 answers the server gave (target 0). The client adds a
fixed 0.25 s safety margin to each window, so a longer W gives a ratio nearer 1 (with the real
W = 60 s the margin costs 0.4 %).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsstats_nb import StatsClient
from smsstats_nb.demo import DemoServer


def run(n: int = 30, window: float = 10.0, mode: str = "series") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache, DemoServer(window=window, limit=3) as server:
        with StatsClient(server.login, server.psw, base_url=server.url, cache=cache, rate_limit=(3, window)) as client:
            start = dt.date(2024, 1, 1)
            t0 = time.perf_counter()
            if mode == "series":
                df = client.fetch_series(start, start + dt.timedelta(days=n - 1), "D", progress=False)
                assert df.attrs["periods_fetched"] == n
            else:
                for i in range(n):
                    client.fetch(start + dt.timedelta(days=i))
            wall = time.perf_counter() - t0
        floor = (math.ceil(n / 3) - 1) * window
        return {
            "n": n,
            "window": window,
            "wall_s": wall,
            "floor_s": floor,
            "ratio": wall / floor,
            "error9": server.errors[9],
            "requests": server.stat_requests,
        }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--mode", choices=["series", "fetch"], default="series")
    a = p.parse_args()
    r = run(a.n, a.window, a.mode)
    print(
        f"{a.mode}: {r['n']} uncached periods at 3 per {r['window']:g} s: wall {r['wall_s']:.2f} s / floor "
        f"{r['floor_s']:.1f} s = {r['ratio']:.3f}; error 9 at the server: {r['error9']}; requests: {r['requests']}"
    )


if __name__ == "__main__":
    main()
