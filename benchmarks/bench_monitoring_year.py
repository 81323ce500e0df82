"""A reseller's year under monitoring: what :func:`~smsstats_nb.analysis.incidents` finds, and what
a cron ``alerts check`` every morning would send.

    python benchmarks/bench_monitoring_year.py [--noise 0.12] [--logins 300] [--seed 7]

The year (2024, judged from 1 January; three months of 2023 give the baselines) is generated here,
on its own terms, not from the detector's: 300 sub-client logins of 2 to 30,000 messages a working
day (log-uniform), offices (weekends and holidays at 5-30 % of a working day) and shops (60-100 %),
Poisson counts times a log-normal day-to-day wobble (``--noise``, 12 % by default), a trend of
-30 % to +60 % over the year, a price per message of 1.5-4.5 RUR that wobbles with the mix of
operators (the fewer the messages, the more). The Russian production calendar: the New Year break,
23 February, 8 March, the May holidays, 12 June, 4 November, and the Saturdays made working days
(27 April, 2 November, 28 December 2024) on which offices work.

Planted, at seeded random days and logins: 30 logins that start during the year (a first week at
half volume), 10 that stop for good, one that moves its traffic to KZT and one that adds KZT beside
RUR, 8 frauds (5-20x the volume for 1-3 days, at 2-4x the price: SMS pumping to expensive routes),
12 outages of 3-20 days (four on logins of 15-50 messages a day), 4 lasting drops to 30 % for 14-28
days, 4 tariff changes of +20 to +40 %.

Printed: incidents over the year by cause (planted, calendar, new series, noise), calendar-caused
incidents per holiday period, recall per planted kind, and for the morning cron: incident events
(opened, resolved) per morning and messages per channel per morning (one digest), worst and total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import holidays

from smsstats_nb.alerts import check
from smsstats_nb.analysis import incidents
from smsstats_nb.store._local import LocalStore

FIRST = dt.date(2023, 10, 1)
YEAR = dt.date(2024, 1, 1)
LAST = dt.date(2024, 12, 31)
DAYS = pd.date_range(FIRST, LAST, freq="D")


@dataclass(frozen=True)
class Event:
    """A planted event: what a person should hear about."""

    login: str
    kind: str  # fraud, outage, lasting drop, price change, stop, switch
    first: dt.date
    last: dt.date


def _russian() -> tuple[set[dt.date], set[dt.date]]:
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    for year in (2023, 2024):
        cal = holidays.country_holidays("RU", years=year)
        off |= set(cal)
        on |= set(getattr(cal, "weekend_workdays", ()))
    return off, on


def holiday_periods() -> list[tuple[str, dt.date, dt.date]]:
    """The holiday periods of 2024 (runs of non-working days holding a holiday) and the moved
    working Saturdays, each a period of its own."""
    off, on = _russian()
    out: list[tuple[str, dt.date, dt.date]] = []
    day = YEAR
    while day <= LAST:
        if day in off:
            a = b = day
            while (a - dt.timedelta(days=1)).weekday() >= 5 or (a - dt.timedelta(days=1)) in off:
                if a - dt.timedelta(days=1) < YEAR or (a - dt.timedelta(days=1)) in on:
                    break
                a -= dt.timedelta(days=1)
            while (b + dt.timedelta(days=1)) in off or (
                (b + dt.timedelta(days=1)).weekday() >= 5 and (b + dt.timedelta(days=1)) not in on
            ):
                b += dt.timedelta(days=1)
            out.append((f"{a:%d %b}-{b:%d %b}", a, b))
            day = b + dt.timedelta(days=1)
            continue
        if day in on:
            out.append((f"{day:%d %b} (working Saturday)", day, day))
        day += dt.timedelta(days=1)
    return out


def generate(logins: int = 300, noise: float = 0.12, seed: int = 7) -> tuple[pd.DataFrame, list[Event], dict]:
    """The year's daily series (zeros left out, as the service does), the planted events, and the
    logins' facts (start days, volumes)."""
    rng = np.random.default_rng(seed)
    off, on = _russian()
    n = len(DAYS)
    dates = [d.date() for d in DAYS]
    working = np.array([(d in on) or (d.weekday() < 5 and d not in off) for d in dates])
    names = [f"client{i:03d}" for i in range(logins)]
    volume = np.exp(rng.uniform(np.log(2), np.log(30000), logins))
    office = rng.random(logins) < 0.6
    weekend = np.where(office, rng.uniform(0.05, 0.3, logins), rng.uniform(0.6, 1.0, logins))
    trend = rng.uniform(-0.3, 0.6, logins)
    price = rng.uniform(1.5, 4.5, logins)
    t = np.arange(n)[:, None] / n
    mean = volume * np.where(working[:, None], 1.0, weekend[None, :]) * (1 + trend * t)
    active = np.ones((n, logins), dtype=bool)
    factor = np.ones((n, logins))
    price_factor = np.ones((n, logins))
    events: list[Event] = []
    year0 = dates.index(YEAR)
    order = rng.permutation(logins)
    pick = iter(order.tolist())
    starts: dict[str, dt.date] = {}
    for _ in range(30):  # new logins
        i = next(pick)
        s = int(rng.integers(year0 + 30, n - 40))
        active[:s, i] = False
        factor[s : s + 7, i] = 0.5
        starts[names[i]] = dates[s]
    for _ in range(10):  # stops for good
        i = next(pick)
        s = int(rng.integers(year0 + 20, n - 20))
        active[s:, i] = False
        events.append(Event(names[i], "stop", dates[s], LAST))
    frauds = [next(pick) for _ in range(8)]
    for i in frauds:
        s = int(rng.integers(year0 + 10, n - 10))
        length = int(rng.integers(1, 4))
        x = float(rng.uniform(5, 20))
        factor[s : s + length, i] *= x
        # the pumped messages cost 2-4x: the day's blended price rises with their share
        price_factor[s : s + length, i] = 1 + (x - 1) / x * float(rng.uniform(1, 3))
        events.append(Event(names[i], "fraud", dates[s], dates[s + length - 1]))
    big = [i for i in order.tolist() if volume[i] >= 50][:60]
    small = [i for i in order.tolist() if 15 <= volume[i] < 50][-10:]
    used = set(order[:48].tolist())
    outages = [i for i in big if i not in used][:8] + [i for i in small if i not in used][:4]
    used |= set(outages)
    for i in outages:
        length = int(rng.integers(3, 21))
        s = int(rng.integers(year0 + 10, n - length - 5))
        active[s : s + length, i] = False
        events.append(Event(names[i], "outage", dates[s], dates[s + length - 1]))
    rest = [i for i in big if i not in used]
    for i in rest[:4]:  # lasting drops
        length = int(rng.integers(14, 29))
        s = int(rng.integers(year0 + 10, n - length - 5))
        factor[s : s + length, i] *= 0.3
        events.append(Event(names[i], "lasting drop", dates[s], dates[s + length - 1]))
    for i in rest[4:8]:  # tariff changes
        s = int(rng.integers(year0 + 10, n - 20))
        price_factor[s:, i] *= float(rng.uniform(1.2, 1.4))
        events.append(Event(names[i], "price change", dates[s], dates[min(n - 1, s + 6)]))
    counts = rng.poisson(mean * factor * rng.lognormal(0.0, noise, (n, logins)) * active).astype(float)
    # the price of the day wobbles with the operator mix: ±8 % over one message, less over many
    mix = 1 + rng.normal(0.0, 0.08, (n, logins)) / np.sqrt(np.maximum(counts, 1))
    credit = np.round(counts * price[None, :] * price_factor * mix, 2)
    rows: list[pd.DataFrame] = []
    day_idx, col_idx = np.nonzero(counts)
    frame = pd.DataFrame(
        {
            "period_start": DAYS[day_idx],
            "period_end": DAYS[day_idx],
            "login": [names[i] for i in col_idx],
            "sms": counts[day_idx, col_idx].astype(np.int64),
            "credit": credit[day_idx, col_idx],
            "debit": 0.0,
            "currency": "RUR",
        }
    )
    rows.append(frame)
    # one login moves to KZT, one adds KZT beside RUR
    movers = [i for i in rest[8:] if volume[i] >= 100][:2]
    switch_day = year0 + 150
    mover, adder = movers
    moved = frame[(frame["login"] == names[mover]) & (frame["period_start"] >= DAYS[switch_day])].copy()
    frame.drop(moved.index, inplace=True)
    moved["currency"], moved["credit"] = "KZT", np.round(moved["credit"] * 5.3, 2)
    added = frame[(frame["login"] == names[adder]) & (frame["period_start"] >= DAYS[switch_day + 30])].copy()
    added["currency"], added["credit"] = "KZT", np.round(added["credit"] * 5.3 * 0.5, 2)
    added["sms"] = (added["sms"] // 2).astype(np.int64)
    rows += [moved, added]
    events.append(Event(names[mover], "switch", dates[switch_day], LAST))
    out = pd.concat(rows, ignore_index=True)
    out = out[out["sms"] > 0].sort_values(["period_start", "login"], kind="stable", ignore_index=True)
    facts = {
        "starts": starts,
        "volume": dict(zip(names, volume, strict=True)),
        "adder": names[adder],
        "added": dates[switch_day + 30],
    }
    return out, events, facts


#: The incident kinds that find each planted kind.
FINDS = {
    "fraud": {"spike", "price"},
    "outage": {"silent", "drop"},
    "lasting drop": {"level", "drop", "silent"},
    "price change": {"price"},
    "stop": {"silent"},
    "switch": {"currency"},
}


def classify(found: pd.DataFrame, events: list[Event], facts: dict) -> pd.Series:
    """Each incident's cause: planted, new series, calendar or noise."""
    periods = holiday_periods()
    causes = []
    for r in found.itertuples(index=False):
        first, last = r.first_day, r.last_day
        planted = any(
            e.login == r.login and e.first - dt.timedelta(days=3) <= last and first <= e.last + dt.timedelta(days=3)
            for e in events
        )
        start = facts["starts"].get(r.login)
        if r.login == facts["adder"] and r.currency == "KZT":
            start = facts["added"]
        if planted:
            causes.append("planted")
        elif start is not None and first <= start + dt.timedelta(days=42):
            causes.append("new series")
        elif any(a - dt.timedelta(days=1) <= first <= b + dt.timedelta(days=1) for _, a, b in periods):
            causes.append("calendar")
        else:
            causes.append("noise")
    return pd.Series(causes, index=found.index, dtype="object")


def recall(found: pd.DataFrame, events: list[Event]) -> dict[str, tuple[int, int, int]]:
    """Per planted kind: (found, planted, found by the morning after the first day)."""
    out: dict[str, list[int]] = {}
    for e in events:
        mine = found[(found["login"] == e.login) & found["kind"].isin(FINDS[e.kind])]
        hit = mine[(mine["first_day"] <= e.last) & (mine["last_day"] >= e.first)]
        if e.kind == "lasting drop":  # found within a week
            hit = hit[hit["first_day"] <= e.first + dt.timedelta(days=7)]
        counts = out.setdefault(e.kind, [0, 0, 0])
        counts[0] += bool(len(hit))
        counts[1] += 1
        counts[2] += bool(len(hit)) and bool((hit["first_day"] <= e.first).any())
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def delays(series: pd.DataFrame, events: list[Event], most: int = 14) -> dict[str, list[int | None]]:
    """Per planted kind, the days from each event's first day to the morning check that first
    finds it (0: the check of its first day, the morning after), None when not within ``most``."""
    out: dict[str, list[int | None]] = {}
    for e in events:
        mine = series[series["login"] == e.login]
        delay: int | None = None
        for k in range(most + 1):
            day = e.first + dt.timedelta(days=k)
            found = incidents(mine[mine["period_start"] <= pd.Timestamp(day)], "credit", end=day)
            hit = found[found["kind"].isin(FINDS[e.kind]) & (found["last_day"] >= e.first)]
            if len(hit):
                delay = k
                break
        out.setdefault(e.kind, []).append(delay)
    return out


class _Recorder:
    """A channel that keeps what it is sent (a chat's incoming webhook, in effect)."""

    name, key = "recorder", "recorder:1"

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
        self.sent.append({"payload": payload, "text": text})


class _Account:
    """What :func:`~smsstats_nb.alerts.check` reads of a client: the daily series (here from the
    generated year, as the cache would answer), the service and the store (a real SQLite file)."""

    def __init__(self, series: pd.DataFrame, state: Path) -> None:
        self.series = series
        self.settings = SimpleNamespace(base_url="https://smsc.ru")
        self.transport = SimpleNamespace(identity="bench", store=LocalStore(None, state))

    def fetch_series(self, start: dt.date, end: dt.date, freq: str, progress: object = None) -> pd.DataFrame:
        days = self.series["period_start"]
        return self.series[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))].reset_index(drop=True)


