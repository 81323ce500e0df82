"""The day judgement of :func:`~smsstats_nb.analysis.incidents`: each (login, currency) column
walked day by day, every day against a robust baseline of its own class of days (the production
calendar's), the anomalous days grouped into whole incidents.

A column is walked by :class:`_Column` (volumes: spikes, drops, silences, lasting levels) and by
:class:`_Prices` (the price of a message); :func:`judge` walks them all and then names the
currency switches. The kinds, and what finds them:

- ``spike`` / ``drop``: a day's robust score ``(value - baseline) / spread`` at ``threshold`` or
  beyond (5 by default);
- ``silent``: a run of zero days whose **Poisson** probability is below ``exp(-threshold² / 2)``
  (the same tail as the score's): ``exp(-expected messages)`` summed over the run, or the login's
  own rate of zero days where its baseline has some. A login of 15 messages a day is silent on its
  first empty working day, one of 2 a day after a week;
- ``level``: a lasting shift, found by a two-sided **CUSUM** (Page, 1954) on the robust scores of
  the ordinary days, clipped at ``threshold`` (so one wild day does not make a level), with
  reference value ``CUSUM_K`` and decision interval ``CUSUM_H``: a drop to 30 % of a large login
  is found on its third day, to 70 % within two weeks. The incident starts where the sum left zero
  (the change point); the baseline then follows the new level, scaled by the median ratio of the
  shifted days to their baselines. Two days back near the old level end it (resolved, the old
  baseline restored); after ``LEVEL_SETTLES`` days it is the new normal and ends;
- ``price``: ``credit / sms`` per day against the median of the last ``PRICE_DAYS`` priced days
  (spread at least ``PRICE_FLOOR`` of it): fraud's expensive routes, a tariff change. A price that
  holds ``PRICE_SETTLES`` days is the new price and ends the incident;
- ``currency``: a silence of a login whose traffic began in another currency in the fortnight
  before (it starts paying in KZT): one event naming the new currency, never "sent no messages";
- ``new`` (only on request): a series that begins after the first day.

A series that begins after the first day is not judged for ``weeks`` weeks (its first days are not
"spikes" against an empty history).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._calendar import HOLIDAY, MOVED_WORKDAY, SATURDAY, SUNDAY, ProductionCalendar

__all__ = [
    "CUSUM_H",
    "CUSUM_K",
    "KINDS",
    "LEVEL_SETTLES",
    "PRICE_DAYS",
    "PRICE_FLOOR",
    "PRICE_SETTLES",
    "Judging",
    "as_calendar",
    "judge",
]

#: The kinds of incident, in the order a digest names them when equally bad.
KINDS = ("spike", "price", "silent", "drop", "level", "currency", "new")
#: CUSUM's reference value and decision interval, in robust scores.
CUSUM_K, CUSUM_H = 1.0, 10.0
#: Days after which a shifted level is the new normal (its incident ends).
LEVEL_SETTLES = 56
#: The price baseline: the last priced days, how many it needs, its smallest spread (a share).
PRICE_DAYS, PRICE_MIN, PRICE_FLOOR = 14, 7, 0.03
#: Days a new price must hold to become the price.
PRICE_SETTLES = 7
#: How long before a silence the other currency's traffic may begin for it to be a switch.
SWITCH_DAYS = 14

#: Which baselines a day of each class feeds: its own, and a working weekday the working pool, a
#: Sunday the non-working pool (a holiday and a moved working day feed only their pool).
_FEEDS = {0: (0, MOVED_WORKDAY), 1: (1, MOVED_WORKDAY), 2: (2, MOVED_WORKDAY), 3: (3, MOVED_WORKDAY),
          4: (4, MOVED_WORKDAY), SATURDAY: (SATURDAY,), SUNDAY: (SUNDAY, HOLIDAY), HOLIDAY: (HOLIDAY,),
          MOVED_WORKDAY: (MOVED_WORKDAY,)}  # fmt: skip

Day = tuple[int, float, float, float]  # (day index, value, baseline, score)


@dataclass(frozen=True)
class Judging:
    """The judgement's parameters (checked by ``check_judging``)."""

    weeks: int = 4
    threshold: float = 5.0
    min_history: int = 3
    floor_share: float = 0.15
    new_series: bool = False


@dataclass
class Found:
    """One incident of one column: its kind and its days."""

    kind: str
    column: int
    days: list[Day] = field(default_factory=list)
    last: int = -1
    ongoing: bool = False
    new_currency: str | None = None

    def add(self, day: Day) -> None:
        self.days.append(day)
        self.last = day[0]


