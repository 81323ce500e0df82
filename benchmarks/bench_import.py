"""``import smsstats_nb`` against importing what it stands on, and whether heavy modules load.

    python benchmarks/bench_import.py

Each import runs in a fresh interpreter (median of 7, interleaved); the ratio divides
smsstats_nb's time by the time of ``import pandas, requests_cache, pyrate_limiter`` (target
<= 1.2). It also reports whether matplotlib or ipywidgets got loaded (target: no).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "import pandas, requests_cache, pyrate_limiter"
OURS = "import smsstats_nb"


def _time(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def run(repeat: int = 7) -> dict[str, object]:
    empty, base, ours = [], [], []
    for _ in range(repeat):
        empty.append(_time("pass"))
        base.append(_time(BASE))
        ours.append(_time(OURS))
    e = statistics.median(empty)
    b, o = statistics.median(base) - e, statistics.median(ours) - e
    probe = (
        "import sys, smsstats_nb; print(sorted(m for m in ('matplotlib', 'ipywidgets', 'tqdm') if m in sys.modules))"
    )
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return {"base_s": b, "ours_s": o, "ratio": o / b, "loaded": heavy.strip()}


def main() -> None:
    r = run()
    print(
        f"import smsstats_nb {r['ours_s']:.3f} s vs `{BASE}` {r['base_s']:.3f} s -> ratio {r['ratio']:.2f}; "
        f"heavy modules loaded: {r['loaded']}"
    )


if __name__ == "__main__":
    main()
