"""Voilà serves 04_dashboard.ipynb; a real Chromium (driven by Playwright) picks dates and fetches.

Skipped with a reason when Chromium or Playwright is missing, unless SMSSTATS_REQUIRE_BROWSER=1
(CI sets it and installs Chromium with apt-get). Every request to a non-loopback host is aborted
(Voilà asks a public CDN for fonts). Set SMSSTATS_SCREENSHOT_DIR=folder to keep the screenshots.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..conftest import free_port

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]  # Voila runs the notebook in its own process

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SMSSTATS_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SMSSTATS_REQUIRE_BROWSER") == "1"


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"SMSSTATS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _start_voila(tmp_path: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    voila_bin = Path(sys.executable).with_name("voila")
    if not voila_bin.exists():
        _skip_or_fail("voila is not installed")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    env["SMSSTATS_CACHE_DIR"] = str(tmp_path / "cache")
    env["SMSSTATS_DEMO_CACHE_DIR"] = str(tmp_path / "demo-cache")  # never the developer's demo cache
    env.update(extra_env)
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
    return proc, f"http://127.0.0.1:{port}/"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def _chromium(width: int = 1000, height: int = 900) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright (the Python package) is not installed")

    def only_loopback(route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()  # Voila asks a public CDN for fonts

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
            page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
            page.route("**/*", only_loopback)
            yield page
        finally:
            browser.close()


def _button(page: Any, name: str) -> Any:
    """The button whose whole text is ``name`` (its icon adds to the accessible name)."""
    return page.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))


def _pick(page: Any, start: str, end: str) -> None:
    dates = page.locator(".widget-datepicker input")
    dates.nth(0).fill(start)
    dates.nth(0).press("Tab")
    dates.nth(1).fill(end)
    dates.nth(1).press("Tab")
    page.wait_for_timeout(400)


def _fetch_and_wait(page: Any, expect: str) -> str:
    _button(page, "Fetch").click()
    status = page.locator(".smsstats-status")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = status.inner_text()
        if expect in text:
            return str(text)
        page.wait_for_timeout(250)
    pytest.fail(f"status never said {expect!r}; it says {status.inner_text()!r}")


def _keep(shot: Path, name: str) -> None:
    keep = os.environ.get("SMSSTATS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)


def _fetch_daily_anyway(page: Any) -> None:
    """By day, Fetch, and "Fetch anyway" when a fetch this long asks first."""
    page.locator("select:has(option:text-is('daily'))").select_option(label="daily")
    page.wait_for_timeout(300)
    _button(page, "Fetch").click()
    page.wait_for_timeout(500)
    anyway = _button(page, "Fetch anyway")
    if anyway.is_visible():
        anyway.click()


def test_no_password_then_a_wrong_one_then_the_right_one(tmp_path: Path) -> None:
    """SMSC mode with SMSC_LOGIN and no SMSC_PASSWORD (as the README advises): the password form,
    never Voila's error page; a wrong password is refused and asked again; the right one works."""
    from smsstats_nb.demo import DemoServer

    with DemoServer() as server:
        proc, url = _start_voila(tmp_path, {"SMSC_LOGIN": server.login, "SMSC_BASE_URL": server.url})
        try:
            with _chromium() as page:
                page.goto(url, timeout=120_000)
                _button(page, "Connect").wait_for(timeout=120_000)
                body = page.locator("body").inner_text()
                assert "There was an error" not in body and "Traceback" not in body
                password = page.locator("input[type=password]")
                assert password.is_visible() and "Connect" in page.locator(".smsstats-status").inner_text()
                assert page.locator(".widget-text input[type=text]").first.input_value() == server.login
                shot = tmp_path / "dashboard-password-form.png"
                page.screenshot(path=str(shot), full_page=True)
                _keep(shot, "dashboard-password-form.png")
                password.fill("not-the-password")
                _button(page, "Connect").click()
                _pick(page, "2024-01-01", "2024-01-31")
                status = _fetch_and_wait(page, "Login failed")
                assert status.count("Login failed") == 1 and "not-the-password" not in page.content()
                assert password.is_visible()
                password.fill(server.psw)
                _button(page, "Connect").click()
                page.wait_for_timeout(500)
                _fetch_and_wait(page, "4 rows for 2024-01-01 – 2024-01-31")
                assert server.psw not in page.content()
                assert server.stat_requests == 2

                # SMSC's real limit (3 a minute): the third request goes, the fourth waits; Cancel
                # during that wait settles at once and sends nothing more
                _pick(page, "2024-02-01", "2024-02-05")
                _fetch_daily_anyway(page)
                page.locator(".widget-label:has-text('next request in')").first.wait_for(timeout=30_000)
                sent = server.stat_requests
                clicked = time.monotonic()
                _button(page, "Cancel").click()
                page.wait_for_function(
                    "() => /Cancelled/.test(document.querySelector('.smsstats-status').innerText)", timeout=10_000
                )
                assert time.monotonic() - clicked < 5  # not the minute's wait
                page.wait_for_timeout(800)
                assert server.stat_requests == sent == 3  # nothing more after the click
        finally:
            _stop(proc)
