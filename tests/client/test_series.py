"""Series, estimates, progress, interruption and composition from the cache (issue: series)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import IPBlockedError, QueryError, StatsClient, close_all, fetch_stats_series
from smsstats_nb.core._frames import SERIES_COLUMNS
from smsstats_nb.core._query import split_periods
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW
from ..expected import expected_frame, expected_sum
from ..schema import check_schema

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


def expected_series(start: dt.date, end: dt.date, freq: str) -> pd.DataFrame:
    parts = []
    for a, b in split_periods(start, end, freq):
        df = expected_frame(a, b)
        df.insert(0, "period_end", pd.Timestamp(b))
        df.insert(0, "period_start", pd.Timestamp(a))
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out[["period_start", "period_end"]] = out[["period_start", "period_end"]].astype("datetime64[ns]")
    return out.sort_values(["period_start", "login"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize(
    ("freq", "start", "end", "periods"),
    [
        ("D", dt.date(2024, 1, 1), dt.date(2024, 1, 7), 7),
        ("W", dt.date(2024, 1, 3), dt.date(2024, 1, 24), 4),
        ("MS", dt.date(2024, 1, 15), dt.date(2024, 4, 10), 4),
        ("QS", dt.date(2024, 2, 1), dt.date(2024, 12, 31), 4),
    ],
)
def test_series_numbers_equal_the_demo_data(
    make_client: Make, server: DemoServer, freq: str, start: dt.date, end: dt.date, periods: int
) -> None:
    client = make_client(rate_limit=(3, WINDOW))
    df = client.fetch_series(start, end, freq, progress=False)
    assert tuple(df.columns) == SERIES_COLUMNS
    check_schema(df)
    pd.testing.assert_frame_equal(df, expected_series(start, end, freq))
    assert df.attrs["periods"] == periods and df.attrs["periods_fetched"] == periods
    assert server.stat_requests == periods and server.errors[9] == 0
    again = client.fetch_series(start, end, freq, progress=False)
    assert server.stat_requests == periods  # a re-run makes zero requests
    assert again.attrs["periods_cached"] == periods and again.attrs["from_cache"] is True
    pd.testing.assert_frame_equal(again, df)


def test_interruption_keeps_what_was_fetched_and_the_rerun_spends_only_the_rest(
    make_client: Make, server: DemoServer
) -> None:
    client = make_client(rate_limit=(10, WINDOW))
    server_window = server.window
    server.limit = 10
    assert server_window == WINDOW

    def stop_after_three(done: int, total: int, cached: bool) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        client.fetch_series("2024-01-01", "2024-01-08", "D", on_period=stop_after_three, progress=False)
    partial = info.value.partial  # type: ignore[attr-defined]
    assert partial["period_start"].nunique() == 3 and partial.attrs["complete"] is False
    assert server.stat_requests == 3
    df = client.fetch_series("2024-01-01", "2024-01-08", "D", progress=False)
    assert server.stat_requests == 8  # exactly the remaining five
    assert df.attrs["periods_cached"] == 3 and df.attrs["periods_fetched"] == 5
    pd.testing.assert_frame_equal(df, expected_series(dt.date(2024, 1, 1), dt.date(2024, 1, 8), "D"))


def test_an_error_part_way_keeps_the_periods_before_it(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch("2024-01-01")
    client.fetch("2024-01-02")
    server.inject("error4")
    with pytest.raises(IPBlockedError) as info:
        client.fetch_series("2024-01-01", "2024-01-05", "D", progress=False)
    assert info.value.partial["period_start"].nunique() == 2  # type: ignore[attr-defined]


def test_cancel_stops_and_returns_what_was_fetched(make_client: Make, server: DemoServer) -> None:
    cancel = threading.Event()

    def cancel_after_two(done: int, total: int, cached: bool) -> None:
        if done == 2:
            cancel.set()

    df = make_client().fetch_series("2024-01-01", "2024-01-05", "D", cancel=cancel, on_period=cancel_after_two)
    assert df.attrs["complete"] is False and df["period_start"].nunique() == 2
    assert server.stat_requests == 2


def test_estimate_before_any_request(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch("2024-01-01")
    est = client.estimate_series("2024-01-01", "2024-01-10", "D")
    assert (est.periods, est.cached, est.requests) == (10, 1, 9)
    # 2 tokens are free now; the other 7 need ceil(7/3) = 3 more windows (each with the safety margin)
    window = client._transport.window
    assert window > WINDOW
    assert 2.5 * window <= est.eta_seconds <= 3 * window + 0.05
    assert "9 to fetch" in str(est)
    assert server.stat_requests == 1


def test_progress_bar_in_a_terminal(make_client: Make, capsys: pytest.CaptureFixture[str]) -> None:
    make_client().fetch_series("2024-01-01", "2024-01-04", "D", progress=True)
    err = capsys.readouterr().err
    assert "4/4" in err and "cached 0, fetched" in err


def test_empty_series_keeps_the_schema(make_client: Make) -> None:
    df = make_client().fetch_series("2019-01-01", "2019-03-31", "MS", progress=False)
    assert len(df) == 0 and tuple(df.columns) == SERIES_COLUMNS
    check_schema(df)


def test_series_input_errors(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    with pytest.raises(QueryError, match="freq"):
        client.fetch_series("2024-01-01", "2024-01-05", "H")
    with pytest.raises(QueryError):
        client.fetch_series("2024-01-01", None, "D")
    assert server.stat_requests == 0


def test_fetch_stats_series_module_function(server: DemoServer, tmp_path: pytest.TempPathFactory) -> None:
    try:
        df = fetch_stats_series(
            "2024-01-01",
            "2024-03-31",
            "MS",
            login=server.login,
            psw=server.psw,
            base_url=server.url,
            cache=tmp_path,
            rate_limit=(3, WINDOW),
            progress=False,
        )
        assert df["period_start"].nunique() == 3
    finally:
        close_all()


# -- composition ---------------------------------------------------------------------------------------
def _days(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    return [(d, d) for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))]


JAN = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))


def test_a_month_composed_from_cached_days_makes_zero_requests(make_client: Make, server: DemoServer) -> None:
    client = make_client(rate_limit=(40, WINDOW))
    server.limit = 40
    client.fetch_series("2024-01-01", "2024-01-31", "D", progress=False)
    assert server.stat_requests == 31
    month = client.fetch("01.01.2024", "31.01.2024", compose=True)
    assert server.stat_requests == 31
    assert month.attrs["composed"] is True and month.attrs["from_cache"] is True and month.attrs["requests"] == 0
    pd.testing.assert_frame_equal(month, expected_sum(_days(*JAN)))


def test_a_period_asked_for_is_the_servers_own_answer(make_client: Make, server: DemoServer) -> None:
    # The server rounds money once per period: the sum of 31 rounded days is not January's figure.
    client = make_client(rate_limit=(40, WINDOW))
    server.limit = 40
    client.fetch_series("2024-01-01", "2024-01-31", "D", progress=False)
    composed = client.fetch("01.01.2024", "31.01.2024", compose=True)
    assert composed.attrs["composed"] is True and server.stat_requests == 31
    month = client.fetch("01.01.2024", "31.01.2024")
    assert month.attrs["composed"] is False and month.attrs["requests"] == 1 and server.stat_requests == 32
    pd.testing.assert_frame_equal(month, expected_frame(*JAN))
    # a composition lists the logins as the days first show them (support is silent on 1 January)
    composed = composed.sort_values("login", ignore_index=True)
    month = month.sort_values("login", ignore_index=True)
    assert not np.allclose(composed["credit"], month["credit"], rtol=0, atol=1e-9)  # kopecks apart
    assert (composed["credit"] - month["credit"]).abs().max() < 1.0
    pd.testing.assert_frame_equal(composed[["login", "sms"]], month[["login", "sms"]])


def test_a_quarter_composed_from_cached_months(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch_series("2024-01-01", "2024-03-31", "MS", progress=False)
    quarter = client.fetch("2024-01-01", "2024-03-31", fmt=0, compose=True)
    assert server.stat_requests == 3 and quarter.attrs["composed"] is True
    months = [(dt.date(2024, m, 1), dt.date(2024, m, 1) + pd.offsets.MonthEnd(0)) for m in (1, 2, 3)]
    pd.testing.assert_frame_equal(quarter, expected_sum([(a, b.date()) for a, b in months]))


def test_partly_covered_period_fetches_only_the_missing_stretch(make_client: Make, server: DemoServer) -> None:
    client = make_client(rate_limit=(20, WINDOW))
    server.limit = 20
    client.fetch_series("2024-01-01", "2024-01-10", "D", progress=False)
    server.reset()
    month = client.fetch("2024-01-01", "2024-01-31", compose=True)
    assert server.stat_requests == 1 and month.attrs["requests"] == 1 and month.attrs["composed"] is True
    assert server.log[0]["code"] == 0
    expected = expected_sum([*_days(dt.date(2024, 1, 1), dt.date(2024, 1, 10)), (dt.date(2024, 1, 11), JAN[1])])
    pd.testing.assert_frame_equal(month, expected)
    again = client.fetch("2024-01-01", "2024-01-31", compose=True)  # the stretch is cached now
    assert server.stat_requests == 1 and again.attrs["from_cache"] is True


def test_flags_are_never_mixed_when_composing(make_client: Make, server: DemoServer) -> None:
    client = make_client(rate_limit=(40, WINDOW))
    server.limit = 40
    client.fetch_series("2024-01-01", "2024-01-31", "D", progress=False)
    mine = client.fetch("2024-01-01", "2024-01-31", mycur=True, compose=True)
    assert mine.attrs["composed"] is False and set(mine["currency"]) == {"KZT"}
    assert server.stat_requests == 32


def test_refresh_never_composes(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch_series("2024-01-01", "2024-01-02", "D", progress=False)
    df = client.fetch("2024-01-01", "2024-01-02", refresh=True, compose=True)
    assert df.attrs["composed"] is False and server.stat_requests == 3


def test_newest_first_asks_the_recent_periods_first_and_stays_in_date_order(make_client: Make) -> None:
    client = make_client()
    start, end = dt.date(2024, 1, 1), dt.date(2024, 1, 7)
    seen: list[tuple[str, str, int]] = []
    stop = threading.Event()

    def on_frame(df: pd.DataFrame) -> None:
        seen.append((df.attrs["start"], df.attrs["end"], df["period_start"].nunique()))
        if len(seen) == 3:
            stop.set()

    part = client.fetch_series(start, end, "D", progress=False, order="newest", on_frame=on_frame, cancel=stop)
    assert seen == [("2024-01-07", "2024-01-07", 1), ("2024-01-06", "2024-01-07", 2), ("2024-01-05", "2024-01-07", 3)]
    assert part.attrs["complete"] is False and (part.attrs["start"], part.attrs["end"]) == ("2024-01-05", "2024-01-07")
    assert (part.attrs["requested_start"], part.attrs["requested_end"]) == ("2024-01-01", "2024-01-07")
    whole = client.fetch_series(start, end, "D", progress=False, order="newest")  # resumes: 4 more requests
    assert whole.attrs["periods_fetched"] == 4 and whole.attrs["periods_cached"] == 3
    expected = expected_series(start, end, "D")
    pd.testing.assert_frame_equal(whole[expected.columns].reset_index(drop=True), expected, check_dtype=False)
    with pytest.raises(QueryError, match="order must be one of oldest, newest"):
        client.fetch_series(start, end, "D", order="latest")
