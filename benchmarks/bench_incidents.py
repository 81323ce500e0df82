"""False alarms and detection of :func:`smsstats_nb.analysis._monitoring.incidents` on synthetic traffic.

    python benchmarks/bench_incidents.py

Clean traffic: 500 logins × 365 days, each with its own volume (5 to 5,000 messages a weekday,
log-uniform), a weekly rhythm (weekends at 10–100 % of a weekday), a trend over the year (−30 % to
+60 %), day-to-day noise (Poisson counts times a log-normal wobble of 10 %, 12 % and 15 %). Every incident found there
is a false alarm: printed per 1,000 login-days judged, and as the share of logins with one in a
year. Then the same traffic with planted faults (a silence of 3–40 days in a third of the logins, a
5× spike day in another third): how many are found, and how many of the silences are found whole
(first to last day). Also the seconds for the whole year.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsstats_nb.analysis._monitoring import incidents

DAYS = pd.date_range("2024-01-01", periods=365, freq="D")


def traffic(logins: int = 500, seed: int = 11, noise: float = 0.1) -> np.ndarray:
    """Messages per day (days × logins) of clean synthetic traffic."""
    rng = np.random.default_rng(seed)
    volume = np.exp(rng.uniform(np.log(5), np.log(5000), logins))
    weekend = rng.uniform(0.1, 1.0, logins)
    trend = rng.uniform(-0.3, 0.6, logins)
    t = np.arange(len(DAYS))[:, None] / len(DAYS)
    is_weekend = (DAYS.weekday >= 5)[:, None]
    mean = volume * np.where(is_weekend, weekend, 1.0) * (1 + trend * t)
    wobble = rng.lognormal(0.0, noise, mean.shape)
    return rng.poisson(mean * wobble).astype(float)


def frame(counts: np.ndarray) -> pd.DataFrame:
    """The series frame of ``counts`` (zeros left out, as the service does)."""
    days, logins = np.nonzero(counts)
    sms = counts[days, logins]
    return pd.DataFrame(
        {
            "period_start": DAYS[days],
            "period_end": DAYS[days],
            "login": [f"login{i:03d}" for i in logins],
            "sms": sms.astype(np.int64),
            "credit": sms * 2.0,
            "debit": 0.0,
            "currency": "RUR",
        }
    )


def run(logins: int = 500, noise: float = 0.1) -> dict[str, float]:
    clean = traffic(logins, noise=noise)
    t0 = time.perf_counter()
    # the plain week: this traffic knows no holidays (bench_monitoring_year.py has the calendar)
    found = incidents(frame(clean), "sms", end=DAYS[-1].date(), calendar=None)
    seconds = time.perf_counter() - t0
    judged_days = logins * (len(DAYS) - 21)  # three same weekdays of history before the first judged day
    rng = np.random.default_rng(5)
    faulty = clean.copy()
    silences: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    spikes: dict[str, pd.Timestamp] = {}
    for i in range(logins):
        name = f"login{i:03d}"
        if i % 3 == 0:
            length = int(rng.integers(3, 41))
            start = int(rng.integers(60, len(DAYS) - length - 10))
            faulty[start : start + length, i] = 0
            silences[name] = (DAYS[start], DAYS[start + length - 1])
        elif i % 3 == 1:
            day = int(rng.integers(60, len(DAYS) - 10))
            faulty[day, i] *= 5
            spikes[name] = DAYS[day]
    planted = incidents(frame(faulty), "sms", end=DAYS[-1].date(), calendar=None)
    caught = whole = spikes_caught = 0
    for name, (a, b) in silences.items():
        rows = planted[(planted["login"] == name) & (planted["kind"] == "silent")]
        hit = rows[(pd.to_datetime(rows["first_day"]) <= b) & (pd.to_datetime(rows["last_day"]) >= a)]
        caught += bool(len(hit))
        # whole: from its first day to its last (a quiet weekend next to it may join it)
        whole += bool(
            len(hit)
            and (pd.to_datetime(hit["first_day"]).min() - a).days in (-2, -1, 0)
            and (pd.to_datetime(hit["last_day"]).max() - b).days in (0, 1, 2)
        )
    for name, day in spikes.items():
        rows = planted[(planted["login"] == name) & (planted["kind"] == "spike")]
        spikes_caught += bool((pd.to_datetime(rows["first_day"]) == day).any())
    whole_visible = 0
    # a silence is only visible where a zero day is unusual: a login of 5 messages a day has
    # zero-message days by chance (Poisson), so its baseline cannot call a silence unusual
    visible = [n for n in silences if clean[:, int(n[5:])].mean() >= 20]
    visible_caught = 0
    for name in visible:
        a, b = silences[name]
        rows = planted[(planted["login"] == name) & (planted["kind"] == "silent")]
        hit = rows[(pd.to_datetime(rows["first_day"]) <= b) & (pd.to_datetime(rows["last_day"]) >= a)]
        visible_caught += bool(len(hit))
        whole_visible += bool(
            len(hit)
            and (pd.to_datetime(hit["first_day"]).min() - a).days in (-2, -1, 0)
            and (pd.to_datetime(hit["last_day"]).max() - b).days in (0, 1, 2)
        )
    return {
        "false_per_1000_login_days": 1000 * len(found) / judged_days,
        "logins_with_a_false_alarm": found["login"].nunique() / logins,
        "false_alarms": float(len(found)),
        "silences_caught": caught / len(silences),
        "silences_whole": whole / len(silences),
        "silences_visible_caught": visible_caught / max(1, len(visible)),
        "silences_visible_whole": whole_visible / max(1, len(visible)),
        "spikes_caught": spikes_caught / len(spikes),
        "seconds": seconds,
    }


if __name__ == "__main__":
    for noise in (0.10, 0.12, 0.15):
        print(f"day-to-day noise {noise:.0%} (log-normal) on Poisson counts:")
        for key, value in run(noise=noise).items():
            print(f"  {key:<28} {value:.4f}")