def mornings(series: pd.DataFrame, events: list[Event]) -> dict[str, Any]:
    """A cron ``alerts check --since 2024-01-01`` every morning of the year, through the real check
    (its digest, its alert log in SQLite): alerts and messages per morning, and the morning each
    fraud was first messaged."""
    recorder = _Recorder()
    per_morning: list[tuple[dt.date, int, int]] = []
    with tempfile.TemporaryDirectory() as state:
        account = _Account(series, Path(state))
        day = YEAR
        while day <= LAST:
            before = len(recorder.sent)
            report = check(account, YEAR, channels=[recorder], end=day, progress=False)  # type: ignore[arg-type]
            per_morning.append((day + dt.timedelta(days=1), len(report.sent), len(recorder.sent) - before))
            day += dt.timedelta(days=1)
    first_told: dict[tuple[str, dt.date], dt.date] = {}
    told: dict[str, dt.date] = {}  # each alert's first morning
    index = 0
    for m, _, n in per_morning:
        for message in recorder.sent[index : index + n]:
            for a in message["payload"]["alerts"]:
                key = f"{a['login']}|{a['kind']}|{a['first_day']}"
                told.setdefault(key, m)
        index += n
    for e in events:
        if e.kind != "fraud":
            continue
        dates = [
            told[k]
            for k in told
            if k.startswith(e.login + "|")
            and k.split("|")[1] in FINDS["fraud"]
            and e.first - dt.timedelta(days=3) <= dt.date.fromisoformat(k.split("|")[2]) <= e.last
        ]
        first_told[(e.login, e.first)] = min(dates) if dates else dt.date.max
    return {"per_morning": per_morning, "fraud_told": first_told}


