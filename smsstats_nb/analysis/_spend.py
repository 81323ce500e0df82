"""Spend against limits: budget breaches (Twilio's usage triggers) and the month-end forecast.

:func:`budget_breaches` finds the days or months whose messages or spend went over a limit, for one
login or the whole account. :func:`forecast_month` projects each login's month end from the month
so far and the weekday rhythm of the weeks before (a quiet weekend left in the month weighs less
than a busy Monday), with a range, and compares it with a budget when one is given.

Both take a daily series (``fetch_series(..., freq="D")``), judge each currency on its own and are
pure pandas (no request).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..core import QueryError, finite_number, renamed, said
from ._calendar import HOLIDAY, MOVED_WORKDAY, SATURDAY, SUNDAY, ProductionCalendar
from ._incidents import check_series, daily_wide
from ._judge import as_calendar

__all__ = [
    "ACCOUNT",
    "BREACH_COLUMNS",
    "BUDGET_FREQS",
    "FORECAST_COLUMNS",
    "budget_breaches",
    "budget_period",
    "forecast_history",
    "forecast_month",
]

#: The ``login`` of a row about the whole account (every login summed).
ACCOUNT = "(all logins)"
BREACH_COLUMNS = ["login", "currency", "per", "period_start", "period_end", "value", "limit", "over", "complete"]
FORECAST_COLUMNS = [
    "login",
    "currency",
    "month",
    "as_of",
    "days_left",
    "working_days_left",
    "non_working_days_left",
    "month_to_date",
    "projected",
    "low",
    "high",
]
#: The forecast's range: a central 80 % interval (± 1.2816 standard deviations).
RANGE_Z = 1.2816


def _limit(value: object) -> float:
    return finite_number("a limit", value, zero=True)


def _spend_metric(metric: object) -> str:
    if metric not in ("credit", "sms"):
        raise said(QueryError, "metric must be 'credit' (spent) or 'sms' (messages), not {metric}", metric=repr(metric))
    return str(metric)


#: A budget's granularity: ``freq`` as everywhere (``"D"`` a day, ``"MS"`` a calendar month), and the
#: 0.1 words ``"day"``/``"month"`` still understood; the value is the word the breach frame keeps.
BUDGET_FREQS = {"D": "day", "MS": "month", "M": "month", "day": "day", "month": "month"}


def budget_period(freq: object) -> str:
    """``"day"`` or ``"month"`` for a budget's ``freq`` (QueryError for anything else)."""
    if not isinstance(freq, str) or freq not in BUDGET_FREQS:
        raise said(QueryError, "a budget's freq must be 'D' (a day) or 'MS' (a month), not {freq}", freq=repr(freq))
    return BUDGET_FREQS[freq]


@renamed(per="freq")
def budget_breaches(
    series: pd.DataFrame,
    limit: float,
    freq: str = "D",
    metric: str = "credit",
    login: str | None = None,
) -> pd.DataFrame:
    """The days or months over ``limit``, for ``login`` or (None) the whole account.

    Args:
        series: a daily series frame.
        limit: the most ``metric`` allowed per day or month (in the series' currency for spend).
        freq: ``"D"`` a day or ``"MS"`` a calendar month (the month still running counts what
            the series holds of it, so the breach shows the day it happens); ``per="day"`` /
            ``per="month"``, the 0.1 spelling, still work in 0.2.
        metric: ``"credit"`` (spent) or ``"sms"`` (messages).
        login: one login, or None for every login summed.

    Returns:
        One row per breach and currency: ``login`` (or :data:`ACCOUNT`), ``currency``, ``per``,
        ``period_start``, ``period_end`` (dates), ``value``, ``limit``, ``over`` (value − limit)
        and ``complete`` (False for a month the series does not cover to its end).

    Raises:
        QueryError: not a daily series, a bad limit, period or metric.
    """
    check_series(series)
    limit = _limit(limit)
    metric = _spend_metric(metric)
    per = budget_period(freq)
    if login is not None:
        series = series[series["login"].astype(str) == str(login)]
    out: list[list[object]] = []
    if len(series):
        last_day = series["period_start"].max()
        frame = series.assign(currency=series["currency"].astype(str))
        key = frame["period_start"] if per == "day" else frame["period_start"].dt.to_period("M").dt.start_time
        sums = frame.groupby([key.rename("start"), "currency"], observed=True)[metric].sum()
        for index, value in sums.items():
            start: pd.Timestamp = pd.Timestamp(index[0])  # type: ignore[index]
            currency = str(index[1])  # type: ignore[index]
            if float(value) <= limit:
                continue
            first = start.date()
            end = first if per == "day" else (start + pd.offsets.MonthEnd(0)).date()
            complete = per == "day" or last_day.date() >= end
            name = str(login) if login is not None else ACCOUNT
            out.append([name, str(currency), per, first, end, float(value), limit, float(value) - limit, complete])
    df = pd.DataFrame(out, columns=BREACH_COLUMNS)
    df = df.astype({"login": "string", "currency": "string", "value": "float64", "limit": "float64"})
    df.attrs.update(metric=metric, per=per, limit=limit, login=login)
    return df.sort_values(["period_start", "login", "currency"], kind="stable").reset_index(drop=True)


