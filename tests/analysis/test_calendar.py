"""The production calendar: Russia's non-working and moved working days as the official list has
them, and incidents judged by it on frames built here (an office login that rests on holidays and
works on the Saturdays a decree moves)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.analysis import ProductionCalendar, flag_anomalies, incidents

D = dt.date


def test_russia_2024_and_2025_as_the_official_calendar_lists_them() -> None:
    ru = ProductionCalendar("RU")
    off_2024 = [D(2024, 1, d) for d in range(1, 9)] + [
        D(2024, 2, 23), D(2024, 3, 8), D(2024, 4, 29), D(2024, 4, 30), D(2024, 5, 1), D(2024, 5, 9),
        D(2024, 5, 10), D(2024, 6, 12), D(2024, 11, 4), D(2024, 12, 30), D(2024, 12, 31),
    ]  # fmt: skip
    moved_2024 = [D(2024, 4, 27), D(2024, 11, 2), D(2024, 12, 28)]  # working Saturdays by decree
    assert not any(ru.is_working(d) for d in off_2024)
    assert all(ru.is_working(d) for d in moved_2024)
    assert ru.count(D(2024, 1, 1), D(2024, 1, 31)) == (17, 14)  # January 2024: 17 working days
    assert sum(ru.count(D(2024, m, 1), D(2024, m, 28))[0] for m in range(1, 13)) > 0
    working_2024 = ru.count(D(2024, 1, 1), D(2024, 12, 31))[0]
    assert working_2024 == 248  # the official figure for 2024
    off_2025 = [D(2025, 5, 2), D(2025, 5, 8), D(2025, 6, 13), D(2025, 11, 3), D(2025, 12, 31)]
    assert not any(ru.is_working(d) for d in off_2025) and ru.is_working(D(2025, 11, 1))
    assert ru.count(D(2025, 1, 1), D(2025, 12, 31))[0] == 247  # the official figure for 2025
    plain = ProductionCalendar(None)
    assert plain.is_working(D(2024, 1, 3)) and not plain.is_working(D(2024, 1, 6))
    own = ProductionCalendar(None, holidays=[D(2024, 7, 1)], workdays=[D(2024, 7, 6)])
    assert not own.is_working(D(2024, 7, 1)) and own.is_working(D(2024, 7, 6))
    with pytest.raises(QueryError, match="country must be one of RU, KZ, UA, BY, UZ"):
        ProductionCalendar("XX")


def _office_year(calendar: ProductionCalendar, *, seed: int = 7) -> pd.DataFrame:
    """An office login's 2024: about 1000 messages a working day, 100 a non-working one (Poisson)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    sms = [rng.poisson(1000 if calendar.is_working(d.date()) else 100) for d in days]
    return pd.DataFrame(
        {
            "period_start": days,
            "period_end": days,
            "login": pd.array(["office"] * len(days), dtype="string"),
            "sms": np.array(sms, dtype=np.int64),
            "credit": np.array(sms, dtype=float) * 2.0,
            "debit": 0.0,
            "currency": pd.array(["RUR"] * len(days), dtype="string"),
        }
    )


def test_an_office_that_rests_on_holidays_raises_no_incident_by_the_calendar() -> None:
    ru = ProductionCalendar("RU")
    year = _office_year(ru)
    assert len(incidents(year, "sms", calendar="RU")) == 0
    assert len(flag_anomalies(year, "sms", calendar=ru)) == 0
    # judged by the plain week, every holiday is a "drop" and every moved Saturday a "spike"
    plain = incidents(year, "sms", calendar=None)
    kinds = set(plain["kind"])
    assert len(plain) >= 8 and {"drop", "spike"} <= kinds


def test_a_real_drop_is_still_found_next_to_a_holiday_and_on_one() -> None:
    ru = ProductionCalendar("RU")
    year = _office_year(ru)
    broken = year.copy()
    day = broken["period_start"].dt.date
    broken.loc[day == D(2024, 5, 13), ["sms", "credit"]] = [120, 240.0]  # the working Monday after 9-12 May
    broken.loc[day == D(2024, 6, 12), ["sms", "credit"]] = [0, 0.0]  # silent on a holiday (normally ~100)
    found = incidents(broken, "sms", calendar=ru)
    got = {(r.kind, r.first_day) for r in found.itertuples()}
    assert ("drop", D(2024, 5, 13)) in got and ("silent", D(2024, 6, 12)) in got
    assert len(found) == 2  # and nothing else
