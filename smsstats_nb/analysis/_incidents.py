"""Incidents in a daily series: spikes, drops and silences, each from its first to its last day.

:func:`incidents` judges every day of every (login, currency) against a **baseline that leaves the
incidents out**: the median of the last ``weeks`` *ordinary* days of the same weekday. A day that
of a drop or a silence never enters the baseline, so a login that goes silent for a month is still
judged against what it sent before the outage, and the silence lasts until traffic comes back,
however long (a baseline over the last four calendar weeks would reach zero after a few weeks and
call the broken integration normal again). Spike days do enter it: the median shrugs off a day or
two, and a rise that lasts becomes the new normal within a few weeks instead of a spike for ever.

The method, for each day:

* **baseline**: the median of the last ``weeks`` ordinary same-weekday values (a quiet Sunday is
  compared with Sundays), judged only once ``min_history`` of them exist;
* **spread**: 1.4826 × their median absolute deviation (a robust standard deviation), at least
  ``floor_share`` × the baseline, at least the counting noise of that many messages (√ of the
  expected or the observed messages, whichever is larger, in money at the login's own price per
  message: a login of ten messages a day swings by three from chance alone) and at least one unit;
* **score** = (value − baseline) / spread; ``|score| >= threshold`` (5 by default) is anomalous:
  a ``spike`` above, a ``drop`` below, ``silent`` for a zero;
* consecutive anomalous days of one kind are **one incident**. A silence goes on while the value
  stays zero (a weekend on which nothing is expected does not end it); a drop goes on across days
  when nothing is expected either.

Missing days count as zero (the service leaves a login without traffic out of its answer). Each
currency of a login is judged on its own. The false-alarm rate on clean synthetic traffic
(weekly rhythm, noise, a trend) is measured by ``benchmarks/bench_incidents.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core import QueryError, finite_number, renamed, said

__all__ = [
    "DAY_COLUMNS",
    "INCIDENT_COLUMNS",
    "METRICS",
    "check_judging",
    "check_metric",
    "check_series",
    "daily_wide",
    "flag_anomalies",
    "incident_days",
    "incidents",
]

#: The figures a person may watch.
METRICS = ("sms", "credit", "debit")
_STATS = {"login", "sms", "credit", "debit", "currency"}
INCIDENT_COLUMNS = [
    "login",
    "currency",
    "kind",
    "first_day",
    "last_day",
    "days",
    "ongoing",
    "value",
    "baseline",
    "score",
]
_DTYPES = ["string", "string", "object", "object", "object", "int64", "bool", "float64", "float64", "float64"]


def check_series(df: object, name: str = "series") -> pd.DataFrame:
    """``df`` if it is a daily series frame, else a QueryError saying what is wrong."""
    if not isinstance(df, pd.DataFrame) or not set(df.columns) >= _STATS:
        raise said(QueryError, "{name} must be a stats DataFrame (login, sms, credit, debit, currency)", name=name)
    if "period_start" not in df.columns:
        raise said(QueryError, "{name} must be a series (with period_start): fetch_series(..., freq='D')", name=name)
    if "period_end" in df.columns and len(df) and (df["period_end"] != df["period_start"]).any():
        raise said(QueryError, "{name} must be a daily series (freq='D'); this one has longer periods", name=name)
    return df


def check_metric(metric: object) -> str:
    """``metric`` if it is one of :data:`METRICS`."""
    if metric not in METRICS:
        raise said(QueryError, "metric must be 'sms', 'credit' or 'debit', not {metric}", metric=repr(metric))
    return str(metric)


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise said(
            QueryError, "{name} must be a whole number >= {low}, not {value}", name=name, low=low, value=repr(value)
        )
    return value


def check_judging(weeks: object, threshold: object, min_history: object, floor_share: object) -> None:
    """The baseline's parameters (shared by :func:`incidents` and ``flag_anomalies``), or a QueryError."""
    _whole("weeks", weeks, 1)
    _whole("min_history", min_history, 1)
    if min_history > weeks:  # type: ignore[operator]
        raise said(
            QueryError,
            "min_history ({min_history}) cannot exceed weeks ({weeks})",
            min_history=min_history,
            weeks=weeks,
        )
    finite_number("threshold", threshold)
    finite_number("floor_share", floor_share, zero=True)


def daily_wide(
    series: pd.DataFrame, metric: str, *, first: dt.date | None = None, last: dt.date | None = None
) -> pd.DataFrame:
    """``metric`` as one column per (login, currency) and one row per day from ``first`` to
    ``last`` (default: the series' own first and last day), missing days as zero."""
    keyed = series.assign(login=series["login"].astype(str), currency=series["currency"].astype(str))
    if keyed.empty:
        wide = pd.DataFrame(columns=pd.MultiIndex.from_tuples([], names=["login", "currency"]), dtype=float)
    else:
        wide = keyed.pivot_table(
            index="period_start", columns=["login", "currency"], values=metric, aggfunc="sum", observed=True
        )
    start = pd.Timestamp(first) if first is not None else (wide.index.min() if len(wide) else None)
    end = pd.Timestamp(last) if last is not None else (wide.index.max() if len(wide) else None)
    if start is None or end is None:
        return wide.astype(float)
    days = pd.date_range(start, end, freq="D")
    return wide.reindex(days).fillna(0.0).astype(float)