def run(logins: int = 300, noise: float = 0.12, seed: int = 7) -> dict[str, Any]:
    """The year's headline figures without the morning checks (for ``run_all.py``)."""
    series, events, facts = generate(logins, noise, seed)
    found = incidents(series, "credit", end=LAST)
    found = found[found["last_day"] >= YEAR].reset_index(drop=True)
    causes = classify(found, events, facts)
    cal = found[causes == "calendar"]
    per_period = [
        int(((cal["first_day"] >= a - dt.timedelta(days=1)) & (cal["first_day"] <= b + dt.timedelta(days=1))).sum())
        for _, a, b in holiday_periods()
    ]
    hits = recall(found, events)
    return {
        "incidents": len(found),
        "noise": int((causes == "noise").sum()),
        "new_series": int((causes == "new series").sum()),
        "calendar_worst_share": max(per_period) / logins,
        "recall": {k: (v[0], v[1]) for k, v in hits.items()},
        "lasting_drop_days": delays(series, [e for e in events if e.kind == "lasting drop"])["lasting drop"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.12)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-mornings", action="store_true", help="skip the 366 morning checks")
    args = parser.parse_args(argv)
    series, events, facts = generate(args.logins, args.noise, args.seed)
    t0 = time.perf_counter()
    found = incidents(series, "credit", end=LAST)
    seconds = time.perf_counter() - t0
    found = found[found["last_day"] >= YEAR].reset_index(drop=True)
    causes = classify(found, events, facts)
    print(f"a reseller's year: {args.logins} logins, noise {args.noise:.0%}, seed {args.seed}, {len(series)} rows")
    print(f"incidents over the year: {len(found)} in {seconds:.2f} s")
    for cause in ("planted", "calendar", "new series", "noise"):
        print(f"  {cause:<12} {int((causes == cause).sum())}")
    print("  by kind:", dict(Counter(found["kind"])))
    cal = found[causes == "calendar"]
    print("calendar-caused incidents per holiday period (share of the logins):")
    for name, a, b in holiday_periods():
        near = (cal["first_day"] >= a - dt.timedelta(days=1)) & (cal["first_day"] <= b + dt.timedelta(days=1))
        k = int(near.sum())
        print(f"  {name:<28} {k:>3}  {k / args.logins:.1%}")
    print("recall per planted kind (found / planted; found by the morning after the first day):")
    for kind, (hit, total, early) in recall(found, events).items():
        print(f"  {kind:<13} {hit}/{total}  ({early} on the first day)")
    print("days from the first day to the morning check that finds it (0: the very next morning):")
    for kind, days in delays(series, events).items():
        shown = ", ".join("-" if d is None else str(d) for d in days)
        print(f"  {kind:<13} {shown}")
    noise = found[causes == "noise"]
    print(f"noise incidents per 1,000 login-days: {1000 * len(noise) / (args.logins * 366):.3f}")
    if not args.no_mornings:
        t0 = time.perf_counter()
        result = mornings(series, events)
        per = result["per_morning"]
        alerts = [a for _, a, _ in per]
        worst_day, worst_alerts, _ = max(per, key=lambda m: m[1])
        busy = sum(1 for a in alerts if a)
        print(
            f"a cron alerts check every morning ({time.perf_counter() - t0:.0f} s for {len(per)} mornings): "
            f"{sum(alerts)} alerts on {busy} mornings, the most {worst_alerts} (the morning of {worst_day}); "
            f"messages per channel: the most {max(m for _, _, m in per)} a morning, {sum(m for _, _, m in per)} "
            f"in the year"
        )
        late = {k: v for k, v in result["fraud_told"].items() if v > k[1] + dt.timedelta(days=1)}
        print(
            f"frauds messaged by the morning after their first day: {len(result['fraud_told']) - len(late)}/"
            f"{len(result['fraud_told'])}" + (f" (late: {late})" if late else "")
        )


if __name__ == "__main__":
    main()
