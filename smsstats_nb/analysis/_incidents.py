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
from typing import Any

import numpy as np
import pandas as pd

from ..core import QueryError, finite_number, renamed, said
from ._calendar import ProductionCalendar
from ._judge import Found, Judging, as_calendar, judge, rows

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
    "new_currency",
]
_DTYPES = [
    "string", "string", "object", "object", "object", "int64", "bool", "float64", "float64", "float64", "string",
]  # fmt: skip


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
    calendar: ProductionCalendar | str | None = "RU",
    new_series: bool = False,
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
        calendar: the production calendar the days are judged by: a country code (``"RU"``,
            ``"KZ"``, ``"UA"``, ``"BY"``, ``"UZ"``), a :class:`ProductionCalendar`, or None (the
            default for now: the plain week). With one, a holiday is judged against the
            non-working days and a weekend day made a working day against the working days.
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
    rules = Judging(weeks, float(threshold), min_history, float(floor_share), bool(new_series))
    wide, found = _walk(series, metric, rules, as_calendar(calendar), last)
    names = [(str(k[0]), str(k[1])) for k in wide.columns]
    out = pd.DataFrame(rows(found, names, [d.date() for d in wide.index]), columns=INCIDENT_COLUMNS)
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
    calendar: ProductionCalendar | str | None = "RU",
) -> pd.DataFrame:
    """The days of the incidents :func:`incidents` finds, one row per day, login and currency,
    each with the baseline and the score it was judged by (one walk, one set of floors).

    Returns:
        ``period_start, login, currency, value, baseline, deviation, score, kind`` (a kind of
        :func:`incidents`; a ``price`` day's value and baseline are prices per message), sorted by
        day, login and currency; ``attrs`` names the metric and the parameters.
    """
    check_series(series)
    check_metric(metric)
    check_judging(weeks, threshold, min_history, floor_share)
    out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(DAY_COLUMNS, _DAY_DTYPES, strict=True)})
    if len(series):
        rules = Judging(weeks, float(threshold), min_history, float(floor_share))
        wide, found = _walk(series, metric, rules, as_calendar(calendar), None)
        judged = [(day, item.column, item.kind) for item in found for day in item.days]
        if judged:
            names = [(str(k[0]), str(k[1])) for k in wide.columns]
            days = pd.DatetimeIndex(wide.index)
            out = pd.DataFrame(
                {
                    "period_start": days[[j[0][0] for j in judged]],
                    "login": pd.Series([names[j[1]][0] for j in judged], dtype="string"),
                    "currency": pd.Series([names[j[1]][1] for j in judged], dtype="string"),
                    "value": [j[0][1] for j in judged],
                    "baseline": [j[0][2] for j in judged],
                    "deviation": [j[0][1] - j[0][2] for j in judged],
                    "score": [j[0][3] for j in judged],
                    "kind": [j[2] for j in judged],
                }
            )
            out = out.sort_values(["period_start", "login", "currency"], kind="stable").reset_index(drop=True)
    out.attrs.update(metric=metric, weeks=weeks, threshold=threshold, min_history=min_history, floor_share=floor_share)
    return out


def _walk(
    series: pd.DataFrame, metric: str, rules: Judging, calendar: ProductionCalendar, last: dt.date | None
) -> tuple[pd.DataFrame, list[Found]]:
    """The wide frame of ``metric`` and the incidents found in it (prices too, but for payments)."""
    wide = daily_wide(series, metric, last=last) if len(series) else daily_wide(series, metric)
    if metric == "debit" or not len(series):
        return wide, judge(wide, rules, _unit(series, wide, metric), calendar)
    sms = daily_wide(series, "sms", first=wide.index.min().date(), last=wide.index.max().date())
    credit = daily_wide(series, "credit", first=wide.index.min().date(), last=wide.index.max().date())
    sms, credit = (
        sms.reindex(columns=wide.columns, fill_value=0.0),
        credit.reindex(columns=wide.columns, fill_value=0.0),
    )
    return wide, judge(wide, rules, _unit(series, wide, metric), calendar, sms=sms, credit=credit)


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
            if r.kind in ("price", "currency", "new"):  # not a volume: the day is marked, nothing expected
                expected = float("nan")
            else:
                expected = float(r.baseline) if r.kind == "spike" else float(r.baseline) / max(1, len(days))
            for day in days:
                key = (str(r.login), str(r.currency))
                cell: Any = wide.at[day, key] if key in wide.columns and day in wide.index else 0.0
                value = float(cell)
                rows.append([day, r.login, r.currency, value, expected, value - expected, r.score, r.kind])
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"period_start": "datetime64[ns]", "value": "float64", "baseline": "float64"})