def as_calendar(calendar: ProductionCalendar | str | None) -> ProductionCalendar:
    """A calendar from a country code, a calendar, or None (the plain week)."""
    return calendar if isinstance(calendar, ProductionCalendar) else ProductionCalendar(calendar)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class _Column:
    """The volume walk of one column (see the module docstring)."""

    def __init__(self, rules: Judging, column: int, unit: float, warm: int) -> None:
        self.rules = rules
        self.column = column
        self.unit = unit
        self.warm = warm  # days not judged after the series begins
        self.start: int | None = None
        self.hist: list[deque[float]] = [deque(maxlen=rules.weeks) for _ in range(9)]
        self.saved: list[deque[float]] | None = None  # the old level's history while a level is open
        self.open: Found | None = None  # spike, drop or silent
        self.level: Found | None = None
        self.back = 0  # days in a row back near the old level
        self.run: list[tuple[Day, int]] = []  # zero days not (yet) a silence, with their class
        self.evidence = 0.0
        self.cusum = [0.0, 0.0]  # up, down
        self.since: list[int | None] = [None, None]
        self.recent: deque[Day] = deque(maxlen=7 * rules.weeks)
        self.found: list[Found] = []

    # the baseline of a class
    def baseline(self, hist: deque[float], value: float) -> tuple[float, float]:
        values = list(hist)
        base = _median(values)
        mad = _median([abs(v - base) for v in values])
        expected = abs(base)
        counting = math.sqrt(max(expected, value) * self.unit)
        return base, max(1.4826 * mad, self.rules.floor_share * expected, counting, 1.0)

    def feed(self, klass: int, value: float) -> None:
        for slot in _FEEDS[klass]:
            self.hist[slot].append(value)

    def close(self, which: str = "open") -> None:
        found = getattr(self, which)
        if found is not None:
            self.found.append(found)
        setattr(self, which, None)

    def step(self, d: int, klass: int, value: float) -> None:
        if self.start is None:
            if value == 0:
                return
            self.start = d
        hist = self.hist[klass]
        if len(hist) < self.rules.min_history or d - self.start < self.warm:
            self.feed(klass, value)
            return
        if self.level is not None and self._returned(d, klass, value):
            return
        base, spread = self.baseline(self.hist[klass], value)
        score = (value - base) / spread
        day = (d, value, base, score)
        if value == 0:
            self._zero(day, klass)
            return
        self._end_run()
        threshold = self.rules.threshold
        kind = "spike" if score >= threshold else "drop" if score <= -threshold else None
        if self.open is not None and self.open.kind != kind:
            self.close()
        if kind is not None:
            if self.open is None:
                self.open = Found(kind, self.column)
            self.open.add(day)
            self.cusum, self.since = [0.0, 0.0], [None, None]
            if kind == "spike":  # the median shrugs off a day or two; a lasting rise is a level
                self.feed(klass, value)
            return
        if self.level is not None:
            self.level.add(self._against_old(day, klass))
        else:
            self._cusum(day)
        self.feed(klass, value)

    def _zero(self, day: Day, klass: int) -> None:
        d, _, base, score = day
        if self.open is not None and self.open.kind == "silent":
            self.open.add(day)
            return
        if self.open is not None and self.open.kind == "drop" and base == 0:
            self.open.last = d  # a drop goes on across a day with nothing expected
            return
        if self.unit > 0:
            expected = max(base, 0.0) / self.unit  # messages
            hist = self.hist[klass]
            zeros = sum(1 for v in hist if v == 0)
            evidence = expected if zeros == 0 else min(expected, -math.log(zeros / len(hist)))
        else:  # payments are not counts: the score alone
            evidence = score * score / 2 if score < 0 else 0.0
        self.run.append((day, klass))
        self.evidence += evidence
        if self.evidence >= self.rules.threshold**2 / 2:
            self.close()
            self.close("level")
            self.saved = None
            self.open = Found("silent", self.column)
            begun = [past for past, _ in self.run]
            while begun[0][2] <= 0:  # it begins on the first day something was expected
                begun.pop(0)
            for past in begun:
                self.open.add(past)
            self.run, self.evidence = [], 0.0
            self.cusum, self.since = [0.0, 0.0], [None, None]

    def _end_run(self) -> None:
        if self.open is not None and self.open.kind == "silent":
            self.close()  # traffic is back: the silence is over (its return is no spike)
        for (_, value, _, _), klass in self.run:  # zero days that were no silence: ordinary
            self.feed(klass, value)
        self.run, self.evidence = [], 0.0

    def _cusum(self, day: Day) -> None:
        d, score = day[0], day[3]
        self.recent.append(day)
        clipped = max(-self.rules.threshold, min(self.rules.threshold, score))
        for side, step in enumerate((clipped - CUSUM_K, -clipped - CUSUM_K)):
            total = max(0.0, self.cusum[side] + step)
            if total > 0 and self.cusum[side] == 0:
                self.since[side] = d
            self.cusum[side] = total
        for side in (0, 1):
            if self.cusum[side] >= CUSUM_H:
                first = self.since[side]
                days = [x for x in self.recent if first is not None and x[0] >= first]
                # the change point: the first day as far off as half the shifted days' median
                half = abs(_median([x[3] for x in days])) / 2
                while len(days) > 1 and abs(days[0][3]) < half:
                    days.pop(0)
                ratios = [x[1] / x[2] for x in days if x[2] > 0]
                scale = _median(ratios) if ratios else 1.0
                self.level = Found("level", self.column, [])
                for x in days:
                    self.level.add(x)
                self.saved = [deque(h, maxlen=self.rules.weeks) for h in self.hist]
                for h in self.hist:  # the baseline follows the new level
                    scaled = [v * scale for v in h]
                    h.clear()
                    h.extend(scaled)
                self.cusum, self.since, self.back = [0.0, 0.0], [None, None], 0
                return

    def _against_old(self, day: Day, klass: int) -> Day:
        """A day of an open level, judged against the old level (what the incident reports)."""
        assert self.saved is not None
        d, value, _, _ = day
        old = self.saved[klass]
        if len(old) < self.rules.min_history:
            return day
        base, spread = self.baseline(old, value)
        return (d, value, base, (value - base) / spread)

    def _returned(self, d: int, klass: int, value: float) -> bool:
        """Whether the day belongs to a return to the old level (it ends the level on the second
        such day, and restores the old baseline); True for a day kept out of the judgement."""
        assert self.level is not None and self.saved is not None
        if d - self.level.days[0][0] >= LEVEL_SETTLES:
            self.close("level")  # the new normal
            self.saved = None
            return False
        old, new = self.saved[klass], self.hist[klass]
        if len(old) < self.rules.min_history or not len(new):
            return False
        near = abs(value - _median(list(old))) < abs(value - _median(list(new)))
        self.back = self.back + 1 if near else 0
        if self.back < 2:
            return near  # the first day back is neither judged nor fed
        self.hist, self.saved = self.saved, None
        self.close("level")
        self.back = 0
        return False

    def finish(self, last: int) -> list[Found]:
        for which in ("open", "level"):
            found: Found | None = getattr(self, which)
            if found is not None:
                found.ongoing = found.last == last
                self.close(which)
        return self.found