@renamed(through="end")
def incidents(
    series: pd.DataFrame,
    metric: str = "credit",
    *,
    weeks: int = 4,
    threshold: float = 5.0,
    min_history: int = 3,
    floor_share: float = 0.15,
    end: dt.date | str | None = None,
) -> pd.DataFrame:
    """The incidents of a daily series: one row per spike, drop or silence, whole.

    Args:
        series: a daily series frame (``fetch_series(..., freq="D")``).
        metric: ``"credit"`` (spent, the default), ``"sms"`` or ``"debit"``.
        weeks: how many ordinary same-weekday days form the baseline.
        threshold: the robust score at or beyond which a day is anomalous.
        min_history: the fewest ordinary same-weekday days a baseline needs (earlier days are not
            judged).
        floor_share: the smallest spread, as a share of the baseline: 0.15, so a day 75 % above
            its baseline is the smallest spike (on traffic that swings ±12 % from day to day, 0.10
            raised 30 times the false alarms in ``benchmarks/bench_incidents.py``).
        end: the last day judged (default: the series' last day); a login silent to the end is
            silent through it, and an incident that reaches it is ``ongoing`` (``through=``, the
            0.1 name, still works in 0.2).

    Returns:
        One row per incident: ``login, currency, kind`` (``spike``, ``drop``, ``silent``),
        ``first_day, last_day`` (dates), ``days``, ``ongoing`` (it reaches ``end``),
        ``value`` (a spike's peak day; a drop's or a silence's total over the incident),
        ``baseline`` (the same, expected: the baseline of the peak day, or the baselines summed
        over the incident) and ``score`` (the most extreme day's). Sorted by first day, login and
        currency; ``attrs`` names the metric, the thresholds, ``through`` and ``judged_from`` (the
        first day with enough history: the series' first day + ``min_history`` weeks).

    Raises:
        QueryError: not a daily series, an unknown metric or a bad threshold.
    """
    check_series(series)
    check_metric(metric)
    check_judging(weeks, threshold, min_history, floor_share)
    last = None if end is None else pd.Timestamp(end).date()
    if last is not None and len(series) and last < series["period_start"].max().date():
        series = series[series["period_start"] <= pd.Timestamp(last)]
    wide = daily_wide(series, metric, last=last) if len(series) else daily_wide(series, metric)
    found = _judge(wide, weeks, threshold, min_history, floor_share, _unit(series, wide, metric))
    out = pd.DataFrame(found, columns=INCIDENT_COLUMNS)
    out = out.astype(dict(zip(INCIDENT_COLUMNS, _DTYPES, strict=True)))
    out = out.sort_values(["first_day", "login", "currency"], kind="stable").reset_index(drop=True)
    judged_to = wide.index.max().date() if len(wide) else last
    judged_from = (wide.index.min() + pd.Timedelta(days=7 * min_history)).date() if len(wide) else None
    out.attrs.update(
        judged_from=judged_from.isoformat() if judged_from else None,
        metric=metric,
        weeks=weeks,
        threshold=float(threshold),
        min_history=min_history,
        floor_share=float(floor_share),
        through=judged_to.isoformat() if judged_to else None,
    )
    return out


#: The columns of :func:`flag_anomalies`.
DAY_COLUMNS = ["period_start", "login", "currency", "value", "baseline", "deviation", "score", "kind"]
_DAY_DTYPES = ["datetime64[ns]", "string", "string", "float64", "float64", "float64", "float64", "object"]


def flag_anomalies(
    series: pd.DataFrame,
    metric: str = "credit",
    *,
    weeks: int = 4,
    threshold: float = 5.0,
    min_history: int = 3,
    floor_share: float = 0.15,
) -> pd.DataFrame:
    """Days whose ``metric`` for a login departs from that login's own weekday baseline: each day
    :func:`incidents` judges anomalous, one row per day, login and currency (the same walk, the
    same baseline of ordinary days and the same floors, before the days are grouped).

    Returns:
        ``period_start, login, currency, value, baseline, deviation, score, kind`` (``spike``,
        ``drop`` or ``silent``), sorted by day, login and currency; ``attrs`` names the metric and
        the parameters.
    """
    check_series(series)
    check_metric(metric)
    check_judging(weeks, threshold, min_history, floor_share)
    out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(DAY_COLUMNS, _DAY_DTYPES, strict=True)})
    judged: list[tuple[int, int, int, float, float, float]] = []
    if len(series):
        wide = daily_wide(series, metric)
        _judge(wide, weeks, threshold, min_history, floor_share, _unit(series, wide, metric), judged)
        if judged:
            names = [(str(k[0]), str(k[1])) for k in wide.columns]
            days = pd.DatetimeIndex(wide.index)
            out = pd.DataFrame(
                {
                    "period_start": days[[j[0] for j in judged]],
                    "login": pd.Series([names[j[1]][0] for j in judged], dtype="string"),
                    "currency": pd.Series([names[j[1]][1] for j in judged], dtype="string"),
                    "value": [j[3] for j in judged],
                    "baseline": [j[4] for j in judged],
                    "deviation": [j[3] - j[4] for j in judged],
                    "score": [j[5] for j in judged],
                    "kind": [_KINDS[j[2]] for j in judged],
                }
            )
            out = out.sort_values(["period_start", "login", "currency"], kind="stable").reset_index(drop=True)
    out.attrs.update(metric=metric, weeks=weeks, threshold=threshold, min_history=min_history, floor_share=floor_share)
    return out


