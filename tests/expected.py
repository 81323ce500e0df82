"""The demo data as a frame, built independently of the parsers (from the server's own numbers)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from smsstats_nb.demo import data


def expected_frame(start: dt.date, end: dt.date, *, mycur: bool = False, balance2: bool = False) -> pd.DataFrame:
    rows = data.period_rows(start, end, mycur=mycur, balance2=balance2)
    return pd.DataFrame(
        {
            "login": pd.array([r.login for r in rows], dtype="string"),
            "sms": np.array([r.sms for r in rows], dtype="int64"),
            "credit": np.array([_money(r.credit_e4, r.currency) for r in rows], dtype="float64"),
            "debit": np.array([_money(r.debit_e4, r.currency) for r in rows], dtype="float64"),
            "currency": pd.array([r.currency for r in rows], dtype="string"),
        }
    )


def expected_sum(periods: list[tuple[dt.date, dt.date]], **flags: bool) -> pd.DataFrame:
    """What composing ``periods`` must give: the sum of the server's rounded figures per period."""
    frames = [expected_frame(a, b, **flags) for a, b in periods]
    both = pd.concat([f for f in frames if len(f)], ignore_index=True)
    summed = both.groupby(["login", "currency"], sort=False, observed=True, as_index=False)[
        ["sms", "credit", "debit"]
    ].sum()
    summed[["credit", "debit"]] = summed[["credit", "debit"]].round(6)
    return summed[["login", "sms", "credit", "debit", "currency"]].reset_index(drop=True)


def _money(value_e4: int, currency: str) -> float:
    # roubles travel with two decimals, other currencies with four
    return round(value_e4 / 10000, 2 if currency == "RUR" else 4)
