"""A report's e-mail as a mail reader shows it: the HTML part rendered in a real Chromium, its
``cid:`` image resolved from the message's own MIME part (as a mail reader does), the chart drawn.

Set SMSSTATS_SCREENSHOT_DIR=folder to keep the screenshots (and look at them)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb.alerts import rich_email
from smsstats_nb.client import StatsClient
from smsstats_nb.reports import build_report

from .test_browser import _chromium

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]


def test_the_reports_html_shows_its_inline_chart_in_chromium(
    warm_client: Callable[..., StatsClient], tmp_path: Path
) -> None:
    client = warm_client()
    with _chromium(width=900, height=1100) as page:  # one browser, both languages
        for lang in ("en", "ru"):
            _render(
                page, build_report({None: client}, "2024-06-17", "2024-06-23", period="last-week", lang=lang), tmp_path
            )


def _render(page: Any, report: Any, tmp_path: Path) -> None:
    lang = report.lang
    raw = bytes(rich_email(report.message(), "smsstats@example.com", ["boss@example.com"]))
    mail = message_from_bytes(raw, policy=policy.strict)
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    images = {p["Content-ID"].strip("<>"): p.get_content() for p in mail.walk() if p.get_content_type() == "image/png"}
    assert len(images) == 1
    for cid, data in images.items():  # what a mail reader does with cid: (RFC 2392)
        html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(data).decode())
    assert "cid:" not in html
    page.set_content(html)
    page.wait_for_function("document.images.length > 0 && document.images[0].complete")
    width = page.evaluate("document.images[0].naturalWidth")
    assert width > 500  # the chart decoded and drawn, not a broken-image icon
    shown = page.inner_text("body")
    assert ("SMS report" if lang == "en" else "Отчёт по SMS") in shown and "demo_shop" in shown
    shot = tmp_path / f"report-mail-{lang}.png"
    page.screenshot(path=str(shot), full_page=True)
    keep = os.environ.get("SMSSTATS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / shot.name).write_bytes(shot.read_bytes())
