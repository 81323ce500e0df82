"""flag_anomalies and compare_periods on hand-made daily series with known spikes and silences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.analysis._monitoring import compare_periods, flag_anomalies


def daily(values: dict[str, list[float]], start: str = "2024-04-01") -> pd.DataFrame:
    """A daily series frame; credit = 2 × sms; a zero day is left out (as the service does)."""
    rows = []
    for login, seq in values.items():
        for i, v in enumerate(seq):
            if v:
                day = pd.Timestamp(start) + pd.Timedelta(days=i)
                rows.append((day, day, login, int(v), 2.0 * v, 0.0, "RUR"))
    df = pd.DataFrame(rows, columns=["period_start", "period_end", "login", "sms", "credit", "debit", "currency"])
    df["login"] = df["login"].astype("string")
    return df


def weekly_rhythm(weeks: int, weekday: int = 100, weekend: int = 20, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    out = []
    for d in range(7 * weeks):
        base = weekend if d % 7 >= 5 else weekday
        out.append(float(base + rng.integers(0, base // 5 + 1)))
    return out


def test_a_planted_spike_and_a_silence_are_flagged_and_nothing_else() -> None:
    steady = weekly_rhythm(8)
    spiky = weekly_rhythm(8, seed=2)
    spiky[40] *= 8  # traffic pumping on day 41
    quiet = weekly_rhythm(8, seed=3)
    for d in range(45, 56):
        quiet[d] = 0.0  # a broken integration: silent from day 46
    flags = flag_anomalies(daily({"steady": steady, "spiky": spiky, "quiet": quiet}), "credit", calendar=None)
    assert list(flags.columns) == [
        "period_start",
        "login",
        "currency",
        "value",
        "baseline",
        "deviation",
        "score",
        "kind",
    ]
    assert "steady" not in set(flags["login"])  # ordinary wobble, weekends included, is never flagged
    spike = flags[flags["login"] == "spiky"]
    assert list(spike["period_start"]) == [pd.Timestamp("2024-04-01") + pd.Timedelta(days=40)]
    assert spike["kind"].iloc[0] == "spike" and spike["value"].iloc[0] == 2 * spiky[40]
    assert spike["deviation"].iloc[0] == pytest.approx(spike["value"].iloc[0] - spike["baseline"].iloc[0])
    silent = flags[flags["login"] == "quiet"]
    assert silent["period_start"].min() == pd.Timestamp("2024-04-01") + pd.Timedelta(days=45)
    assert set(silent["kind"]) == {"silent"} and (silent["value"] == 0).all() and (silent["baseline"] > 0).all()
    assert flags.attrs["metric"] == "credit" and flags.attrs["threshold"] == 5.0


def test_weekends_are_compared_with_weekends() -> None:
    """A login that is quiet every weekend is not flagged on weekends (a plain rolling baseline would)."""
    office = weekly_rhythm(6, weekday=200, weekend=0)
    assert flag_anomalies(daily({"office": office}), "sms", calendar=None).empty


def test_no_judgement_before_enough_history() -> None:
    short = weekly_rhythm(3)
    short[-1] *= 10
    assert flag_anomalies(daily({"a": short}), "sms", min_history=3).empty  # only two earlier Sundays
    assert len(flag_anomalies(daily({"a": short}), "sms", min_history=2)) == 1


def test_bad_arguments() -> None:
    s = daily({"a": weekly_rhythm(2)})
    for kwargs in ({"metric": "cost"}, {"threshold": 0}, {"weeks": 0}, {"min_history": 5, "weeks": 4}):
        with pytest.raises(QueryError):
            flag_anomalies(s, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="series"):
        flag_anomalies(s.drop(columns=["period_start", "period_end"]))
    weekly = s.copy()
    weekly["period_end"] = weekly["period_start"] + pd.Timedelta(days=6)
    with pytest.raises(QueryError, match="daily"):
        flag_anomalies(weekly)
    assert flag_anomalies(s.iloc[0:0]).empty


def test_compare_periods_per_login() -> None:
    a = daily({"x": [100.0], "gone": [10.0]})
    b = daily({"x": [150.0], "new": [5.0]})
    b.loc[b["login"] == "x", "credit"] = 360.0  # the price went up too
    cmp = compare_periods(a, b)
    assert cmp.loc["x", "sms_change"] == 50 and cmp.loc["x", "sms_change_pct"] == pytest.approx(50.0)
    assert cmp.loc["x", "spent_change"] == pytest.approx(160.0)
    assert cmp.loc["x", "cost_per_sms_a"] == pytest.approx(2.0) and cmp.loc["x", "cost_per_sms_b"] == pytest.approx(2.4)
    assert cmp.loc["x", "cost_per_sms_change_pct"] == pytest.approx(20.0)
    assert cmp.loc["gone", "sms_b"] == 0 and cmp.loc["new", "sms_a"] == 0
    assert np.isnan(cmp.loc["new", "sms_change_pct"])
    assert cmp.index[0] == "x"  # largest change in spend first
    kzt = b.copy()
    kzt["currency"] = "KZT"
    with pytest.raises(QueryError, match="currencies"):
        compare_periods(a, kzt)


def test_each_currency_of_a_login_is_judged_on_its_own() -> None:
    rur = daily({"shop": weekly_rhythm(8)})
    kzt = daily({"shop": weekly_rhythm(8, weekday=500, weekend=100, seed=4)})
    kzt["currency"] = "KZT"
    both = pd.concat([rur, kzt], ignore_index=True)
    assert flag_anomalies(both, "credit", calendar=None).empty  # 100 RUR + 500 KZT is not a spike of 600
    kzt.loc[kzt.index[45], ["sms", "credit"]] *= 8  # a spike in KZT only (at its usual price)
    flags = flag_anomalies(pd.concat([rur, kzt], ignore_index=True), "credit", calendar=None)
    assert flags["currency"].tolist() == ["KZT"] and flags["kind"].tolist() == ["spike"]
    assert flags["login"].tolist() == ["shop"] and list(flags.columns)[:3] == ["period_start", "login", "currency"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1, "x", None, True])
def test_a_bad_floor_share_is_a_query_error(bad: object) -> None:
    with pytest.raises(QueryError, match="floor_share"):
        flag_anomalies(daily({"a": weekly_rhythm(5)}), "sms", floor_share=bad)  # type: ignore[arg-type]
