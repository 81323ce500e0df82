"""Voilà serves 04_dashboard.ipynb; a real Chromium (driven by Playwright) picks dates and fetches.

Skipped with a reason when Chromium or Playwright is missing, unless SMSSTATS_REQUIRE_BROWSER=1
(CI sets it and installs Chromium with apt-get). Every request to a non-loopback host is aborted
(Voilà asks a public CDN for fonts). Set SMSSTATS_SCREENSHOT=path to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SMSSTATS_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SMSSTATS_REQUIRE_BROWSER") == "1"


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SMSSTATS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[str]:
    voila_bin = Path(sys.executable).with_name("voila")
    if not voila_bin.exists():
        _skip_or_fail("voila is not installed")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    env["SMSSTATS_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.Popen(
        [
            str(voila_bin),
            str(ROOT / "notebooks" / "04_dashboard.ipynb"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--MappingKernelManager.cull_interval=10",
            "--MappingKernelManager.cull_idle_timeout=60",
            "--MappingKernelManager.cull_connected=True",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("voila did not start within 90 s")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_dashboard_in_a_real_browser(voila: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright (the Python package) is not installed")
    blocked: list[str] = []

    def only_loopback(route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(host)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", only_loopback)
            page.goto(voila, timeout=120_000)
            fetch = page.get_by_role("button", name="Fetch")
            fetch.wait_for(timeout=120_000)
            dates = page.locator(".widget-datepicker input")
            dates.nth(0).fill("2024-01-01")
            dates.nth(0).press("Tab")
            dates.nth(1).fill("2024-01-31")
            dates.nth(1).press("Tab")
            page.wait_for_timeout(500)
            fetch.click()
            page.locator("table.smsstats-table").wait_for(timeout=60_000)
            page.locator(".widget-output img").first.wait_for(timeout=60_000)
            status = page.locator(".smsstats-status").inner_text()
            assert "4 rows" in status and "2024-01-01" in status and "2024-01-31" in status
            table = page.locator("table.smsstats-table").inner_text()
            assert "demo_shop" in table and "11104" in table and "демо_маркет" in table
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            keep = os.environ.get("SMSSTATS_SCREENSHOT")
            if keep:
                shutil.copy(shot, keep)
        finally:
            browser.close()
