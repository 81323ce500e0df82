"""The dashboard driven headlessly: set values, click, wait, inspect."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import StatsClient
from smsstats_nb.core import last_full_month
from smsstats_nb.dashboard import StatsDashboard
from smsstats_nb.demo import DemoServer

from ..expected import expected_frame

pytestmark = pytest.mark.loopback

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


@pytest.mark.parametrize(("first", "rows"), [(dt.date(2024, 1, 1), True), (dt.date(2019, 1, 1), False)])
def test_cancel_keeps_what_was_fetched(make_client: Make, server: DemoServer, first: dt.date, rows: bool) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = first, first + dt.timedelta(days=8)
    dash.granularity_dropdown.value = "daily"
    server.slow_seconds = 0.3
    server.inject(*(["slow"] * 9))  # each answer takes 0.3 s: time to cancel part-way
    dash.fetch_button.click()
    deadline = time.monotonic() + 30
    while dash.progress.value < 1 and time.monotonic() < deadline:  # the first period has arrived
        time.sleep(0.01)
    dash.cancel_button.click()
    assert dash.wait(30)
    assert isinstance(dash.result, pd.DataFrame) and dash.result.attrs["complete"] is False
    got = dash.result.attrs["periods_done"]
    # the range's total first (one request), then the periods, newest first
    assert 1 <= got < 9 and server.stat_requests == got + 1  # periods fetched, with or without rows
    last = first + dt.timedelta(days=8)
    covered = (last - dt.timedelta(days=got - 1)).isoformat(), last.isoformat()
    assert (dash.result.attrs["start"], dash.result.attrs["end"]) == covered  # the newest days, said so
    if rows:
        assert dash.result["period_start"].nunique() == got
        assert dash.result["period_start"].max() == pd.Timestamp(last)
    else:
        assert dash.result.empty  # 2019 has no traffic: nothing to count by rows
    assert (
        f"Cancelled: {got} of 9 periods were fetched, so this covers {covered[0]} – {covered[1]}" in dash.status.value
    )
    assert "Partial: these figures cover" in dash.summary_html.value  # the KPIs say so too


def test_a_series_shows_the_ranges_total_first_then_fills_newest_first(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    dash = StatsDashboard(client, today=dt.date(2024, 2, 10))
    first, last = dt.date(2024, 1, 1), dt.date(2024, 1, 6)
    dash.start_picker.value, dash.end_picker.value = first, last
    dash.granularity_dropdown.value = "daily"
    seen: list[tuple[str, str]] = []
    dash.status.observe(lambda change: seen.append((change["new"], dash.summary_html.value)), names="value")
    dash.fetch_button.click()
    assert dash.wait(30)
    assert server.stat_requests == 7  # the total, then six days
    total = client.fetch(first, last)  # cached now: the server's own figure for the range
    assert total.attrs["from_cache"] is True
    loading = [(status, kpis) for status, kpis in seen if "The series is loading, newest first" in status]
    assert loading, seen
    _, kpis = loading[0]
    assert f"{int(total['sms'].sum()):,}" in kpis  # the KPIs from the range's total, before any day arrived
    frames = [status for status, _ in seen if "Loading:" in status]
    assert frames and frames[0].startswith(
        '<span class="smsstats-status" style="color:#1b5e20">Loading: 2024-01-06 – 2024-01-06'
    )
    assert dash.result is not None and dash.result.attrs["complete"] is True
    assert list(dash.result["period_start"].drop_duplicates()) == list(pd.date_range(first, last))  # in date order
    assert int(dash.result["sms"].sum()) == int(total["sms"].sum())  # the series adds up to the server's total


def test_totals_first_off_asks_the_periods_only_oldest_first(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 4)
    dash.granularity_dropdown.value = "daily"
    dash.totals_first.value = False
    dash.fetch_button.click()
    assert dash.wait(30)
    assert server.stat_requests == 4


def test_the_table_searches_and_sorts_without_a_request(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 31)
    dash.fetch_button.click()
    assert dash.wait(30)
    asked = server.stat_requests
    assert dash.table_tools.layout.display != "none"
    dash.sort_dropdown.value = "sms"
    html_page = dash.table_output.outputs[0]["data"]["text/html"]
    by_sms = dash.result.sort_values("sms", ascending=False)["login"].tolist()
    positions = [html_page.index(f">{login}<") for login in by_sms]
    assert positions == sorted(positions)  # most messages first
    dash.search_text.value = "SHOP"  # case-insensitive, plain text
    html_page = dash.table_output.outputs[0]["data"]["text/html"]
    shown = [login for login in dash.result["login"] if f">{login}<" in html_page]
    assert shown and all("shop" in login for login in shown)
    assert "matching “SHOP”" in dash.page_label.value
    dash.search_text.value = "no such login"
    assert "no rows matching" in dash.page_label.value
    assert server.stat_requests == asked  # searching and sorting spend nothing


@pytest.mark.parametrize(
    ("setup", "expected"),
    [("wrong_password", "SMSC rejected the login or password"), ("error9", "wait"), ("error4", "30 minutes")],
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


def _png(dash: StatsDashboard) -> str:
    assert len(dash.plot_output.outputs) == 1
    return str(dash.plot_output.outputs[0]["data"]["image/png"])


def test_a_new_answer_replaces_the_old_one(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    first_png = _png(dash)
    dash.start_picker.value, dash.end_picker.value = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
    dash.fetch_button.click()
    assert dash.wait(30)
    assert len(dash.table_output.outputs) == 1 and len(dash.plot_output.outputs) == 1
    table = dash.table_output.outputs[0]["data"]["text/html"]
    assert "2023-01-01 – 2023-12-31" in dash.status.value
    expected = expected_frame(dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    shop = int(expected.set_index("login").loc["demo_shop", "sms"])
    assert f"{shop:,}" in table and _png(dash) != first_png
    assert "smsstats_2023-01-01_2023-12-31_total.csv" in dash.download.value


def test_switching_the_metric_redraws_from_the_fetched_answer(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    sent, before = server.stat_requests, _png(dash)
    for metric in ("credit", "debit", "sms"):
        dash.metric_dropdown.value = metric
        assert len(dash.plot_output.outputs) == 1  # redrawn, never blank, never stacked
    dash.metric_dropdown.value = "credit"
    assert _png(dash) != before and server.stat_requests == sent


def test_an_input_error_removes_the_stale_answer(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 3, 1), dt.date(2024, 2, 1)
    dash.fetch_button.click()
    assert dash.wait(30)
    assert "Check the inputs" in dash.status.value and "#b00020" in dash.status.value
    assert dash.result is None and dash.download.value == "" and dash.summary_html.value == ""
    assert dash.table_output.outputs == () and dash.plot_output.outputs == ()


def test_a_long_fetch_asks_first_and_shows_progress(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(rate_limit=(3, 2.0)), today=dt.date(2024, 2, 10), confirm_above=1.0)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 5)
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    assert dash.confirm_box.layout.display is None and "6 requests" in dash.confirm_text.value
    assert "one of them for the range's total, shown first" in dash.confirm_text.value  # what it costs
    assert "under the limit of 3 requests per 2 s" in dash.confirm_text.value  # the client's real limit
    assert "a minute" not in dash.confirm_text.value
    assert server.stat_requests == 0 and not dash.runner.busy
    dash.decline_button.click()
    assert dash.confirm_box.layout.display == "none" and server.stat_requests == 0
    labels: list[str] = []
    cache_lines: list[str] = []
    dash.progress_label.observe(lambda change: labels.append(change["new"]), names="value")
    dash.coverage_label.observe(lambda change: cache_lines.append(change["new"]), names="value")
    dash.fetch_button.click()
    dash.confirm_button.click()
    assert dash.wait(30)
    assert server.stat_requests == 6 and dash.result is not None
    text = " | ".join(labels)
    assert "1 of 5 periods done, 4 to go; about" in text
    # while it waits, the line still says how far it is, and the limit is the client's own
    waiting = [x for x in labels if "next request in" in x]
    assert waiting and all(" periods done, " in x and "(under the limit of 3 requests per 2 s)" in x for x in waiting)
    during = [x for x in cache_lines if "still to fetch" in x]  # kept current while fetching
    assert any("4 cached, 1 still to fetch" in x for x in during), cache_lines
    assert "Cache: 5 periods: all cached." in dash.coverage_label.value


def test_a_wrong_password_can_be_corrected_in_the_page(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(psw="typo"), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    assert dash.credentials_box.layout.display is None and dash.login_text.value == server.login
    assert dash.status.value.count("Login failed") == 1
    assert "above" in dash.status.value and "below" not in dash.status.value  # the form is above the message
    dash.password.value = "typo"
    dash.connect_button.click()
    assert "Connected" not in dash.status.value and "checks the password at the first" in dash.status.value
    dash.fetch_button.click()
    assert dash.wait(30)
    assert "refused locally" not in dash.status.value and "Not sent" in dash.status.value  # no second request
    # in the page's words: no CLI or Python call, no "SMSC error 2" (SMSC was not asked), the form is above
    assert "smsstats cache" not in dash.status.value and "clear_cache" not in dash.status.value
    assert "error 2" not in dash.status.value and "above" in dash.status.value
    assert server.stat_requests == 1
    dash.password.value = server.psw
    dash.connect_button.click()
    assert dash.password.value == ""
    dash.fetch_button.click()
    assert dash.wait(30)
    assert dash.result is not None and len(dash.result) == 4 and server.stat_requests == 2
    assert dash.credentials_box.layout.display == "none"


def test_summary_table_format_and_login_filter(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch("2023-12-01", "2023-12-31")  # the previous period of the same length is cached
    dash = StatsDashboard(client, today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    jan, dec = (
        expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        expected_frame(dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
    )
    change = (jan["sms"].sum() - dec["sms"].sum()) / dec["sms"].sum() * 100
    assert f"{int(jan['sms'].sum()):,} messages ({change:+.1f}%)" in dash.summary_html.value
    assert "per message" in dash.summary_html.value and "2023-12-01 – 2023-12-31 (cached)" in dash.summary_html.value
    table = dash.table_output.outputs[0]["data"]["text/html"]
    shop = jan.set_index("login").loc["demo_shop"]
    assert f"{shop['credit']:,.2f}" in table and "spent on messages, RUB (credit)" in table
    assert "paid in, RUB (debit)" in table and "demo_shop" in dash.login_filter.options
    dash.granularity_dropdown.value = "weekly"
    dash.fetch_button.click()
    assert dash.wait(60)
    assert dash.login_filter.layout.display is None and "demo_shop" in dash.login_filter.options
    before = _png(dash)
    sent = server.stat_requests
    dash.login_filter.value = ("demo_shop",)  # one filter for everything on the page
    assert _png(dash) != before and server.stat_requests == sent  # redrawn, nothing asked
    table = dash.table_output.outputs[0]["data"]["text/html"]
    assert "demo_shop" in table and "демо_маркет" not in table and "demo_support" not in table
    shop_sms = int(dash.result[dash.result["login"] == "demo_shop"]["sms"].sum())
    assert dash.summary is not None and dash.summary.messages == shop_sms  # the KPIs follow
    assert f"{shop_sms:,} messages" in dash.summary_html.value
    assert "_demo_shop.csv" in dash.download.value  # so does the file, and its name says so
    csv = base64.b64decode(dash.download.value.split("base64,", 1)[1].split('"', 1)[0]).decode()
    assert "демо_маркет" not in csv and csv.count("demo_shop") == len(csv.strip().splitlines()) - 1
    assert "Showing 1 of 4 logins." in dash.status.value
    dash.login_filter.value = ()
    assert dash.summary.messages == int(dash.result["sms"].sum())


def test_dashboard_helper_asks_for_a_missing_password(server: DemoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from smsstats_nb.dashboard import dashboard

    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    dash = dashboard(today=dt.date(2024, 2, 10))
    assert dash.client is None and dash.credentials_box.layout.display is None
    assert dash.login_text.value == server.login and dash.fetch_button.disabled is True


def test_the_dashboard_shows_coverage_of_the_chosen_range(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch_series("2024-01-01", "2024-01-03", "D", progress=False)
    dash = StatsDashboard(client, today=dt.date(2024, 2, 10))
    assert "This period is not cached yet: one request." in dash.coverage_label.value
    dash.granularity_dropdown.value = "daily"
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 5)
    assert "5 periods: 3 cached, 2 missing (newest 2024-01-05)" in dash.coverage_label.value
    dash.fetch_button.click()
    assert dash.wait(30)
    assert "5 periods: all cached" in dash.coverage_label.value
    assert server.stat_requests == 5


def test_february_after_january_shows_the_change_and_says_when_it_cannot(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    dash = StatsDashboard(client, today=dt.date(2024, 3, 10))
    dash.granularity_dropdown.value = "total"
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    dash.fetch_button.click()
    assert dash.wait(30)
    assert "not cached yet" in dash.summary_html.value and "2024-01-01 – 2024-01-31" in dash.summary_html.value
    sent = server.stat_requests
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 31)
    dash.fetch_button.click()
    assert dash.wait(30)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    dash.fetch_button.click()  # February again, now that January is cached
    assert dash.wait(30)
    jan = expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    feb = expected_frame(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    change = (feb["sms"].sum() - jan["sms"].sum()) / jan["sms"].sum() * 100
    assert f"{int(feb['sms'].sum()):,} messages ({change:+.1f}%)" in dash.summary_html.value
    assert "Compared with the previous month: 2024-01-01 – 2024-01-31 (cached)." in dash.summary_html.value
    assert server.stat_requests == sent + 1  # January once; the comparison itself cost nothing
    assert "A year earlier (2023-02-01 – 2023-02-28) is not cached" in dash.summary_html.value
    table = dash.table_output.outputs[0]["data"]["text/html"]  # each login's change in the table
    assert "messages vs previous" in table and "spent vs previous" in table
    for login in ("demo_shop", "demo_support"):
        before = int(jan.loc[jan["login"] == login, "sms"].sum())
        now = int(feb.loc[feb["login"] == login, "sms"].sum())
        pct = (now - before) / before * 100
        assert f"{'▲' if pct > 0 else '▼'} {pct:+.1f}%" in table
    client.fetch("2023-02-01", "2023-02-28")  # a year earlier, cached: the page compares with it too
    asked = server.stat_requests
    dash.fetch_button.click()
    assert dash.wait(30)
    year = expected_frame(dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    pct = (feb["sms"].sum() - year["sms"].sum()) / year["sms"].sum() * 100
    assert f"Against a year earlier (2023-02-01 – 2023-02-28, cached): messages {pct:+.1f}%" in dash.summary_html.value
    assert server.stat_requests == asked  # February and both comparisons from the cache


def test_a_preset_fills_the_date_pickers_and_sends_nothing(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 5, 15))
    assert ("last quarter", "last quarter") in dash.preset_dropdown.options  # (what it says, its key)
    dash.preset_dropdown.value = "last quarter"
    assert (dash.start_picker.value, dash.end_picker.value) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    dash.preset_dropdown.value = "year to date"
    assert (dash.start_picker.value, dash.end_picker.value) == (dt.date(2024, 1, 1), dt.date(2024, 5, 15))
    assert server.stat_requests == 0


def test_kpis_first_then_the_chart_then_a_paged_table(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    assert dash.wait(30)
    order = list(dash.widget.children)
    assert order.index(dash.summary_html) < order.index(dash.plot_output) < order.index(dash.table_output)
    kpis = dash.summary_html.value
    assert kpis.index("smsstats-kpi") < kpis.index("smsstats-summary")  # tiles first
    for title in ("messages", "spent, RUB", "cost per message, RUB", "paid in, RUB"):
        assert f">{title}<" in kpis
    rows = len(dash.result)
    assert rows > 100 and dash.pager.layout.display is None  # 31 days of 4 logins (minus silent days)
    table = dash.table_output.outputs[0]["data"]["text/html"]
    assert table.count("<tr") == 1 + dash.PAGE_ROWS  # the header and one page, not all the rows
    assert dash.page_label.value == f"rows 1–25 of {rows} (page 1 of 5)" and dash.prev_button.disabled
    dash.next_button.click()
    assert dash.page_label.value.startswith(f"rows 26–50 of {rows}") and server.stat_requests == 32  # total + 31
    for _ in range(5):
        dash.next_button.click()
    assert dash.page_label.value == f"rows 101–{rows} of {rows} (page 5 of 5)" and dash.next_button.disabled


def test_hiding_the_pager_hides_nothing_else(make_client: Make) -> None:
    """The pager is hidden until a table has pages; its Layout is its own, so no other row goes."""
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))

    def walk(widget: object) -> list[object]:
        return [widget, *(x for c in getattr(widget, "children", ()) for x in walk(c))]

    everything = walk(dash.widget)
    assert dash.pager in everything and dash.fetch_button in everything
    assert dash.pager.layout.display == "none"
    hidden = [x for x in everything if getattr(x, "layout", None) is not None and x.layout.display == "none"]
    assert all(x.layout is not dash.pager.layout for x in everything if x is not dash.pager)
    assert dash.fetch_button not in hidden and not any(dash.fetch_button in walk(x) for x in hidden)


def test_the_top_n_is_the_users_and_the_wire_format_sits_in_advanced(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    assert dash.fmt_dropdown in dash.advanced.children[0].children and dash.advanced.selected_index is None
    assert dash.top_input.value == 10
    dash.fetch_button.click()
    assert dash.wait(30)
    four = _png(dash)
    sent = server.stat_requests
    dash.top_input.value = 2  # two logins and "others": redrawn from the same answer
    assert _png(dash) != four and server.stat_requests == sent
    assert dash.widget.layout.width == "100%"  # the page uses the width it has


def test_this_month_on_2_june_compares_the_same_days_and_forecasts_only_on_four_weeks(
    make_client: Make, server: DemoServer
) -> None:
    """'This month' two days in: the tiles compare 1-2 June with 1-2 May (not 30-31 May), and the
    month-end forecast is not shown from two days (it says why and what the history costs); once
    May is cached the same view forecasts from it, as forecast_month does on the whole history."""
    from smsstats_nb.analysis import ACCOUNT, forecast_month, format_money

    client = make_client()
    dash = StatsDashboard(client, today=dt.date(2024, 6, 2))
    dash.granularity_dropdown.value = "daily"
    dash.metric_dropdown.value = "credit"
    dash.preset_dropdown.value = "this month"
    assert (dash.start_picker.value, dash.end_picker.value) == (dt.date(2024, 6, 1), dt.date(2024, 6, 2))
    dash.fetch_button.click()
    assert dash.wait(30)
    flags = dash.flags_html.value
    assert "Month-end forecast: not shown" in flags and "this range has 2 days" in flags
    assert "Pick 2024-05-06 – 2024-06-02 to see it (not cached: 26 requests" in flags
    assert "Month-end forecast for" not in flags
    assert "No change shown: the same days of the previous month (2024-05-01 – 2024-05-02)" in dash.summary_html.value

    dash.preset_dropdown.value = "custom"
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 5, 1), dt.date(2024, 5, 31)
    dash.fetch_button.click()
    assert dash.wait(30)
    sent = server.stat_requests
    dash.preset_dropdown.value = "this month"
    dash.fetch_button.click()
    assert dash.wait(30)
    assert server.stat_requests == sent  # June's two days and May's history all from the cache
    summary = dash.summary_html.value
    assert "Compared with the same days of the previous month: 2024-05-01 – 2024-05-02 (cached)." in summary
    june = expected_frame(dt.date(2024, 6, 1), dt.date(2024, 6, 2))["sms"].sum()
    may = expected_frame(dt.date(2024, 5, 1), dt.date(2024, 5, 2))["sms"].sum()
    assert f"({(june - may) / may * 100:+.1f}%)" in summary
    history = client.fetch_series(dt.date(2024, 5, 1), dt.date(2024, 6, 2), "D", progress=False)
    truth = forecast_month(history, "credit", end=dt.date(2024, 6, 2), total=True)
    projected = float(truth.loc[truth["login"] == ACCOUNT, "projected"].iloc[0])
    flags = dash.flags_html.value
    assert "Month-end forecast for 2024-06" in flags and format_money(projected, "RUR") in flags


def _download(dash: StatsDashboard, kind: str) -> bytes:
    import re

    found = re.search(rf'href="data:{re.escape(kind)};base64,([^"]+)"', dash.download.value)
    assert found, dash.download.value[:300]
    return base64.b64decode(found.group(1))


def test_the_russian_pages_files_open_right_in_a_russian_excel(
    make_client: Make, server: DemoServer, tmp_path: Path
) -> None:
    """?lang=ru: the CSV has a byte-order mark, ";" between fields, a decimal comma and the headers
    in Russian words (a Russian Excel opens it in columns, Cyrillic intact); the workbook is a
    report: title, totals, the comparison the page shows."""
    import csv
    import io

    from openpyxl import load_workbook

    client = make_client()
    dash = StatsDashboard(client, today=dt.date(2024, 3, 15), lang="ru")
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 31)
    dash.fetch_button.click()
    assert dash.wait(30)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    dash.fetch_button.click()  # February, compared with the cached January
    assert dash.wait(30)
    raw = _download(dash, "text/csv;charset=utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not cp1251
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["логин", "сообщения", "потрачено на сообщения (₽)", "пополнено (₽)", "валюта"]
    feb = expected_frame(dt.date(2024, 2, 1), dt.date(2024, 2, 29)).set_index("login")
    market = next(r for r in rows if r[0] == "демо_маркет")
    assert market[1] == str(feb.loc["демо_маркет", "sms"])
    assert market[2] == f"{feb.loc['демо_маркет', 'credit']:.2f}".replace(".", ",").rstrip("0").rstrip(",")
    path = tmp_path / "report.xlsx"
    path.write_bytes(_download(dash, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    sheet = load_workbook(path)["stats"]
    assert sheet["A1"].value.startswith("Статистика SMS, 01.02.2024 – 29.02.2024")
    headers = [c.value for c in sheet[3]]
    assert "сообщения, прошлый период" in headers and "расходы, изменение %" in headers
    jan = expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31)).set_index("login")
    body = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert body["демо_маркет"][headers.index("сообщения, прошлый период")] == jan.loc["демо_маркет", "sms"]
    assert body["Итого"][1] == feb["sms"].sum()


def test_the_login_filter_has_all_and_sits_with_the_filters(make_client: Make, server: DemoServer) -> None:
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    dash.fetch_button.click()
    assert dash.wait(30)
    children = list(dash.widget.children)
    box = dash.answer.filter_box
    assert children.index(box) < children.index(dash.answer.summary_html)  # above the answer, by the controls
    assert box.layout.display is None and dash.answer.all_logins_button.description == "all logins"
    dash.answer.login_filter.value = ("demo_shop",)
    assert "Showing 1 of 4 logins." in dash.status.value
    dash.answer.all_logins_button.click()
    assert dash.answer.login_filter.value == () and "Showing" not in dash.status.value
    assert dash.answer.table.search_text.description == "Find a login in the table"


def test_switching_a_cached_month_to_weekly_sums_the_cached_days_before_asking(
    make_client: Make, server: DemoServer
) -> None:
    """January by day is cached; by week it is shown at once from those days (no request),
    flagged with the kopeck caveat, and SMSC's own weekly figures are one click away."""
    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10), confirm_above=1e9)
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 31)
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    assert dash.wait(60)
    days = dash.result
    sent = server.stat_requests
    dash.granularity_dropdown.value = "weekly"
    dash.fetch_button.click()
    assert dash.wait(10)
    weeks = dash.result
    assert server.stat_requests == sent  # nothing asked
    assert weeks.attrs["composed"] is True and weeks.attrs["freq"] == "W"
    assert weeks["period_start"].nunique() == 5 and weeks["period_start"].min() == pd.Timestamp("2024-01-01")
    assert weeks["period_end"].max() == pd.Timestamp("2024-01-31")  # the last week clipped to the range
    assert weeks["sms"].sum() == days["sms"].sum()  # messages exact
    assert round(weeks["credit"].sum(), 2) == round(days["credit"].sum(), 2)
    assert "Summed from the 31 cached days, with no request" in dash.status.value
    assert "a few kopecks" in dash.status.value
    assert dash.confirm_box.layout.display is None and "need 5 requests" in dash.confirm_text.value
    dash.confirm_button.click()  # SMSC's own figures per week
    assert dash.wait(60)
    assert server.stat_requests == sent + 5 and not dash.result.attrs.get("composed")


def test_wait_returns_only_after_the_done_hook_has_finished() -> None:
    """The runner clears its busy flag before ``done`` runs; ``wait`` must still wait for ``done``
    (a caller touching the cache while ``done`` does crashed a worker on SQLite)."""
    import threading

    from smsstats_nb.dashboard._runner import Runner

    runner = Runner()
    in_done, finished = threading.Event(), []

    def done() -> None:
        in_done.set()
        time.sleep(0.2)  # done's own work (the cache line) takes a moment
        finished.append(True)

    runner.start(lambda cancel: None, done)
    in_done.wait(5)
    assert runner.busy is False  # done sees the runner idle
    assert runner.wait(5) and finished == [True]  # and wait still waits for done
