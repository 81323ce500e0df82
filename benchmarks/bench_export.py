"""A large export: an ``.xlsx`` of a million rows is written row by row (memory stays flat), and
the same frame as ``.csv`` for comparison.

    python benchmarks/bench_export.py [ROWS]

Prints the seconds and the peak memory the export added (the process's high-water mark, before and
after), against the frame's own size. Each format runs in a fresh process, so one's peak is not
the other's.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsstats_nb.output import export


def frame(rows: int) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=366, freq="D")
    logins = max(1, rows // len(days) + 1)
    df = pd.DataFrame(
        {
            "period_start": np.tile(days, logins)[:rows],
            "period_end": np.tile(days, logins)[:rows],
            "login": pd.array(
                [f"client{i:05d}" for i in np.repeat(np.arange(logins), len(days))[:rows]], dtype="string"
            ),
            "sms": np.arange(rows, dtype=np.int64) % 997,
            "credit": (np.arange(rows) % 997) * 1.35,
            "debit": np.zeros(rows),
            "currency": pd.array(["RUR"] * rows, dtype="string"),
        }
    )
    df.loc[::1000, "login"] = '=HYPERLINK("http://evil")'  # a reseller's customer chose this
    return df


def one(rows: int, suffix: str) -> dict[str, float]:
    """Export ``rows`` rows as ``suffix`` in this process: seconds, peak memory added, sizes."""
    df = frame(rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        path = export(df, Path(folder) / f"big{suffix}")
        seconds = time.perf_counter() - t0
        size = path.stat().st_size / 2**20
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "s": seconds,
        "peak_mb": after - before,
        "file_mb": size,
        "frame_mb": df.memory_usage(deep=True).sum() / 2**20,
    }


def run(rows: int = 1_000_000) -> dict[str, dict[str, float]]:
    out = {}
    for suffix in (".xlsx", ".csv"):
        code = f"import json, bench_export as b; print(json.dumps(b.one({rows}, {suffix!r})))"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
        )
        out[suffix] = json.loads(done.stdout)
    return out


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    r = run(rows)
    x, c = r[".xlsx"], r[".csv"]
    print(
        f"export {rows:,} rows: .xlsx {x['s']:.1f} s, {x['peak_mb']:.0f} MiB added at the peak "
        f"(the frame itself: {x['frame_mb']:.0f} MiB; the file {x['file_mb']:.0f} MiB); "
        f".csv {c['s']:.1f} s, {c['peak_mb']:.0f} MiB added"
    )


if __name__ == "__main__":
    main()
