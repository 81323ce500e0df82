"""Incidents, budget breaches and the month-end forecast (issue: monitoring that reaches people)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.analysis._monitoring import budget_breaches, flag_anomalies, forecast_month, incidents
from smsstats_nb.analysis._spend import ACCOUNT
from smsstats_nb.demo import data

COLUMNS = ["period_start", "period_end", "login", "sms", "credit", "debit", "currency"]


def demo_days(start: dt.date, end: dt.date) -> pd.DataFrame:
    """The demo account's daily series, straight from its data (logins without traffic left out)."""
    rows = []
    day = start
    while day <= end:
        for r in data.period_rows(day, day):
            ts = pd.Timestamp(day)
            rows.append((ts, ts, r.login, r.sms, r.credit_e4 / 1e4, r.debit_e4 / 1e4, r.currency))
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=COLUMNS)


def series(values: dict[str, list[float]], start: str = "2024-01-01", currency: str = "RUR") -> pd.DataFrame:
    """A daily series from lists of values per login (a zero is left out, as the service does)."""
    rows = []
    for login, vals in values.items():
        for i, v in enumerate(vals):
            if v:
                ts = pd.Timestamp(start) + pd.Timedelta(days=i)
                rows.append((ts, ts, login, int(v), float(v), 0.0, currency))
    return pd.DataFrame(rows, columns=COLUMNS)


def weekly(weeks: int, weekday: float = 100.0, weekend: float = 25.0) -> list[float]:
    """A steady weekly rhythm starting on a Monday, with a stable small wobble."""
    out = []
    for i in range(weeks * 7):
        base = weekend if i % 7 >= 5 else weekday
        out.append(base * (1 + 0.05 * ((i * 7919) % 5 - 2) / 2))
    return out


@pytest.mark.parametrize("metric", ["credit", "sms"])
def test_every_planted_incident_is_found_whole_and_nothing_else(metric: str) -> None:
    found = incidents(demo_days(dt.date(2024, 1, 1), dt.date(2024, 9, 30)), metric)
    got = [(r.login, r.kind, r.first_day, r.last_day, r.ongoing) for r in found.itertuples()]
    silent_login, silent_from, silent_to = data.SILENT
    assert got == [
        ("demo_shop", "spike", dt.date(2024, 5, 14), dt.date(2024, 5, 14), False),
        ("демо_маркет", "spike", dt.date(2024, 6, 4), dt.date(2024, 6, 4), False),
        (silent_login, "silent", silent_from, silent_to, False),  # all 21 days, the weekends too
    ]
    spike = found.iloc[0]
    assert spike["value"] > 6 * spike["baseline"]  # the peak against what was expected
    assert found.iloc[2]["days"] == 21 and found.iloc[2]["value"] == 0 and found.iloc[2]["baseline"] > 0
    assert set(found["currency"]) == {"RUR"} and found.attrs["metric"] == metric


def test_the_day_flags_are_the_days_incidents_group() -> None:
    """flag_anomalies is the incidents' own day judgement (0.1 had a second detector whose baseline
    took the outage in and stopped seeing it after two weeks)."""
    days = demo_days(dt.date(2024, 4, 1), dt.date(2024, 6, 30))
    flagged = flag_anomalies(days, "sms")
    whole = incidents(days, "sms")
    silent_days = flagged[(flagged["login"] == "demo_support") & (flagged["kind"] == "silent")]
    silence = whole[whole["login"] == "demo_support"].iloc[0]
    assert silence["days"] == 21 and len(silent_days) == 21
    assert silent_days["period_start"].min().date() == silence["first_day"]
    assert silent_days["period_start"].max().date() == silence["last_day"]
    # every flagged day lies inside an incident of the same login and kind, and every incident's
    # first and last days are flagged
    for _, row in whole.iterrows():
        mine = flagged[(flagged["login"] == row["login"]) & (flagged["kind"] == row["kind"])]
        inside = mine[
            (mine["period_start"].dt.date >= row["first_day"]) & (mine["period_start"].dt.date <= row["last_day"])
        ]
        assert {row["first_day"], row["last_day"]} <= set(inside["period_start"].dt.date)
    assert len(flagged) == sum(
        len(
            flagged[
                (flagged["login"] == r["login"])
                & flagged["period_start"].dt.date.between(r["first_day"], r["last_day"])
            ]
        )
        for _, r in whole.iterrows()
    )


