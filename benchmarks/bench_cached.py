"""A cached re-run of 365 daily periods in a new process: requests made and seconds beyond import.

    python benchmarks/bench_cached.py

Fills a fresh cache with 365 days (the demo server allows it quickly), then starts a new Python
process that imports smsstats_nb and asks for the same daily series. Prints the requests the
server saw from that process (target 0) and its seconds after the import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smsstats_nb import StatsClient  # noqa: E402
from smsstats_nb.demo import DemoServer  # noqa: E402

CHILD = """
import json, os, sys, time
t0 = time.perf_counter()
from smsstats_nb import StatsClient
t1 = time.perf_counter()
with StatsClient(os.environ["SMSC_LOGIN"], os.environ["SMSC_PASSWORD"], base_url=sys.argv[1], cache=sys.argv[2],
                 rate_limit=(3, 60)) as c:
    df = c.fetch_series("2023-01-01", "2023-12-31", "D", progress=False)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "after_import_s": t2 - t1, "rows": len(df),
                  "cached": df.attrs["periods_cached"], "requests": df.attrs["requests"]}))
"""


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache, DemoServer(window=1, limit=1000) as server:
        with StatsClient(server.login, server.psw, base_url=server.url, cache=cache, rate_limit=(1000, 1)) as c:
            c.fetch_series("2023-01-01", "2023-12-31", "D", progress=False)
        before = server.stat_requests
        env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, server.url, cache],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=300,
        ).stdout
        result = json.loads(out)
        result["server_requests"] = server.stat_requests - before
        return result


def main() -> None:
    r = run()
    print(
        f"cached re-run of 365 days in a new process: {r['server_requests']} requests at the server, "
        f"{r['cached']}/365 periods from the cache, "
        f"{r['after_import_s']:.2f} s after an import of {r['import_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
