"""Parse 100k rows per fmt and compare with the bare pandas/stdlib reader of the same text.

    python benchmarks/bench_parse.py [--rows 100000]

Prints, per fmt, our seconds, the bare reader's seconds and the ratio (target <= 1.5), all
measured in this one run (interleaved, best of 7).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import best_of

from smsstats_nb import parse_response
from smsstats_nb.demo.data import Row
from smsstats_nb.demo.writers import write_rows

_ROW0 = re.compile(r"^login = (.*?), sms = (\d+), credit = ([-\d.]+), debit = ([-\d.]+), currency = (\S+)$", re.M)


def make_rows(n: int) -> list[Row]:
    rng = random.Random(42)
    return [
        Row(
            f"user_{i}" if i % 7 else f"клиент_{i}",
            rng.randrange(0, 10**6),
            rng.randrange(0, 10**10),
            rng.randrange(0, 10**8),
            "RUR",
        )
        for i in range(n)
    ]


def bare(fmt: int, body: str) -> object:
    """The plain reader a user would write, with no validation."""
    if fmt == 0:
        rows = _ROW0.findall(body)
        return pd.DataFrame(rows, columns=["login", "sms", "credit", "debit", "currency"])
    if fmt == 1:
        return pd.read_csv(io.StringIO(body), header=None, names=["login", "sms", "credit", "debit", "currency"])
    if fmt == 2:
        return pd.read_xml(io.StringIO(body), xpath=".//stat", parser="etree")
    return pd.DataFrame(json.loads(body))


def run(rows: int = 100_000) -> list[dict[str, object]]:
    data = make_rows(rows)
    results = []
    for fmt in range(4):
        body = write_rows(data, fmt)
        assert len(parse_response(body, fmt)) == rows
        ours_t, theirs_t = [], []
        for _ in range(7):  # interleaved, so both see the same machine state
            ours_t.append(best_of(lambda: parse_response(body, fmt), 1))  # noqa: B023
            theirs_t.append(best_of(lambda: bare(fmt, body), 1))  # noqa: B023
        ours, theirs = min(ours_t), min(theirs_t)
        results.append({"fmt": fmt, "ours_s": ours, "bare_s": theirs, "ratio": ours / theirs})
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"parse {args.rows} rows: ours vs the bare reader (interleaved, best of 7)")
    names = {0: "regex", 1: "read_csv", 2: "read_xml", 3: "json.loads+DataFrame"}
    for r in run(args.rows):
        print(
            f"  fmt {r['fmt']}: {r['ours_s']:.3f} s vs {names[r['fmt']]} {r['bare_s']:.3f} s -> ratio {r['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
