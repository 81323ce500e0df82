"""A reseller's year: 2,000 logins x 366 cached daily answers, re-opened in a new process.

    python benchmarks/bench_scale.py [--logins 2000] [--days 366] [--repeat 3]

A synthetic server on 127.0.0.1 answers every day with ``--logins`` JSON rows (about 70 MB for
the defaults). The cache is filled once (with a rate limit the synthetic server allows). Then,
alternating, in fresh processes:

* **re-open**: ``client.fetch_series(year, "D")`` from the cache (the time of that call, and the
  peak RSS it adds over the process after import, against the frame's own deep size);
* **bare**: ``json.loads`` + ``DataFrame`` + ``concat`` of the same bodies;
* **HTTP cache only**: the re-open with the parsed-answer store removed (what it costs to rebuild).

Prints the ratios re-open / bare (goal <= 0.4) and peak memory / frame size (goal <= 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
START = dt.date(2024, 1, 1)


def body_for(day: dt.date, logins: int) -> bytes:
    """The JSON answer of one day: ``logins`` rows, deterministic per day."""
    rng = random.Random(day.toordinal())
    rows = []
    for i in range(logins):
        name = f"client_{i:04d}" if i % 10 else f"клиент_{i:04d}"
        sms = rng.randrange(0, 5000)
        rows.append(
            {
                "login": name,
                "sms": str(sms),
                "credit": f"{sms * 2.1537:.2f}",
                "debit": "0" if rng.random() < 0.97 else f"{rng.randrange(1, 10**6)}.00",
                "currency": "RUR",
            }
        )
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def serve(logins: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            day = dt.datetime.strptime(form["start"][0], "%d.%m.%Y").date()
            body = body_for(day, logins)
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


CHILD_REOPEN = r"""
import json, resource, sys, time
import pandas as pd
from smsstats_nb import StatsClient
url, cache, days = sys.argv[1], sys.argv[2], int(sys.argv[3])
end = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=days - 1)).date()
client = StatsClient("scale", "scale-pw", base_url=url, cache=cache, rate_limit=(100000, 1.0))
def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024
def hwm_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
before = rss_kb()
try:  # reset the peak RSS to now, so import-time peaks do not count (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
t0 = time.perf_counter()
df = client.fetch_series("2024-01-01", end, "D", progress=False)
seconds = time.perf_counter() - t0
peak = hwm_kb() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rows": len(df), "requests": df.attrs["requests"],
                  "peak_added_mb": (peak - before) / 1024, "frame_mb": df.memory_usage(deep=True).sum() / 2**20}))
"""

CHILD_BARE = r"""
import json, sys, time, datetime as dt
import pandas as pd
sys.path.insert(0, sys.argv[3])
from bench_scale import body_for, START
logins, days = int(sys.argv[1]), int(sys.argv[2])
bodies = [body_for(START + dt.timedelta(days=i), logins) for i in range(days)]
t0 = time.perf_counter()
frame = pd.concat([pd.DataFrame(json.loads(b)) for b in bodies], ignore_index=True)
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(frame)}))
"""


def _child(code: str, *args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(logins: int = 2000, days: int = 366, repeat: int = 3) -> dict[str, float]:
    from smsstats_nb import StatsClient

    tmp = Path(tempfile.mkdtemp(prefix="smsstats-scale-"))
    httpd = serve(logins)
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        cache = tmp / "cache"
        end = START + dt.timedelta(days=days - 1)
        with StatsClient("scale", "scale-pw", base_url=url, cache=cache, rate_limit=(100000, 1.0)) as client:
            filled = client.fetch_series(START, end, "D", progress=False)
        assert len(filled) == logins * days
        reopen, bare, http_only = [], [], []
        for _ in range(repeat):  # alternating, so every kind sees the same machine state
            r = _child(CHILD_REOPEN, url, str(cache), str(days))
            assert r["requests"] == 0 and r["rows"] == logins * days, r
            reopen.append(r)
            b = _child(CHILD_BARE, str(logins), str(days), str(Path(__file__).resolve().parent))
            assert b["rows"] == logins * days
            bare.append(b)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cache / 'frames.sqlite'}{suffix}").unlink(missing_ok=True)
        h = _child(CHILD_REOPEN, url, str(cache), str(days))  # rebuilds the store from the HTTP cache
        assert h["requests"] == 0
        http_only.append(h)
        best_reopen = min(reopen, key=lambda x: x["seconds"])
        best_bare = min(x["seconds"] for x in bare)
        return {
            "rows": logins * days,
            "reopen_s": best_reopen["seconds"],
            "bare_s": best_bare,
            "ratio": best_reopen["seconds"] / best_bare,
            "peak_added_mb": max(x["peak_added_mb"] for x in reopen),
            "frame_mb": best_reopen["frame_mb"],
            "memory_ratio": max(x["peak_added_mb"] for x in reopen) / best_reopen["frame_mb"],
            "http_only_s": h["seconds"],
            "http_only_ratio": h["seconds"] / best_bare,
            "peaks_mb": [round(x["peak_added_mb"]) for x in reopen],
        }
    finally:
        httpd.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--logins", type=int, default=2000)
    p.add_argument("--days", type=int, default=366)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    r = run(a.logins, a.days, a.repeat)
    print(f"{r['rows']} rows ({a.logins} logins x {a.days} days), cached; best of {a.repeat}, alternating")
    print(
        f"  re-open {r['reopen_s']:.3f} s vs bare json.loads+DataFrame+concat {r['bare_s']:.3f} s -> {r['ratio']:.2f}"
    )
    print(
        f"  peak memory added {r['peak_added_mb']:.0f} MiB vs frame {r['frame_mb']:.0f} MiB -> {r['memory_ratio']:.2f}"
    )
    print(f"  re-open from the HTTP cache alone (store lost): {r['http_only_s']:.3f} s -> {r['http_only_ratio']:.2f}")


if __name__ == "__main__":
    main()