class _Prices:
    """The price walk of one column: ``credit / sms`` on the days with messages.

    A day's price wobbles with the mix of operators and routes, the more the fewer its messages:
    the spread of a day of ``n`` messages is ``sigma / sqrt(n)``, ``sigma`` the robust spread of
    the history's ``(price - median) * sqrt(n)``, and at least :data:`PRICE_FLOOR` of the price.
    Only a rise is an incident (a cheaper day is nobody's fraud)."""

    def __init__(self, rules: Judging, column: int, warm: int) -> None:
        self.rules = rules
        self.column = column
        self.warm = warm
        self.start: int | None = None
        self.hist: deque[tuple[float, float]] = deque(maxlen=PRICE_DAYS)  # (price, messages)
        self.open: Found | None = None
        self.found: list[Found] = []

    def step(self, d: int, sms: float, credit: float) -> None:
        if sms < 1 or credit <= 0:
            return
        price = credit / sms
        if self.start is None:
            self.start = d
        if len(self.hist) < PRICE_MIN or d - self.start < self.warm:
            self.hist.append((price, sms))
            return
        base = _median([p for p, _ in self.hist])
        sigma = 1.4826 * _median([abs(p - base) * math.sqrt(n) for p, n in self.hist])
        spread = max(sigma / math.sqrt(sms), PRICE_FLOOR * base, 1e-9)
        score = (price - base) / spread
        high = score >= self.rules.threshold
        if self.open is not None:
            if high:
                self.open.add((d, price, self.open.days[0][2], score))
                if len(self.open.days) >= PRICE_SETTLES:  # the new price: it ends the incident
                    self.hist = deque([(x[1], sms) for x in self.open.days], maxlen=PRICE_DAYS)
                    self.found.append(self.open)
                    self.open = None
                return
            self.found.append(self.open)
            self.open = None
        if high:
            self.open = Found("price", self.column, [(d, price, base, score)], d)
        else:
            self.hist.append((price, sms))

    def finish(self, last: int) -> list[Found]:
        if self.open is not None:
            self.open.ongoing = self.open.last == last
            self.found.append(self.open)
        return self.found


