"""``make bench``: every performance figure in one table.

    python benchmarks/run_all.py [--quick]

``--quick`` uses a 3 s window for the scheduling figure (the margin then weighs more).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_accounts
import bench_cached
import bench_import
import bench_incidents
import bench_monitoring_year
import bench_parse
import bench_plot
import bench_scale
import bench_schedule


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    window = 3.0 if a.quick else 10.0
    rows: list[tuple[str, str, str]] = []
    names = {0: "regex", 1: "read_csv", 2: "read_xml", 3: "json.loads+DataFrame"}
    for r in bench_parse.run():
        rows.append((f"parse 100k rows fmt {r['fmt']} / {names[int(r['fmt'])]}", f"{r['ratio']:.2f}", "<= 1.5"))
    for mode in ("series", "fetch"):
        s = bench_schedule.run(30, window, mode)
        rows.append(
            (f"30 uncached periods ({mode}) at 3 per {window:g} s: wall / floor", f"{s['ratio']:.3f}", "<= 1.05")
        )
        rows.append((f"  error 9 answers during that ({mode})", str(s["error9"]), "0"))
    pl = bench_plot.run()
    rows.append(("plot 2000 logins x 30 days (top 10 + others), series: seconds", f"{pl['series_top']:.2f}", "< 1"))
    rows.append(("  the same totals: seconds", f"{pl['totals_top']:.2f}", "< 1"))
    inc = bench_incidents.run(noise=0.12)
    rows.append(
        (
            "incidents on clean traffic (12 % noise), 500 logins x 365 days: false per 1000 login-days",
            f"{inc['false_per_1000_login_days']:.3f}",
            "< 0.1",
        )
    )
    rows.append(("  logins with a false alarm in the year", f"{inc['logins_with_a_false_alarm']:.3f}", "info"))
    rows.append(
        (
            "  planted silences found (where a zero day is unusual) / found whole",
            f"{inc['silences_visible_caught']:.2f}/{inc['silences_visible_whole']:.2f}",
            "1 / high",
        )
    )
    rows.append(("  planted 5x spike days found (every size of login)", f"{inc['spikes_caught']:.2f}", "info"))
    year = bench_monitoring_year.run()
    rows.append(
        (
            "a reseller's year (300 logins, 12 % noise): incidents / noise",
            f"{year['incidents']}/{year['noise']}",
            "info",
        )
    )
    rows.append(
        (
            "  calendar-caused, worst holiday period: share of the logins",
            f"{year['calendar_worst_share']:.3f}",
            "<= 0.01",
        )
    )
    rows.append(("  incidents from series that start or change currency", str(year["new_series"]), "0"))
    found = ", ".join(f"{k} {a}/{b}" for k, (a, b) in year["recall"].items())
    rows.append(("  found per planted kind", found, "all"))
    rows.append(("  lasting drops: days to detection", ", ".join(map(str, year["lasting_drop_days"])), "<= 7"))
    acc = bench_accounts.run(20, 30, window)
    rows.append(
        (
            f"20 accounts x 30 uncached days side by side at 3 per {window:g} s: wall / one account's floor",
            f"{acc['ratio']:.3f}",
            "<= 1.1",
        )
    )
    rows.append(("  error 9 answers during that", str(int(acc["error9"])), "0"))
    rows.append(("  threads added while it ran", str(int(acc["threads_added"])), "info"))
    c = bench_cached.run()
    rows.append(("cached re-run of 365 periods in a new process: requests", str(c["server_requests"]), "0"))
    rows.append(("  seconds beyond import", f"{c['after_import_s']:.2f}", "small"))
    i = bench_import.run()
    rows.append(("import smsstats_nb / import pandas+requests_cache+pyrate_limiter", f"{i['ratio']:.2f}", "<= 1.2"))
    rows.append(("  matplotlib / ipywidgets / tqdm loaded by the import", str(i["loaded"]), "[]"))
    sc = bench_scale.run(2000, 366, 3)
    rows.append(
        ("re-open 2000 logins x 366 cached days / bare json.loads+DataFrame+concat", f"{sc['ratio']:.2f}", "<= 0.4")
    )
    rows.append(("  peak memory added by the re-open / the frame's own size", f"{sc['memory_ratio']:.2f}", "<= 2"))
    rows.append(
        ("  re-open with the parsed store lost (from the HTTP cache) / bare", f"{sc['http_only_ratio']:.2f}", "info")
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>8}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>8}  {target}")


if __name__ == "__main__":
    main()
