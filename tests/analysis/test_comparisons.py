"""Comparisons a manager can forward (issue: numbers a manager can forward): a month, quarter or
year so far against the same days of the one before, a half-year against the previous half-year,
and the page says what it compared with. Dates are fixed here: the "today" of each case is the
range's end, nothing reads the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from smsstats_nb.analysis import Summary, comparison_period, previous_calendar_period
from smsstats_nb.core import QueryError, preset_range
from smsstats_nb.core.i18n import using as use
from smsstats_nb.output import kpi_tiles

D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "unit", "expected", "words"),
    [
        # this month on 2 December: 1-2 December against 1-2 November (not 29-30 November)
        (D(2026, 12, 1), D(2026, 12, 2), None, (D(2026, 11, 1), D(2026, 11, 2)), "the same days of the previous month"),
        # a month so far longer than the month before: clipped to its end
        (D(2024, 3, 1), D(2024, 3, 30), None, (D(2024, 2, 1), D(2024, 2, 29)), "the same days of the previous month"),
        # a whole month: the whole month before, whatever the lengths
        (D(2024, 3, 1), D(2024, 3, 31), None, (D(2024, 2, 1), D(2024, 2, 29)), "the previous month"),
        # a whole quarter and a quarter so far
        (D(2024, 4, 1), D(2024, 6, 30), None, (D(2024, 1, 1), D(2024, 3, 31)), "the previous quarter"),
        (
            D(2024, 10, 1),
            D(2024, 11, 15),
            None,
            (D(2024, 7, 1), D(2024, 8, 15)),
            "the same days of the previous quarter",
        ),
        # a half-year against the previous half-year (not 3 July - 31 December 2023)
        (D(2024, 1, 1), D(2024, 6, 30), None, (D(2023, 7, 1), D(2023, 12, 31)), "the previous half-year"),
        (D(2024, 7, 1), D(2024, 12, 31), None, (D(2024, 1, 1), D(2024, 6, 30)), "the previous half-year"),
        # a year to date on 7 December: the same dates a year before; on 15 February by the preset
        (D(2026, 1, 1), D(2026, 12, 7), None, (D(2025, 1, 1), D(2025, 12, 7)), "the same days of the previous year"),
        (D(2024, 1, 1), D(2024, 2, 15), "YS", (D(2023, 1, 1), D(2023, 2, 15)), "the same days of the previous year"),
        (
            D(2024, 1, 1),
            D(2024, 2, 15),
            None,
            (D(2023, 10, 1), D(2023, 11, 15)),
            "the same days of the previous quarter",
        ),
        (D(2024, 1, 1), D(2024, 12, 31), None, (D(2023, 1, 1), D(2023, 12, 31)), "the previous year"),
        # a whole week, and any other range: the same number of days just before
        (D(2024, 6, 3), D(2024, 6, 9), None, (D(2024, 5, 27), D(2024, 6, 2)), "the previous week"),
        (D(2024, 6, 5), D(2024, 6, 11), None, (D(2024, 5, 29), D(2024, 6, 4)), "the same number of days just before"),
    ],
)
def test_a_range_is_compared_the_way_analysts_read_it(
    start: dt.date, end: dt.date, unit: str | None, expected: tuple[dt.date, dt.date], words: str
) -> None:
    found = comparison_period(start, end, unit)
    assert (found.start, found.end) == expected
    assert previous_calendar_period(start, end, unit) == expected
    with use("en"):
        assert found.words() == words


def test_the_presets_on_2_december_compare_with_the_same_days() -> None:
    today = D(2026, 12, 2)
    month = comparison_period(*preset_range("this month", today), "MS")
    assert (month.start, month.end) == (D(2026, 11, 1), D(2026, 11, 2))
    year = comparison_period(*preset_range("year to date", today), "YS")
    assert (year.start, year.end) == (D(2025, 1, 1), D(2025, 12, 2))
    with use("ru"):
        assert month.words() == "те же дни прошлого месяца"


def test_a_bad_range_or_unit_is_refused() -> None:
    with pytest.raises(QueryError, match="ends"):
        comparison_period(D(2024, 2, 1), D(2024, 1, 1))
    with pytest.raises(QueryError, match="unit"):
        comparison_period(D(2024, 1, 1), D(2024, 1, 2), "week")


def _summary(spent_change: float, messages_change: float) -> Summary:
    return Summary(
        messages=1000,
        spent={"RUR": 2000.0},
        paid_in={"RUR": 0.0},
        cost_per_message={"RUR": 2.0},
        logins=3,
        messages_change=messages_change,
        spent_change={"RUR": spent_change},
        compared=True,
    )


def test_spend_up_is_red_spend_down_green_and_volume_neither() -> None:
    with use("en"):
        up = kpi_tiles(_summary(75.5, 75.5))
        down = kpi_tiles(_summary(-10.0, -10.0))
    spent_up = up[up.index("spent, RUB") :]
    assert "#b00020" in spent_up.split("smsstats-kpi")[0] and "▲ +75.5%" in spent_up
    spent_down = down[down.index("spent, RUB") :]
    assert "#1b5e20" in spent_down.split("smsstats-kpi")[0]
    messages = up[: up.index("spent, RUB")]
    assert "#1b5e20" not in messages and "#b00020" not in messages and "▲" in messages
