"""The dashboard driven headlessly: set values, click, wait, inspect."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pandas as pd
import pytest

from smsstats_nb import StatsClient
from smsstats_nb.demo import DemoServer
from smsstats_nb.widgets import StatsDashboard, last_full_month

from .expected import expected_frame

Make = Callable[..., StatsClient]


def test_defaults_to_the_last_full_month_and_never_fetches_on_load(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 3, 15))
    assert (dash.start_picker.value, dash.end_picker.value) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert server.stat_requests == 0 and dash.result is None
    assert last_full_month(dt.date(2024, 1, 1)) == (dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    bundle = dash._repr_mimebundle_()
    assert bundle["text/plain"] == "StatsDashboard: pick a period and click Fetch"


def test_fetch_totals_shows_table_plot_download_and_status(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.fetch_button.disabled is True  # while the thread runs
    assert dash.wait(30)
    assert dash.fetch_button.disabled is False
    pd.testing.assert_frame_equal(
        dash.result, expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31)), check_like=True
    )
    assert "4 rows" in dash.status.value
    assert "text/html" in dash.table_output.outputs[0]["data"]
    assert "image/png" in dash.plot_output.outputs[0]["data"]
    assert "data:text/csv" in dash.download.value


def test_daily_series_with_progress(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 5)
    dash.granularity_dropdown.value = "daily"
    dash.metric_dropdown.value = "credit"
    dash.mycur_box.value = True
    dash.fetch_button.click()
    assert dash.wait(30)
    assert dash.result is not None and dash.result["period_start"].nunique() == 5
    assert set(dash.result["currency"]) == {"KZT"}
    assert (dash.progress.value, dash.progress.max) == (5, 5)
    assert server.errors[9] == 0


def test_cancel_keeps_what_was_fetched(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 9)
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    deadline = time.monotonic() + 30
    while dash.progress.value < 1 and time.monotonic() < deadline:  # the first period has arrived
        time.sleep(0.01)
    dash.cancel_button.click()
    assert dash.wait(30)
    assert isinstance(dash.result, pd.DataFrame) and dash.result.attrs["complete"] is False
    assert 1 <= dash.result["period_start"].nunique() < 9
    assert "cancelled" in dash.status.value


@pytest.mark.parametrize(
    ("setup", "expected"),
    [("wrong_password", "check the login and password"), ("error9", "wait"), ("error4", "30 minutes")],
)
def test_errors_become_one_friendly_status_line(
    make_client: Make, server: DemoServer, setup: str, expected: str
) -> None:
    client = make_client(psw="wrong") if setup == "wrong_password" else make_client()
    if setup != "wrong_password":
        server.inject(*([setup] * 3))
    dash = StatsDashboard(client, today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    assert expected in dash.status.value and "#b00020" in dash.status.value
    assert "Traceback" not in dash.status.value
    assert dash.fetch_button.disabled is False


def test_asks_for_credentials_and_clears_the_password(server: DemoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    dash = StatsDashboard(today=dt.date(2024, 2, 10))
    assert dash.client is None and dash.fetch_button.disabled is True
    assert dash.credentials_box.layout.display != "none"
    dash.login_text.value = server.login
    dash.password.value = server.psw
    dash.connect_button.click()
    assert dash.password.value == ""  # the secret does not stay in the widget state
    assert dash.client is not None and dash.fetch_button.disabled is False
    assert server.psw not in repr(dash.widget.get_state())
