"""The analyst's path at 1366 × 768 in a real Chromium on Voilà (issue: the analyst's faces).

January twice (the second from the cache) and another metric (one chart, redrawn), February after
January (the comparison shows), the login filter (the KPIs, the table and the file
follow), the three downloads opened and checked, a quarter by day with the progress line read while
it runs, then cancelled (the page and the file say partial, with the range really covered), and the
page at 1920 and 1000 px; then the same app at ``?lang=ru`` (``browser_russian.russian_walk``). Its
own file, so pytest-xdist runs it beside the other browser test.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from smsstats_nb.output._exports import read_export

from .browser_russian import russian_walk
from .test_browser import (
    _button,
    _chromium,
    _fetch_and_wait,
    _fetch_daily_anyway,
    _keep,
    _pick,
    _start_voila,
    _stop,
)

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]  # Voila runs the notebook in its own process


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    _keep(path, name)
    return path


def _download(page: Any, tmp_path: Path, label: str) -> Path:
    with page.expect_download() as info:
        page.locator(".smsstats-download", has_text=label).click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return target


def _wait_for(page: Any, selector: str, pattern: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = str(page.locator(selector).first.inner_text())
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(100)
    pytest.fail(f"{selector} never matched {pattern!r}; it says {text!r}")


def test_the_analysts_walk_at_1366_px(tmp_path: Path) -> None:
    proc, url = _start_voila(tmp_path, {})
    try:
        with _chromium(1366, 768) as page:
            page.goto(url, timeout=120_000)
            _button(page, "Fetch").wait_for(timeout=120_000)
            # the app opens with the analyst's words, not the developer's
            first_heading = page.locator("h1").first.inner_text()
            assert "SMS statistics" in first_heading

            assert "Demo mode" in page.locator(".smsstats-status").inner_text()

            # January, then the same question again (from the cache), then another metric
            _pick(page, "2024-01-01", "2024-01-31")
            _fetch_and_wait(page, "4 rows for 2024-01-01 – 2024-01-31")
            table = page.locator("table.smsstats-table").inner_text()
            assert "demo_shop" in table and "9,216" in table and "18,287.31" in table and "демо_маркет" in table
            assert "spent on messages, RUB (credit)" in table
            assert "15,232 messages" in page.locator(".smsstats-summary").inner_text()
            _fetch_and_wait(page, "from the cache")
            assert page.locator("table.smsstats-table").count() == 1  # one answer on the page, not two
            credit = "spent on messages (credit)"
            page.locator(f"select:has(option:text-is('{credit}'))").select_option(label=credit)
            page.wait_for_timeout(1000)
            assert page.locator(".widget-output img").count() == 1  # redrawn, not blank, not stacked
            _shot(page, tmp_path, "dashboard-1366-january.png")

            # February after January: the comparison shows, in the tiles; January's figures are gone
            _pick(page, "2024-02-01", "2024-02-29")
            _fetch_and_wait(page, "4 rows for 2024-02-01 – 2024-02-29")
            assert "9,216" not in page.locator("table.smsstats-table").inner_text()
            kpis = page.locator(".smsstats-kpis").inner_text()
            assert "vs previous" in kpis and "%" in kpis
            assert (
                "Compared with the previous month: 2024-01-01 – 2024-01-31 (cached)"
                in page.locator(".smsstats-summary").inner_text()
            )
            everyone = page.locator(".smsstats-summary").inner_text()

            # the login filter: KPIs, table and file follow
            page.get_by_label("Logins", exact=True).select_option(["demo_shop"])
            _wait_for(page, ".smsstats-status", r"Showing 1 of 4 logins")
            table = page.locator("table.smsstats-table").inner_text()
            assert "demo_shop" in table and "demo_news" not in table and "демо_маркет" not in table
            assert page.locator(".smsstats-summary").inner_text() != everyone
            assert "from 1 login" in page.locator(".smsstats-summary").inner_text()
            files = {label: _download(page, tmp_path, label) for label in ("CSV", "Excel", "Chart (PNG)")}
            assert files["CSV"].name == "smsstats_2024-02-01_2024-02-29_total_demo_shop.csv"
            raw = files["CSV"].read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
            csv = pd.read_csv(files["CSV"], encoding="utf-8-sig")  # the headers in words
            assert list(csv.columns) == ["login", "messages", "spent on messages (RUB)", "paid in (RUB)", "currency"]
            assert csv["login"].tolist() == ["demo_shop"]
            sheet = read_export(files["Excel"])
            assert sheet["sms"].tolist() == csv["messages"].tolist() and sheet.attrs["start"] == "2024-02-01"
            assert files["Chart (PNG)"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no horizontal scrollbar
            _shot(page, tmp_path, "dashboard-1366-february-one-login.png")
            page.get_by_label("Logins", exact=True).select_option([])  # all logins again

            # this month so far: compared with the same days of the previous month, and said so
            page.locator("select:has(option:text-is('this month'))").select_option(label="this month")
            page.wait_for_timeout(300)
            _button(page, "Fetch").click()
            summary = _wait_for(page, ".smsstats-summary", r"the same days of the previous month", 60)
            assert re.search(r"\(20\d\d-\d\d-01 – 20\d\d-\d\d-\d\d\)", summary), summary  # from the 1st
            page.locator("select:has(option:text-is('this month'))").select_option(label="custom")

            # a quarter by day: the progress line while it runs, then Cancel
            _pick(page, "2024-04-01", "2024-06-30")
            _fetch_daily_anyway(page)
            line = _wait_for(
                page, ".widget-label:has-text('periods done')", r"\d+ of 91 periods done, \d+ to go; about .+ left", 60
            )
            assert "to go" in line and "left" in line
            _wait_for(page, ".smsstats-status", r"Loading: 2024-06-\d\d – 2024-06-30 of 2024-04-01 – 2024-06-30")
            _shot(page, tmp_path, "dashboard-1366-quarter-loading.png")
            _button(page, "Cancel").click()
            status = _wait_for(page, ".smsstats-status", r"Cancelled: \d+ of 91 periods", 60)
            covered = re.search(r"covers (2024-\d\d-\d\d) – (2024-06-30) of 2024-04-01 – 2024-06-30", status)
            assert covered, status
            start = covered.group(1)
            assert "Partial: these figures cover" in page.locator(".smsstats-partial").inner_text()
            assert "SMSC's total for the whole range" in page.locator(".smsstats-partial").inner_text()
            assert "too short to judge" in page.locator(".smsstats-monitoring").inner_text()  # not "none found"
            partial_csv = _download(page, tmp_path, "CSV")
            assert partial_csv.name == f"smsstats_{start}_2024-06-30_daily_partial.csv"
            days = pd.read_csv(partial_csv, parse_dates=["period start"], encoding="utf-8-sig")
            assert days["period start"].min() == pd.Timestamp(start)
            assert days["period start"].max() == pd.Timestamp("2024-06-30")
            book = read_export(_download(page, tmp_path, "Excel"))
            assert book.attrs["complete"] is False and book.attrs["requested_start"] == "2024-04-01"
            assert (book.attrs["start"], book.attrs["end"]) == (start, "2024-06-30")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            _shot(page, tmp_path, "dashboard-1366-quarter-cancelled.png")

            # the same page at 1920 px: no scrollbar, the width used
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_timeout(500)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1920
            app = page.locator(".smsstats-kpis").first.evaluate(
                "e => e.closest('.widget-vbox').getBoundingClientRect().width"
            )
            assert app >= 1200, f"the app is {app} px wide in a 1920 px window"
            _shot(page, tmp_path, "dashboard-1920-quarter-cancelled.png")
            page.set_viewport_size({"width": 1000, "height": 900})  # and at 1000 px: nothing clipped
            page.wait_for_timeout(500)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1000
            _shot(page, tmp_path, "dashboard-1000-quarter-cancelled.png")
        # the same app in Russian, from its address (the same Voilà server, a new page and kernel)
        russian_walk(url, tmp_path)
    finally:
        _stop(proc)