def _unit(series: pd.DataFrame, wide: pd.DataFrame, metric: str) -> np.ndarray:
    """What one message is worth in ``metric`` per column (1 for messages, the login's mean price
    for spend; 0 for payments, which are not counts): the scale of the counting noise."""
    if metric == "sms" or not len(wide.columns):
        return np.full(len(wide.columns), 1.0 if metric == "sms" else 0.0)
    if metric == "debit":
        return np.zeros(len(wide.columns))
    keyed = series.assign(login=series["login"].astype(str), currency=series["currency"].astype(str))
    sums = keyed.groupby(["login", "currency"], observed=True)[["sms", "credit"]].sum()
    price = (sums["credit"] / sums["sms"].where(sums["sms"] > 0)).reindex(wide.columns)
    return price.fillna(0.0).to_numpy(dtype=float)


@dataclass
class _Open:
    """An incident still open while the days are walked."""

    kind: int
    first: dt.date
    last: dt.date
    values: list[float] = field(default_factory=list)
    baselines: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def _judge(
    wide: pd.DataFrame,
    weeks: int,
    threshold: float,
    min_history: int,
    floor_share: float,
    unit: np.ndarray,
    judged: list[tuple[int, int, int, float, float, float]] | None = None,
) -> list[list[object]]:
    """Walk the days in order, every (login, currency) column at once; ``judged`` (if given)
    receives each anomalous day as ``(day index, column, kind, value, baseline, score)``."""
    if wide.empty or not len(wide.columns):
        return []
    values = wide.to_numpy()
    days = [d.date() for d in wide.index]
    n_days, n_cols = values.shape
    history = np.full((7, weeks, n_cols), np.nan)  # per weekday, the last `weeks` ordinary values
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
        weekday = days[d].weekday()
        hist = history[weekday]
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
            hist[:-1, ordinary] = hist[1:, ordinary]
            hist[-1, ordinary] = value[ordinary]
    for i in range(n_cols):
        row = open_rows[i]
        if row is not None:
            found.append(_row(row, names[i], ongoing=row.last == days[-1]))
    return found


_KINDS = {1: "spike", 2: "drop", 3: "silent"}


def _row(row: _Open, name: tuple[str, str], *, ongoing: bool) -> list[object]:
    values = np.array(row.values, dtype=float)
    baselines = np.array(row.baselines, dtype=float)
    scores = np.array(row.scores, dtype=float)
    kind = _KINDS[row.kind]
    if kind == "spike":
        peak = int(np.argmax(values))
        value, baseline, score = values[peak], baselines[peak], scores[peak]
    else:
        value, baseline, score = values.sum(), baselines.sum(), scores.min()
    days = (row.last - row.first).days + 1
    return [name[0], name[1], kind, row.first, row.last, days, ongoing, float(value), float(baseline), float(score)]


def incident_days(found: pd.DataFrame, series: pd.DataFrame, metric: str = "credit") -> pd.DataFrame:
    """Every day of every incident, in the shape of :func:`~smsstats_nb.analysis.flag_anomalies`
    (``period_start, login, currency, value, baseline, deviation, score, kind``), so that a plot
    marks incidents whole: a silence shaded from its first to its last day."""
    columns = ["period_start", "login", "currency", "value", "baseline", "deviation", "score", "kind"]
    rows: list[list[object]] = []
    if len(found):
        wide = daily_wide(series, metric)
        incidents_found: list[Any] = list(found.itertuples(index=False))
        for r in incidents_found:
            days = pd.date_range(pd.Timestamp(r.first_day), pd.Timestamp(r.last_day), freq="D")
            expected = float(r.baseline) if r.kind == "spike" else float(r.baseline) / max(1, len(days))
            for day in days:
                key = (str(r.login), str(r.currency))
                cell: Any = wide.at[day, key] if key in wide.columns and day in wide.index else 0.0
                value = float(cell)
                rows.append([day, r.login, r.currency, value, expected, value - expected, r.score, r.kind])
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"period_start": "datetime64[ns]", "value": "float64", "baseline": "float64"})
