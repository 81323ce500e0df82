"""Spend monitoring on daily series (pure pandas, no I/O): anomalies, incidents, budgets, the
month-end forecast and period comparisons.

:func:`incidents` (from :mod:`smsstats_nb.analysis._incidents`) groups anomalous days into incidents, each
whole (a silence from its first to its last day, however long); :func:`budget_breaches` and
:func:`forecast_month` (from :mod:`smsstats_nb.analysis._spend`) put spend against limits.

:func:`flag_anomalies` finds the days whose value for a login departs from that login's own recent
baseline; this is how SMS traffic pumping (a fraud that inflates messages to premium numbers) and
broken integrations (sudden zeros) show up. :func:`compare_periods` puts two periods side by side
per login.

The method of :func:`flag_anomalies`, for each login and day:

* **baseline**: the median of the same weekday in the previous ``weeks`` weeks (weekday-aware, so a
  quiet Sunday is compared with Sundays), needing at least ``min_history`` of them;
* **spread**: 1.4826 × the median absolute deviation of those same days from the baseline (a robust
  standard deviation), floored at ``floor_share`` × the baseline and at one unit, so a perfectly
  regular login does not flag every small wobble;
* **score** = (value − baseline) / spread. A day is flagged when ``|score| >= threshold``: a
  ``spike`` above, a ``drop`` below, and ``silent`` when the value is zero against a positive
  baseline.

Each login's currencies are judged apart (a login billed in RUR and KZT has two baselines: their
sums would mean nothing). Days missing from the series count as zero (the service leaves silent
logins out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import QueryError, said
from ._incidents import check_judging, check_metric, check_series, daily_wide, incidents
from ._spend import budget_breaches, forecast_month

__all__ = ["budget_breaches", "compare_periods", "flag_anomalies", "forecast_month", "incidents"]

_STATS = {"login", "sms", "credit", "debit", "currency"}
FLAG_COLUMNS = ["period_start", "login", "currency", "value", "baseline", "deviation", "score", "kind"]


def _check(df: object, name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame) or not set(df.columns) >= _STATS:
        raise said(QueryError, "{name} must be a stats DataFrame (login, sms, credit, debit, currency)", name=name)
    return df


def flag_anomalies(
    series: pd.DataFrame,
    metric: str = "credit",
    *,
    weeks: int = 4,
    threshold: float = 5.0,
    min_history: int = 3,
    floor_share: float = 0.1,
) -> pd.DataFrame:
    """Days whose ``metric`` for a login departs from that login's own weekday baseline.

    Args:
        series: a daily series frame (``fetch_series(..., freq="D")``).
        metric: ``"sms"``, ``"credit"`` (spent) or ``"debit"`` (paid in).
        weeks: how many previous same weekdays form the baseline.
        threshold: the robust score at or beyond which a day is flagged.
        min_history: the fewest previous same weekdays a baseline needs (earlier days are not judged).
        floor_share: the smallest spread, as a share of the baseline.

    Returns:
        One row per flagged day, login and currency: ``period_start, login, currency, value,
        baseline, deviation (value - baseline), score, kind`` (``spike``, ``drop`` or ``silent``),
        sorted by day, login and currency; ``attrs`` names the metric and the thresholds.

    Raises:
        QueryError: not a daily series, an unknown metric, or a bad threshold or floor_share.
    """
    check_series(series)
    check_metric(metric)
    check_judging(weeks, threshold, min_history, floor_share)
    out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(FLAG_COLUMNS, _FLAG_DTYPES, strict=True)})
    if series.empty:
        return _with_attrs(out, metric, weeks, threshold, min_history)
    wide = daily_wide(series, metric)  # one column per (login, currency), missing days as zero
    days = pd.DatetimeIndex(wide.index)
    values = wide.to_numpy()
    lags = np.full((weeks, *values.shape), np.nan)
    for k in range(1, weeks + 1):  # lags[k-1] holds the value of the same weekday k weeks before
        if 7 * k < len(values):
            lags[k - 1, 7 * k :] = values[: -7 * k]
    counted = (~np.isnan(lags)).sum(axis=0)
    enough = counted >= min_history
    # days without history are zeros here (never flagged: not enough): nanmedian of an all-NaN
    # slice warns, and silencing warnings is not thread-safe (the dashboard's fetch thread)
    known = np.where(counted > 0, lags, 0.0)
    baseline = np.nanmedian(known, axis=0)
    mad = np.nanmedian(np.abs(known - baseline), axis=0)
    spread = np.maximum(np.maximum(1.4826 * mad, floor_share * np.abs(baseline)), 1.0)
    with np.errstate(invalid="ignore"):
        score = (values - baseline) / spread
    flagged = enough & (np.abs(score) >= threshold)
    rows, cols = np.nonzero(flagged)
    if len(rows) == 0:
        return _with_attrs(out, metric, weeks, threshold, min_history)
    got = values[rows, cols]
    base = baseline[rows, cols]
    kind = np.where(score[rows, cols] > 0, "spike", np.where((got == 0) & (base > 0), "silent", "drop"))
    names = [(str(key[0]), str(key[1])) for key in wide.columns]  # (login, currency)
    out = pd.DataFrame(
        {
            "period_start": days[rows],
            "login": pd.Series([names[int(c)][0] for c in cols], dtype="string"),
            "currency": pd.Series([names[int(c)][1] for c in cols], dtype="string"),
            "value": got,
            "baseline": base,
            "deviation": got - base,
            "score": score[rows, cols],
            "kind": kind,
        }
    )
    out = out.sort_values(["period_start", "login", "currency"], kind="stable").reset_index(drop=True)
    return _with_attrs(out, metric, weeks, threshold, min_history)


_FLAG_DTYPES = ["datetime64[ns]", "string", "string", "float64", "float64", "float64", "float64", "object"]


def _with_attrs(out: pd.DataFrame, metric: str, weeks: int, threshold: float, min_history: int) -> pd.DataFrame:
    out.attrs.update(metric=metric, weeks=weeks, threshold=threshold, min_history=min_history)
    return out


def _per_login(df: pd.DataFrame) -> pd.DataFrame:
    sums = df.groupby("login", observed=True)[["sms", "credit"]].sum()
    sums.index = sums.index.astype(str)
    return sums


def _pct(new: pd.Series, old: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((new - old) / old * 100.0).where(old != 0)


def compare_periods(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per login, the change from period ``a`` to period ``b`` in messages, spend and cost per message.

    Both may be totals or series (a series is summed over its periods). A login present in only
    one period counts as zero in the other. Percent changes are NaN where the earlier figure is zero.

    Returns:
        Indexed by login: ``sms_a, sms_b, sms_change, sms_change_pct, spent_a, spent_b,
        spent_change, spent_change_pct, cost_per_sms_a, cost_per_sms_b, cost_per_sms_change_pct``,
        sorted by the absolute change in spend, largest first.

    Raises:
        QueryError: not stats frames, or amounts in different currencies.
    """
    _check(a, "a")
    _check(b, "b")
    currencies = {str(c) for c in pd.concat([a["currency"], b["currency"]]).dropna().unique()}
    if len(currencies) > 1:
        raise said(
            QueryError,
            ("the periods are in different currencies ({choices}); compare like with like"),
            choices=", ".join(sorted(currencies)),
        )
    left, right = _per_login(a), _per_login(b)
    logins = left.index.union(right.index)
    left, right = left.reindex(logins, fill_value=0), right.reindex(logins, fill_value=0)
    out = pd.DataFrame(index=pd.Index(logins, name="login"))
    out["sms_a"], out["sms_b"] = left["sms"].astype("int64"), right["sms"].astype("int64")
    out["sms_change"] = out["sms_b"] - out["sms_a"]
    out["sms_change_pct"] = _pct(out["sms_b"].astype(float), out["sms_a"].astype(float))
    out["spent_a"], out["spent_b"] = left["credit"], right["credit"]
    out["spent_change"] = out["spent_b"] - out["spent_a"]
    out["spent_change_pct"] = _pct(out["spent_b"], out["spent_a"])
    out["cost_per_sms_a"] = (out["spent_a"] / out["sms_a"]).where(out["sms_a"] > 0)
    out["cost_per_sms_b"] = (out["spent_b"] / out["sms_b"]).where(out["sms_b"] > 0)
    out["cost_per_sms_change_pct"] = _pct(out["cost_per_sms_b"], out["cost_per_sms_a"])
    order = out["spent_change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order]
