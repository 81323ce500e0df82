"""summarize, previous_period and format_money on hand-made frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.analysis._summary import format_money, previous_period, summarize, year_earlier
from smsstats_nb.core._frames import make_frame


def frame(rows: list[tuple[str, int, float, float, str]]) -> pd.DataFrame:
    login, sms, credit, debit, cur = zip(*rows, strict=True)
    return make_frame(list(login), np.array(sms), np.array(credit), np.array(debit), list(cur))


def test_totals_cost_per_message_and_currencies() -> None:
    s = summarize(frame([("a", 100, 250.0, 0.0, "RUR"), ("b", 300, 500.5, 1000.0, "RUR"), ("c", 10, 7.0, 0.0, "KZT")]))
    assert s.messages == 410 and s.logins == 3
    assert s.spent == {"KZT": 7.0, "RUR": 750.5} and s.paid_in == {"KZT": 0.0, "RUR": 1000.0}
    assert s.cost_per_message["RUR"] == pytest.approx(750.5 / 400) and s.cost_per_message["KZT"] == 0.7
    assert s.messages_change is None and not s.compared
    assert "410 messages from 3 logins" in str(s) and "RUB 750.50 spent, RUB 1.88 per message" in str(s)


def test_change_against_the_previous_period() -> None:
    now = frame([("a", 150, 300.0, 0.0, "RUR")])
    before = frame([("a", 100, 200.0, 0.0, "RUR"), ("b", 0, 0.0, 50.0, "RUR")])
    s = summarize(now, before)
    assert s.compared and s.messages_change == pytest.approx(50.0) and s.spent_change["RUR"] == pytest.approx(50.0)
    assert "150 messages (+50.0%)" in str(s) and "RUB 300.00 spent (+50.0%)" in str(s)
    silent = summarize(now, frame([("a", 0, 0.0, 0.0, "RUR")]))
    assert silent.messages_change is None and "(no messages before)" in str(silent)


def test_no_messages_has_no_cost_per_message() -> None:
    s = summarize(frame([("a", 0, 0.0, 10.0, "RUR")]))
    assert s.cost_per_message == {"RUR": None} and "per message" not in str(s)


def test_previous_period_and_money() -> None:
    assert previous_period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)) == (dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    assert previous_period(dt.date(2024, 3, 1), dt.date(2024, 3, 1)) == (dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    with pytest.raises(QueryError):
        previous_period(dt.date(2024, 3, 2), dt.date(2024, 3, 1))
    assert format_money(1234567.891, "RUR") == "RUB 1,234,567.89" and format_money(-0.5) == "-0.50"


def test_not_a_stats_frame_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="stats DataFrame"):
        summarize(pd.DataFrame({"x": [1]}))
    with pytest.raises(QueryError, match="previous"):
        summarize(frame([("a", 1, 1.0, 0.0, "RUR")]), pd.DataFrame())


def test_previous_period_takes_dates_in_any_form() -> None:
    import datetime as dt

    from smsstats_nb.analysis._summary import previous_period

    assert previous_period("2024-02-01", "2024-02-29") == (dt.date(2024, 1, 3), dt.date(2024, 1, 31))
    assert previous_period("01.02.2024", dt.date(2024, 2, 29)) == previous_period(dt.date(2024, 2, 1), "2024-02-29")
    with pytest.raises(QueryError):
        previous_period("2024-02-30", "2024-03-01")


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        ("2024-02-01", "2024-02-29", ("2024-01-01", "2024-01-31")),  # February against January
        ("2024-03-01", "2024-03-31", ("2024-02-01", "2024-02-29")),
        ("2024-04-01", "2024-06-30", ("2024-01-01", "2024-03-31")),  # a quarter against the one before
        ("2024-01-01", "2024-12-31", ("2023-01-01", "2023-12-31")),
        ("2024-01-08", "2024-01-14", ("2024-01-01", "2024-01-07")),  # a Monday-Sunday week
        ("2024-02-10", "2024-02-19", ("2024-01-31", "2024-02-09")),  # custom: the same length before
    ],
)
def test_the_previous_calendar_period(start: str, end: str, before: tuple[str, str]) -> None:
    import datetime as dt

    from smsstats_nb.analysis._summary import previous_calendar_period

    assert previous_calendar_period(start, end) == tuple(dt.date.fromisoformat(x) for x in before)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-02-01", "2024-02-29", ("2023-02-01", "2023-02-28")),  # a leap February against a plain one
        ("2025-02-01", "2025-02-28", ("2024-02-01", "2024-02-29")),  # and back: a month end stays one
        ("2024-04-01", "2024-06-30", ("2023-04-01", "2023-06-30")),
        ("2024-03-10", "2024-03-16", ("2023-03-10", "2023-03-16")),
        ("2024-02-29", "2024-02-29", ("2023-02-28", "2023-02-28")),
    ],
)
def test_the_same_period_a_year_earlier(start: str, end: str, expected: tuple[str, str]) -> None:
    a, b = year_earlier(start, end)
    assert (a.isoformat(), b.isoformat()) == expected


def test_a_year_earlier_refuses_a_reversed_range() -> None:
    with pytest.raises(QueryError, match="before it starts"):
        year_earlier("2024-02-10", "2024-02-01")