def judge(
    wide: pd.DataFrame,
    rules: Judging,
    unit: np.ndarray,
    calendar: ProductionCalendar | None = None,
    *,
    sms: pd.DataFrame | None = None,
    credit: pd.DataFrame | None = None,
) -> list[Found]:
    """Every incident of every column of ``wide`` (one column per (login, currency), a row per
    day); with ``sms`` and ``credit`` of the same shape, the price incidents too."""
    if wide.empty or not len(wide.columns):
        return []
    calendar = calendar or ProductionCalendar(None)
    days = [d.date() for d in wide.index]
    classes = [calendar.day_class(day) for day in days]
    values = wide.to_numpy(dtype=float)
    counts = sms.to_numpy(dtype=float) if sms is not None else None
    money = credit.to_numpy(dtype=float) if credit is not None else None
    n_days, n_cols = values.shape
    last = n_days - 1
    found: list[Found] = []
    starts: list[int | None] = []
    for c in range(n_cols):
        column = values[:, c].tolist()
        first = next((d for d, v in enumerate(column) if v != 0), None)
        starts.append(first)
        warm = 7 * rules.weeks if first else 0  # a series that begins later waits for its baseline
        walk = _Column(rules, c, float(unit[c]), warm)
        for d in range(first or 0, n_days) if first is not None else ():
            walk.step(d, classes[d], column[d])
        found.extend(walk.finish(last))
        if counts is not None and money is not None:
            prices = _Prices(rules, c, warm)
            for d, (n, m) in enumerate(zip(counts[:, c].tolist(), money[:, c].tolist(), strict=True)):
                prices.step(d, n, m)
            found.extend(prices.finish(last))
        if rules.new_series and first:
            found.append(Found("new", c, [(first, column[first], 0.0, 0.0)], first))
    _switches(found, [(str(k[0]), str(k[1])) for k in wide.columns], starts)
    return found


def _switches(found: list[Found], columns: list[tuple[str, str]], starts: list[int | None]) -> None:
    """A silence of a login whose traffic began in another currency shortly before is a switch."""
    by_login: dict[str, list[int]] = {}
    for c, key in enumerate(columns):
        by_login.setdefault(str(key[0]), []).append(c)
    for item in found:
        if item.kind != "silent":
            continue
        begun = item.days[0][0]
        for other in by_login[str(columns[item.column][0])]:
            start = starts[other]
            if other != item.column and start and begun - SWITCH_DAYS <= start <= begun:
                item.kind, item.new_currency = "currency", str(columns[other][1])
                break


def rows(found: list[Found], columns: list[tuple[str, str]], days: list[dt.date]) -> list[list[object]]:
    """The incident rows of :data:`~smsstats_nb.analysis.INCIDENT_COLUMNS`."""
    out: list[list[object]] = []
    for item in found:
        values = np.array([x[1] for x in item.days], dtype=float)
        baselines = np.array([x[2] for x in item.days], dtype=float)
        scores = np.array([x[3] for x in item.days], dtype=float)
        if item.kind in ("spike", "new"):
            peak = int(np.argmax(values))
            value, baseline, score = values[peak], baselines[peak], scores[peak]
        elif item.kind == "price":  # the new price against the old
            value, baseline = float(np.median(values)), float(baselines[0])
            score = scores[int(np.argmax(np.abs(scores)))]
        else:
            value, baseline = values.sum(), baselines.sum()
            score = scores[int(np.argmax(np.abs(scores)))]
        first, last = days[item.days[0][0]], days[item.last]
        login, currency = str(columns[item.column][0]), str(columns[item.column][1])
        out.append([
            login, currency, item.kind, first, last, (last - first).days + 1, item.ongoing,
            float(value), float(baseline), float(score), item.new_currency,
        ])  # fmt: skip
    return out
