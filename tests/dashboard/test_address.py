"""The dashboard's view in its address: parsed from a link (somebody's words: checked), written back
as the controls change, opened from the cache at once and asking before it spends a request."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.dashboard import StatsDashboard, View
from smsstats_nb.dashboard._address import FREQ_KEYS
from smsstats_nb.dashboard._plan import GRANULARITY
from smsstats_nb.demo import DemoServer

Make = Callable[..., StatsClient]


def test_a_link_says_the_view_and_reads_back_the_same() -> None:
    view = View.parse("range=last_month&freq=D&metric=credit&logins=demo,demo_shop&lang=ru")
    assert (view.range, view.granularity, view.metric, view.logins, view.lang) == (
        "last month", "daily", "credit", ("demo", "demo_shop"), "ru",
    )  # fmt: skip
    assert View.parse(view.query()) == view and view.query().startswith("range=last_month&freq=D")
    custom = View.parse("start=2024-06-01&end=2024-06-30&freq=W&mycur=1")
    assert (custom.start, custom.end, custom.granularity, custom.mycur) == (
        dt.date(2024, 6, 1), dt.date(2024, 6, 30), "weekly", True,
    )  # fmt: skip
    assert custom.query() == "range=custom&start=2024-06-01&end=2024-06-30&freq=W&mycur=1"
    assert set(FREQ_KEYS.values()) == set(GRANULARITY)  # every granularity has its word in a link
    odd = View.parse("logins=%D0%B4%D0%B5%D0%BC%D0%BE_%D0%BC%D0%B0%D1%80%D0%BA%D0%B5%D1%82,a%26b")
    assert odd.logins == ("демо_маркет", "a&b") and View.parse(odd.query()).logins == odd.logins


def test_a_link_is_somebodys_words_each_value_checked_and_unknown_keys_ignored() -> None:
    view = View.parse("range=forever&freq=hourly&metric=profit&start=2024-13-01&token=abc&lang=xx")
    assert not view.given and view.granularity == "total" and view.metric == "sms" and view.lang is None
    said = " ".join(view.problems)
    assert "'forever'" in said and "'hourly'" in said and "'profit'" in said and "abc" not in said  # never the token
    backwards = View.parse("start=2024-06-30&end=2024-06-01")
    assert not backwards.given and backwards.problems
    many = View.parse("logins=" + ",".join(f"l{i}" for i in range(500)))
    assert len(many.logins) == 50


@pytest.mark.loopback
def test_a_view_from_a_link_shows_the_cache_at_once_and_writes_the_address_back(
    make_client: Make, server: DemoServer
) -> None:
    client = make_client()
    client.fetch_series("2024-01-01", "2024-01-07", "D", progress=False)  # a colleague fetched it before
    asked = server.stat_requests
    view = View.parse("start=2024-01-01&end=2024-01-07&freq=D&metric=credit&logins=demo_shop")
    dash = StatsDashboard(client, today=dt.date(2024, 2, 10), view=view, address=True)
    assert server.stat_requests == asked and dash.result is not None  # at once, from the cache
    assert dash.result["period_start"].nunique() == 7 and dash.metric_dropdown.value == "credit"
    assert tuple(dash.answer.login_filter.value) == ("demo_shop",)  # the link's login picked
    assert "no request was sent" in dash.status.value
    assert dash.address is not None
    assert dash.address.query == (
        "range=custom&start=2024-01-01&end=2024-01-07&freq=D&metric=credit&logins=demo_shop&lang=en"
    )
    dash.metric_dropdown.value = "sms"  # the user changes a control: the address follows
    assert "metric=" not in dash.address.query
    dash.answer.login_filter.value = ()
    assert "logins=" not in dash.address.query
    dash.preset_dropdown.value = "last month"
    assert dash.address.query == "range=last_month&freq=D&lang=en"


@pytest.mark.loopback
def test_a_view_that_is_not_cached_says_its_cost_and_waits_for_a_click(make_client: Make, server: DemoServer) -> None:
    view = View.parse("range=last_quarter&freq=D")
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10), view=view)
    assert server.stat_requests == 0 and dash.result is None
    assert (
        dash.confirm_box.layout.display is None and "93 requests" in dash.confirm_text.value
    )  # the days and the total first
    assert (dash.start_picker.value, dash.end_picker.value) == (dt.date(2023, 10, 1), dt.date(2023, 12, 31))
    dash.decline_button.click()
    assert server.stat_requests == 0


@pytest.mark.loopback
def test_a_link_with_values_the_page_cannot_use_says_so(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10), view=View.parse("range=last_month&metric=profit"))
    assert "the metric 'profit'" in html.unescape(dash.status.value)
    assert dash.metric_dropdown.value == "sms"
