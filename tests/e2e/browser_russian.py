"""The dashboard in Russian in a real Chromium on Voilà (issue: speak the users' language).

``?lang=ru`` in the app's address (Voilà hands it to the kernel): the controls, the status, the
KPIs, the table and the chart speak Russian, money is written ``18 287,31 ₽``, and at 1000 px (the
narrowest width the README promises) no page scrollbar appears and no control's label is cut by the
longer Russian words.
"""

from __future__ import annotations

from pathlib import Path

from .test_browser import _button, _chromium, _keep, _pick
from .test_russian_interface import english_words

#: Every control whose text could be cut: its text wider than its box.
CLIPPED = """() => [...document.querySelectorAll(
    '.widget-label, .widget-button, button, .widget-checkbox label, .widget-dropdown select')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText || e.value || e.className)"""


def russian_walk(url: str, tmp_path: Path) -> None:
    """The app at ``url?lang=ru`` in a fresh Chromium page (the same Voilà server as the English
    walk): title to foot in Russian, money and separators the Russian way, and at 1000 and 1366 px
    no page scrollbar and no control's text cut by the longer Russian words."""
    with _chromium(1000, 900) as page:
        page.goto(url + "?lang=ru", timeout=120_000)
        _button(page, "Загрузить").wait_for(timeout=120_000)
        assert page.locator("h1").first.inner_text() == "Статистика SMS"  # the app's title, in Russian
        assert "Демо-режим" in page.locator(".smsstats-status").inner_text()
        _pick(page, "2024-01-01", "2024-01-31")
        metric = page.locator("select", has=page.locator("option", has_text="(credit)"))
        metric.select_option(label="потрачено на сообщения (credit)")  # the metric: spend
        _button(page, "Загрузить").click()
        status = page.locator(".smsstats-status")
        page.wait_for_function(
            "() => document.querySelector('.smsstats-status').innerText.includes('4 строки за 01.01.2024')",
            timeout=90_000,
        )
        page.wait_for_timeout(800)
        kpis = page.locator(".smsstats-kpis").inner_text()
        assert "потрачено, ₽" in kpis and "31\xa0178,98" in kpis  # the currency in the title, the comma in the figure
        table = page.locator("table.smsstats-table").inner_text()
        assert "потрачено на сообщения, ₽ (credit)" in table and "18\xa0287,31" in table
        app = page.locator("body").inner_text()  # the whole page: the title and intro too
        assert english_words(app) == [], app
        assert page.evaluate("document.documentElement.scrollWidth") <= 1000  # no page scrollbar
        assert page.evaluate(CLIPPED) == []
        shot = tmp_path / "dashboard-ru-1000.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        _keep(shot, "dashboard-ru-1000.png")
        page.set_viewport_size({"width": 1366, "height": 768})
        page.wait_for_timeout(500)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert page.evaluate(CLIPPED) == []
        shot = tmp_path / "dashboard-ru-1366.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot, "dashboard-ru-1366.png")
        assert "4 строки" in status.inner_text()  # the answer is still on the page
        with page.expect_download() as info:  # the CSV a Russian Excel opens in columns
            page.locator(".smsstats-download", has_text="CSV").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        raw = target.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]  # a BOM: Excel reads UTF-8, not cp1251
        lines = raw.decode("utf-8-sig").splitlines()
        assert lines[0] == "логин;сообщения;потрачено на сообщения (₽);пополнено (₽);валюта"
        assert any(line.startswith("демо_маркет;") for line in lines)  # Cyrillic intact
        assert "18287,31" in raw.decode("utf-8-sig")  # the decimal comma