def test_a_silence_lasts_until_traffic_comes_back_however_long() -> None:
    vals = weekly(6) + [0.0] * 70 + weekly(2)  # ten weeks of nothing, then traffic again
    found = incidents(series({"a": vals}), "credit", calendar=None)
    assert len(found) == 1
    row = found.iloc[0]
    assert row["kind"] == "silent" and row["first_day"] == dt.date(2024, 2, 12) and row["days"] == 70
    assert row["ongoing"] is np.False_ or row["ongoing"] is False
    end = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=6 * 7 + 69)).date()  # the service leaves zeros out
    still = incidents(series({"a": weekly(6) + [0.0] * 70}), "credit", calendar=None, end=end)
    assert still["ongoing"].tolist() == [True] and still["days"].tolist() == [70]  # reaches the last day


def test_a_silence_through_a_day_beyond_the_series_and_its_missing_days() -> None:
    vals = weekly(6) + [0.0] * 3
    found = incidents(series({"a": vals}), "credit", calendar=None, end="2024-02-20")
    assert found["last_day"].tolist() == [dt.date(2024, 2, 20)] and found["ongoing"].tolist() == [True]
    cut = incidents(series({"a": weekly(6) + [0.0] * 10}), "credit", calendar=None, end="2024-02-13")
    assert cut["last_day"].tolist() == [dt.date(2024, 2, 13)]  # days after `through` are not judged


def test_a_drop_is_one_incident_across_the_quiet_weekend() -> None:
    base = weekly(5)
    low = [v * 0.2 if i % 7 < 5 else 0.0 for i, v in enumerate(weekly(2))]  # weekdays at a fifth, weekends 0
    found = incidents(series({"a": base + low + weekly(2)}, currency="KZT"), "credit", calendar=None, floor_share=0.1)
    kinds = found[["kind", "first_day", "last_day"]].values.tolist()
    assert kinds[0][0] == "drop" and kinds[0][1] == dt.date(2024, 2, 5)
    assert all(k[0] in ("drop", "silent") for k in kinds)
    assert found["currency"].unique().tolist() == ["KZT"]


def test_each_currency_is_judged_on_its_own() -> None:
    rub = series({"a": weekly(6)})
    kzt = series({"a": weekly(5) + [0.0] * 7}, currency="KZT")
    found = incidents(pd.concat([rub, kzt]), "credit", calendar=None)
    assert found[["login", "currency", "kind"]].values.tolist() == [["a", "KZT", "silent"]]


def test_a_spike_on_the_last_day_is_ongoing_and_clean_traffic_has_none() -> None:
    vals = weekly(6)
    assert incidents(series({"a": vals}), "sms", calendar=None).empty
    vals[-1] *= 10
    found = incidents(series({"a": vals}), "sms", calendar=None)
    assert found["kind"].tolist() == ["spike"] and found["ongoing"].tolist() == [True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "cost"}, "metric must be"),
        ({"threshold": 0}, "threshold must be a positive, finite number"),
        ({"threshold": float("nan")}, "threshold must be a positive, finite number"),
        ({"weeks": 2, "min_history": 3}, "cannot exceed"),
        ({"floor_share": -1}, "floor_share must be a finite number >= 0"),
    ],
)
def test_bad_arguments_are_query_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        incidents(series({"a": weekly(4)}), **kwargs)  # type: ignore[arg-type]


def test_not_a_daily_series_is_refused() -> None:
    monthly = series({"a": weekly(4)}).assign(period_end=lambda d: d["period_start"] + pd.Timedelta(days=30))
    with pytest.raises(QueryError, match="daily series"):
        incidents(monthly)
    with pytest.raises(QueryError, match="must be a series"):
        incidents(series({"a": weekly(1)}).drop(columns=["period_start"]))


