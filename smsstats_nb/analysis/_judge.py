"""The day judgement of :func:`~smsstats_nb.analysis.incidents`: every (login, currency) column
walked day by day against a robust baseline of its own class of days (the production calendar's),
the anomalous days grouped into whole incidents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._calendar import HOLIDAY, MOVED_WORKDAY, SATURDAY, SUNDAY, ProductionCalendar

__all__ = ["KINDS", "as_calendar", "judge"]


@dataclass
class _Open:
    """An incident still open while the days are walked."""

    kind: int
    first: dt.date
    last: dt.date
    values: list[float] = field(default_factory=list)
    baselines: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def as_calendar(calendar: ProductionCalendar | str | None) -> ProductionCalendar:
    """A calendar from a country code, a calendar, or None (the plain week)."""
    return calendar if isinstance(calendar, ProductionCalendar) else ProductionCalendar(calendar)


def judge(
    wide: pd.DataFrame,
    weeks: int,
    threshold: float,
    min_history: int,
    floor_share: float,
    unit: np.ndarray,
    judged: list[tuple[int, int, int, float, float, float]] | None = None,
    calendar: ProductionCalendar | None = None,
) -> list[list[object]]:
    """Walk the days in order, every (login, currency) column at once; ``judged`` (if given)
    receives each anomalous day as ``(day index, column, kind, value, baseline, score)``.

    Each day is judged within its class of the production calendar: a working weekday against the
    same weekday's working days, a Saturday or a Sunday against its own, a holiday against the
    non-working days (Sundays and holidays), a weekend day made a working day against the working
    days. A holiday never enters a weekday's baseline."""
    if wide.empty or not len(wide.columns):
        return []
    values = wide.to_numpy()
    days = [d.date() for d in wide.index]
    n_days, n_cols = values.shape
    calendar = calendar or ProductionCalendar(None)
    # the last `weeks` ordinary values per class: weekdays 0-6, then the non-working and the
    # working pools (Sundays and holidays; working weekdays and moved working days)
    history = np.full((9, weeks, n_cols), np.nan)
    kind_now = np.zeros(n_cols, dtype=np.int8)  # 0 none, 1 spike, 2 drop, 3 silent (the open incident)
    open_rows: list[_Open | None] = [None] * n_cols
    found: list[list[object]] = []
    names = [(str(k[0]), str(k[1])) for k in wide.columns]

    def close(col: int) -> None:
        row = open_rows[col]
        if row is not None:
            found.append(_row(row, names[col], ongoing=False))
        open_rows[col] = None
        kind_now[col] = 0

    for d in range(n_days):
        klass = calendar.day_class(days[d])
        hist = history[klass]
        value = values[d]
        counted = (~np.isnan(hist)).sum(axis=0)
        enough = counted >= min_history
        # a column without history yet is zeros here (its result is masked just below): nanmedian
        # of an all-NaN column warns, and silencing warnings is not thread-safe (several accounts)
        known = np.where(counted > 0, hist, 0.0)
        base = np.nanmedian(known, axis=0)
        mad = np.nanmedian(np.abs(known - base), axis=0)
        base = np.where(enough, base, np.nan)
        expected = np.abs(np.nan_to_num(base))
        # Poisson: √(messages) × price = √(money × price), of the larger of the expected and the
        # observed (a day of 6 messages against 1 is chance, not a fraud)
        counting = np.sqrt(np.maximum(expected, value) * unit)
        spread = np.maximum.reduce([1.4826 * np.nan_to_num(mad), floor_share * expected, counting, np.ones(n_cols)])
        with np.errstate(invalid="ignore"):
            score = np.where(enough, (value - base) / spread, 0.0)
        kind = np.zeros(n_cols, dtype=np.int8)
        kind[enough & (score >= threshold)] = 1
        low = enough & (score <= -threshold)
        kind[low & (value > 0)] = 2
        kind[low & (value == 0)] = 3
        # a silence goes on while nothing arrives; a drop goes on across a day with nothing expected
        quiet = enough & (np.nan_to_num(base) == 0) & (value == 0)
        kind[(kind_now == 3) & (value == 0)] = 3
        carry = (kind_now == 2) & quiet
        for col in np.nonzero((kind != kind_now) & ~carry)[0]:
            close(int(col))
        for col in np.nonzero(kind > 0)[0]:
            c = int(col)
            row = open_rows[c]
            due = 0.0 if np.isnan(base[c]) else float(base[c])
            if judged is not None:
                judged.append((d, c, int(kind[c]), float(value[c]), due, float(score[c])))
            if row is None:
                row = _Open(int(kind[c]), days[d], days[d])
                open_rows[c] = row
                kind_now[c] = kind[c]
            row.last = days[d]
            row.values.append(float(value[c]))
            row.baselines.append(due)
            row.scores.append(float(score[c]))
        for col in np.nonzero(carry & (kind == 0))[0]:
            row = open_rows[int(col)]
            if row is not None:
                row.last = days[d]
        # a drop or a silence never enters the baseline (it lasts until traffic comes back); a spike
        # does, where the median shrugs off a day or two, so a lasting rise becomes the new normal
        # within weeks instead of being a spike for ever
        ordinary = ((kind == 0) | (kind == 1)) & ~carry
        if ordinary.any():
            for slot in _FEEDS[klass]:
                pool = history[slot]
                pool[:-1, ordinary] = pool[1:, ordinary]
                pool[-1, ordinary] = value[ordinary]
    for i in range(n_cols):
        row = open_rows[i]
        if row is not None:
            found.append(_row(row, names[i], ongoing=row.last == days[-1]))
    return found


KINDS = {1: "spike", 2: "drop", 3: "silent"}


#: Which baselines a day of each class feeds: its own, and a working weekday the working pool, a
#: Sunday the non-working pool (a holiday and a moved working day feed only their pool).
_FEEDS = {0: (0, MOVED_WORKDAY), 1: (1, MOVED_WORKDAY), 2: (2, MOVED_WORKDAY), 3: (3, MOVED_WORKDAY),
          4: (4, MOVED_WORKDAY), SATURDAY: (SATURDAY,), SUNDAY: (SUNDAY, HOLIDAY), HOLIDAY: (HOLIDAY,),
          MOVED_WORKDAY: (MOVED_WORKDAY,)}  # fmt: skip


def _row(row: _Open, name: tuple[str, str], *, ongoing: bool) -> list[object]:
    values = np.array(row.values, dtype=float)
    baselines = np.array(row.baselines, dtype=float)
    scores = np.array(row.scores, dtype=float)
    kind = KINDS[row.kind]
    if kind == "spike":
        peak = int(np.argmax(values))
        value, baseline, score = values[peak], baselines[peak], scores[peak]
    else:
        value, baseline, score = values.sum(), baselines.sum(), scores.min()
    days = (row.last - row.first).days + 1
    return [name[0], name[1], kind, row.first, row.last, days, ongoing, float(value), float(baseline), float(score)]
