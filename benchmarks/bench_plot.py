"""A reseller's plot: 2,000 logins × 30 days, drawn to PNG (the dashboard's and the CLI's renderer).

    python benchmarks/bench_plot.py

Prints the seconds to render the series and the totals with the default top 10 + "others", and
the same with every login drawn (``top=None``), as today's main did; the goal is well under 1 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import best_of

from smsstats_nb.core._frames import make_frame
from smsstats_nb.output._plotting import render_png


def frame(logins: int = 2000, days: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = logins * days
    names = np.tile(np.array([f"sub{i:04d}" for i in range(logins)], dtype=object), days)
    df = make_frame(names, rng.integers(0, 500, n), rng.random(n) * 900, np.zeros(n), np.full(n, "RUR", dtype=object))
    starts = np.repeat(pd.date_range("2024-06-01", periods=days).to_numpy(), logins)
    df.insert(0, "period_end", starts)
    df.insert(0, "period_start", starts)
    df.attrs.update(start="2024-06-01", end="2024-06-30", freq="D")
    return df


def run(*, every_login: bool = False) -> dict[str, float]:
    df = frame()
    totals = df.groupby("login", as_index=False, observed=True)[["sms", "credit", "debit"]].sum()
    totals["currency"] = "RUR"
    out = {
        "series_top": best_of(lambda: render_png(df, "credit"), repeat=3),
        "totals_top": best_of(lambda: render_png(totals, "credit"), repeat=3),
    }
    if every_login:  # about 20 s here: only on request
        out["series_all"] = best_of(lambda: render_png(df, "credit", top=None), repeat=1)
    return out


def main() -> None:
    r = run(every_login="--every-login" in sys.argv)
    print(f"2000 logins x 30 days, top 10 + others: series {r['series_top']:.2f} s, totals {r['totals_top']:.2f} s")
    if "series_all" in r:
        print(f"every login drawn (as before): series {r['series_all']:.2f} s")


if __name__ == "__main__":
    main()
