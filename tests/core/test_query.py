"""Query validation: every bad input is a QueryError raised before any request."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError, SmsStatsError
from smsstats_nb.core._query import coerce_date, make_query


@pytest.mark.parametrize(
    "value",
    [
        "05.03.2024",
        "5.3.2024",
        "2024-03-05",
        " 2024-03-05 ",
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 23, 59),
        pd.Timestamp("2024-03-05 10:00"),
        np.datetime64("2024-03-05"),
    ],
)
def test_accepted_date_forms(value: object) -> None:
    assert coerce_date(value) == dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        "31.02.2024",
        "2023-02-29",
        "2024/03/05",
        "03-05-2024",
        "yesterday",
        "",
        20240305,
        1.5,
        None,
        pd.NaT,
        b"2024-03-05",
        ["2024-03-05"],
    ],
)
def test_refused_date_forms(value: object) -> None:
    with pytest.raises(QueryError) as info:
        coerce_date(value, "start")
    assert isinstance(info.value, ValueError) and isinstance(info.value, SmsStatsError)
    assert "start" in str(info.value)


def test_end_omitted_means_the_start_day_only() -> None:
    q = make_query("01.01.2024")
    assert q.start == q.end == dt.date(2024, 1, 1)
    assert q.to_params()["end"] == "01.01.2024"


def test_start_after_end_is_refused() -> None:
    with pytest.raises(QueryError, match="after"):
        make_query("2024-02-01", "2024-01-31")


@pytest.mark.parametrize("flag", ["mycur", "balance2"])
@pytest.mark.parametrize("value", [1, 0, "yes", None, "True"])
def test_flags_must_be_booleans(flag: str, value: object) -> None:
    with pytest.raises(QueryError, match=flag):
        make_query("2024-01-01", **{flag: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", [4, -1, "3", 3.0, True, None])
def test_fmt_must_be_0_to_3(fmt: object) -> None:
    with pytest.raises(QueryError, match="fmt"):
        make_query("2024-01-01", fmt=fmt)


def test_wire_parameters() -> None:
    q = make_query(dt.date(2024, 1, 1), "2024-01-31", mycur=True, balance2=True, fmt=0)
    assert q.to_params() == {
        "get_stat": "1",
        "start": "01.01.2024",
        "end": "31.01.2024",
        "fmt": "0",
        "charset": "utf-8",
        "mycur": "1",
        "balance2": "1",
    }
    assert "mycur" not in make_query("2024-01-01").to_params()


@pytest.mark.parametrize(("alias", "canonical"), [("Q", "QS"), ("q", "QS"), ("QE", "QS"), ("Y", "YS"), ("ME", "MS")])
def test_pandas_spellings_of_quarters_years_and_months_are_accepted(alias: str, canonical: str) -> None:
    from smsstats_nb.core._query import check_freq, split_periods

    assert check_freq(alias) == canonical
    assert split_periods(dt.date(2024, 1, 1), dt.date(2024, 12, 31), alias) == split_periods(
        dt.date(2024, 1, 1), dt.date(2024, 12, 31), canonical
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("last 7 days", ("2024-05-09", "2024-05-15")),
        ("this month", ("2024-05-01", "2024-05-15")),
        ("last month", ("2024-04-01", "2024-04-30")),
        ("last quarter", ("2024-01-01", "2024-03-31")),
        ("year to date", ("2024-01-01", "2024-05-15")),
    ],
)
def test_presets_count_from_the_servers_today(name: str, expected: tuple[str, str]) -> None:
    from smsstats_nb.core._query import preset_range

    assert preset_range(name, dt.date(2024, 5, 15)) == tuple(dt.date.fromisoformat(x) for x in expected)
    with pytest.raises(QueryError, match="preset"):
        preset_range("last fortnight", dt.date(2024, 5, 15))
