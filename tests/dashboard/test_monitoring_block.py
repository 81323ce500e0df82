"""The dashboard's monitoring block (incidents and the month-end forecast) on the demo's planted
days. Its own file: the quarter by day it reads is the dashboard tests' longest, and xdist runs it
beside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.dashboard import StatsDashboard
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


def test_monitoring_on_the_page_flags_the_planted_days(make_client: Make, server: DemoServer) -> None:
    """The demo's second quarter has a spike for demo_shop on 14 May: the dashboard's daily view
    of May and June shows it on the chart and in the flags table, without notebook 05."""
    client = make_client()
    client.fetch_series("2024-04-01", "2024-06-30", "D", progress=False)  # the quarter, asked beforehand
    dash = StatsDashboard(client, today=dt.date(2024, 7, 10), confirm_above=1e9)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 4, 1), dt.date(2024, 6, 30)
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    assert dash.wait(60)
    flags = dash.flags_html.value
    assert "2024-05-14" in flags and "demo_shop" in flags and "spike" in flags
    assert "Incidents: 3 (1 ongoing)" in flags  # the two spikes and the silence, whole
    assert "judged from 2024-04-22 on" in flags  # what the first weeks cannot show, said
    assert "flagged day" not in flags  # the day-by-day view, which loses a long silence, is gone
    assert "2024-06-10 – 2024-06-30" in flags and "● ongoing" in flags
    assert "Month-end forecast" not in flags  # June is over in this range: nothing to forecast
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 5, 1), dt.date(2024, 6, 20)
    dash.fetch_button.click()
    assert dash.wait(60)
    monitoring = dash.flags_html.value
    assert "Month-end forecast for 2024-06 (as of 2024-06-20, 10 days left), all logins:" in monitoring
    assert "RUB" not in monitoring.split("Month-end forecast")[1]  # messages on the sms metric: no money
    dash.metric_dropdown.value = "credit"
    assert "RUB" in dash.flags_html.value.split("Month-end forecast")[1]
    dash.granularity_dropdown.value = "total"
    dash.fetch_button.click()
    assert dash.wait(60)
    assert dash.flags_html.value == ""  # totals: no daily baseline to judge against