def _paces(values: np.ndarray, classes: list[int]) -> tuple[dict[int, float], dict[int, float]]:
    """The mean and variance of a day of each class: its own days, and for a holiday the
    non-working days (Sundays and holidays), for a moved working day the working days; a working
    weekday with no day of its own falls back on the working days."""
    groups: dict[int, list[float]] = {}
    for value, klass in zip(values.tolist(), classes, strict=True):
        groups.setdefault(klass, []).append(value)
    working = [v for k in (0, 1, 2, 3, 4, MOVED_WORKDAY) for v in groups.get(k, [])]
    resting = groups.get(SUNDAY, []) + groups.get(HOLIDAY, [])
    pools = {k: groups.get(k, []) or working for k in range(5)}
    pools.update({SATURDAY: groups.get(SATURDAY, []) or resting, SUNDAY: groups.get(SUNDAY, []) or resting})
    pools.update({HOLIDAY: resting, MOVED_WORKDAY: working})
    mean = {k: float(np.mean(v)) for k, v in pools.items() if v}
    var = {k: float(np.var(v, ddof=1)) if len(v) > 1 else 0.0 for k, v in pools.items() if v}
    return mean, var


def forecast_history(end: dt.date, weeks: int = 4) -> tuple[dt.date, dt.date]:
    """The days :func:`forecast_month` needs for a forecast as of ``end``: ``weeks`` weeks of
    daily history and the month so far (the earlier of the two starts), through ``end``."""
    return min(end.replace(day=1), end - dt.timedelta(days=7 * weeks - 1)), end


def _history_start(series: pd.DataFrame) -> dt.date | None:
    """The first day a series covers: the range it was asked for (``attrs["start"]``), else its
    first row (None: an empty frame without a range)."""
    start = series.attrs.get("start")
    if start:
        try:
            return pd.Timestamp(str(start)).date()
        except (TypeError, ValueError):
            pass
    if series.empty:
        return None
    return pd.Timestamp(series["period_start"].min()).date()


