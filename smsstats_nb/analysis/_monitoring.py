"""Spend monitoring on daily series (pure pandas, no I/O): anomalies, incidents, budgets, the
month-end forecast and period comparisons.

:func:`incidents` (from :mod:`smsstats_nb.analysis._incidents`) groups anomalous days into incidents, each
whole (a silence from its first to its last day, however long); :func:`budget_breaches` and
:func:`forecast_month` (from :mod:`smsstats_nb.analysis._spend`) put spend against limits.

:func:`flag_anomalies` lists the days whose value for a login departs from that login's own
recent baseline, the very days :func:`incidents` groups (one detector: the baseline of ordinary
same weekdays, the robust spread floored by a share of the baseline and by Poisson counting noise,
and the score; see :mod:`smsstats_nb.analysis._incidents`). This is how SMS traffic pumping (a
fraud that inflates messages to premium numbers) and broken integrations (sudden zeros) show up.
:func:`compare_periods` puts two periods side by side per login.

Each login's currencies are judged apart (a login billed in RUR and KZT has two baselines: their
sums would mean nothing). Days missing from the series count as zero (the service leaves silent
logins out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import QueryError, said
from ._incidents import flag_anomalies, incidents
from ._spend import budget_breaches, forecast_month

__all__ = ["budget_breaches", "compare_periods", "flag_anomalies", "forecast_month", "incidents"]

_STATS = {"login", "sms", "credit", "debit", "currency"}


def _check(df: object, name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame) or not set(df.columns) >= _STATS:
        raise said(QueryError, "{name} must be a stats DataFrame (login, sms, credit, debit, currency)", name=name)
    return df


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
            "the periods are in different currencies ({choices}); compare like with like",
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