def test_budget_breaches_per_day_and_month_for_a_login_or_the_account() -> None:
    days = series({"a": [100.0] * 31 + [50.0] * 10, "b": [60.0] * 31 + [90.0] * 10})
    days.loc[(days["login"] == "a") & (days["period_start"] == "2024-01-15"), ["credit", "sms"]] = 400
    daily = budget_breaches(days, 300, freq="D", login="a")
    assert daily[["period_start", "value", "over"]].values.tolist() == [[dt.date(2024, 1, 15), 400.0, 100.0]]
    account = budget_breaches(days, 300, freq="D")
    assert account["period_start"].tolist() == [dt.date(2024, 1, 15)]  # 400 + 60; other days 160 or 140
    assert account["login"].tolist() == [ACCOUNT]
    month = budget_breaches(days, 4000, freq="MS")
    assert month["period_start"].tolist() == [dt.date(2024, 1, 1)] and month["complete"].tolist() == [True]
    running = budget_breaches(days, 1000, freq="MS")  # February so far: 1400 of 10 days
    assert running[running["period_start"] == dt.date(2024, 2, 1)]["complete"].tolist() == [False]
    sms = budget_breaches(days, 399, freq="D", metric="sms", login="a")
    assert sms["value"].tolist() == [400.0]
    for bad, message in (
        ({"limit": -1}, "limit"),
        ({"freq": "W"}, "a budget.s freq must be"),
        ({"metric": "debit"}, "metric"),
    ):
        with pytest.raises(QueryError, match=message):
            budget_breaches(days, **{"limit": 1, **bad})  # type: ignore[arg-type]


def test_the_month_end_forecast_follows_the_weekday_rhythm() -> None:
    # weekdays 100, weekends 20: from 1 January (a Monday) to 17 June 2024 (a Monday)
    vals = [20.0 if (dt.date(2024, 1, 1) + dt.timedelta(days=i)).weekday() >= 5 else 100.0 for i in range(169)]
    days = series({"a": vals})
    out = forecast_month(days, "credit", end="2024-06-17", budget=2000)
    row = out.iloc[0]
    assert (row["month"], row["as_of"], row["days_left"]) == ("2024-06", dt.date(2024, 6, 17), 13)
    june_so_far = sum(20.0 if dt.date(2024, 6, d).weekday() >= 5 else 100.0 for d in range(1, 18))
    left = sum(20.0 if dt.date(2024, 6, d).weekday() >= 5 else 100.0 for d in range(18, 31))
    assert row["month_to_date"] == pytest.approx(june_so_far)
    assert row["projected"] == pytest.approx(june_so_far + left)  # weekday-aware, not 30 × the mean
    assert row["low"] == pytest.approx(row["projected"]) == pytest.approx(row["high"])  # no spread: no range
    assert row["budget"] == 2000 and row["over_budget"] and row["breached"] == (june_so_far > 2000)


def test_the_forecast_has_a_range_a_total_and_budgets_per_login() -> None:
    days = demo_days(dt.date(2024, 1, 1), dt.date(2024, 3, 12))
    out = forecast_month(days, "sms", total=True, budget={"demo_shop": 1000.0})
    assert out.attrs["month"] == "2024-03" and out.attrs["as_of"] == "2024-03-12"
    account = out[out["login"] == ACCOUNT].iloc[0]
    logins = out[out["login"] != ACCOUNT]
    assert account["month_to_date"] == pytest.approx(logins["month_to_date"].sum())
    assert (out["low"] <= out["projected"]).all() and (out["projected"] <= out["high"]).all()
    assert (out["low"] >= out["month_to_date"]).all()
    assert (logins["high"] > logins["low"]).any()  # the demo's noise gives a range
    shop = out[out["login"] == "demo_shop"].iloc[0]
    assert shop["budget"] == 1000.0 and bool(shop["breached"]) is True
    assert np.isnan(out[out["login"] == "demo"].iloc[0]["budget"])
    with pytest.raises(QueryError, match="end must be a date"):
        forecast_month(days, end="soon")


def test_incident_days_put_every_day_of_an_incident_on_the_chart() -> None:
    from smsstats_nb.analysis._incidents import incident_days

    days = demo_days(dt.date(2024, 4, 1), dt.date(2024, 6, 30))
    marked = incident_days(incidents(days, "credit"), days, "credit")
    silent = marked[marked["kind"] == "silent"]
    assert len(silent) == 21 and silent["period_start"].min() == pd.Timestamp("2024-06-10")
    assert (silent["value"] == 0).all() and silent["period_start"].max() == pd.Timestamp("2024-06-30")
    spikes = marked[marked["kind"] == "spike"]
    assert sorted(spikes["login"]) == ["demo_shop", "демо_маркет"] and (spikes["value"] > spikes["baseline"]).all()