@renamed(as_of="end")
def forecast_month(
    series: pd.DataFrame,
    metric: str = "credit",
    *,
    end: dt.date | str | None = None,
    budget: float | Mapping[str, float] | None = None,
    weeks: int = 4,
    total: bool = False,
    calendar: ProductionCalendar | str | None = "RU",
) -> pd.DataFrame:
    """Each login's month end: the month so far, and the days left at the pace of their class of
    day (a working Tuesday at the working Tuesdays' pace, a holiday at the non-working days', a
    Saturday made a working day at the working days').

    Args:
        series: a daily series frame holding the month so far (and, for the pace, the weeks
            before it).
        metric: ``"credit"`` (spent, the default) or ``"sms"``.
        end: the last day with figures (default: the series' last day; ``as_of=``, the 0.1 name,
            still works in 0.2); the forecast is for
            its month, and the days after it are projected.
        budget: a monthly limit for every row, or one per login (a mapping; :data:`ACCOUNT` for the
            total row); adds ``budget``, ``projected_share`` (projected ÷ budget) and
            ``over_budget`` (the projection is over it) and ``breached`` (already over it).
        weeks: how many past weeks set each weekday's pace (its mean) and its spread.
        total: add a row for the whole account (every login summed), login :data:`ACCOUNT`.
        calendar: the production calendar (a country code, ``"RU"`` by default, a
            :class:`ProductionCalendar`, or None for the plain week).

    Returns:
        One row per login and currency: ``login, currency, month`` ("2024-06"), ``as_of``,
        ``days_left`` (``working_days_left`` and ``non_working_days_left`` of them, by the
        calendar), ``month_to_date``, ``projected`` (month to date + each day left at the mean
        of its weekday over the last ``weeks`` weeks), ``low``, ``high`` (a central 80 % range
        from the weekdays' day-to-day spread, never below the month to date), and the budget
        columns when a budget is given.

    Raises:
        QueryError: not a daily series, a bad metric, budget or ``as_of``; or a series that does
            not reach back ``weeks`` weeks and to the month's first day (see
            :func:`forecast_history`): a pace from two days is not a forecast.
    """
    check_series(series)
    metric = _spend_metric(metric)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise said(QueryError, "weeks must be a whole number >= 1, not {weeks}", weeks=repr(weeks))
    if series.empty and end is None:
        raise said(QueryError, "the series is empty: give end, or a series with the month so far")
    try:
        last = pd.Timestamp(end).date() if end is not None else series["period_start"].max().date()
    except (TypeError, ValueError) as exc:
        raise said(QueryError, "end must be a date, not {end}", end=repr(end)) from exc
    month_start = last.replace(day=1)
    month_end = (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).date()
    first = forecast_history(last, weeks)[0]
    known = _history_start(series)
    if known is not None and known > first:  # days before the series are unknown, not zero
        raise said(
            QueryError,
            "the month-end forecast rests on {weeks} weeks of daily history and the month so far: "
            "this series starts on {start}; give it the days from {first} (or no forecast)",
            weeks=weeks,
            start=known,
            first=first,
        )
    series = series[series["period_start"] <= pd.Timestamp(last)]
    wide = daily_wide(series, metric, first=first, last=last)
    if total and len(wide.columns):
        summed = wide.T.groupby(level="currency").sum().T
        summed.columns = pd.MultiIndex.from_tuples([(ACCOUNT, c) for c in summed.columns], names=wide.columns.names)
        wide = pd.concat([wide, summed], axis=1)
    days = pd.DatetimeIndex(wide.index)
    left = pd.date_range(last + dt.timedelta(days=1), month_end, freq="D")
    recent = wide.loc[days > pd.Timestamp(last - dt.timedelta(days=7 * weeks))]
    cal = as_calendar(calendar)
    classes = [cal.day_class(d.date()) for d in pd.DatetimeIndex(recent.index)]
    left_classes = [cal.day_class(d.date()) for d in left]
    working_left = sum(cal.is_working(d.date()) for d in left)
    rows: list[list[object]] = []
    for key in wide.columns:
        column = wide[key]
        done = float(column[days >= pd.Timestamp(month_start)].sum())
        mean, var = _paces(recent[key].to_numpy(dtype=float), classes)
        expected = float(sum(mean.get(k, 0.0) for k in left_classes))
        spread = math.sqrt(float(sum(var.get(k, 0.0) for k in left_classes)))
        projected = done + expected
        low = max(done, projected - RANGE_Z * spread)
        high = projected + RANGE_Z * spread
        rows.append([
            str(key[0]), str(key[1]), f"{month_start:%Y-%m}", last, len(left), working_left,
            len(left) - working_left, done, projected, low, high,
        ])  # fmt: skip
    out = pd.DataFrame(rows, columns=FORECAST_COLUMNS)
    out = out.astype(
        {"login": "string", "currency": "string", "days_left": "int64", "working_days_left": "int64",
         "non_working_days_left": "int64"}
    )  # fmt: skip
    if budget is not None:
        if isinstance(budget, Mapping):
            limits = [_limit(budget[n]) if n in budget else np.nan for n in out["login"].astype(str)]
        else:
            limits = [_limit(budget)] * len(out)
        out["budget"] = np.array(limits, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out["projected_share"] = out["projected"] / out["budget"]
        out["over_budget"] = (out["projected"] > out["budget"]).fillna(False)
        out["breached"] = (out["month_to_date"] > out["budget"]).fillna(False)
    out.attrs.update(
        metric=metric, as_of=last.isoformat(), month=f"{month_start:%Y-%m}", weeks=weeks, calendar=cal.country
    )
    return out.sort_values(["login", "currency"], kind="stable").reset_index(drop=True)
