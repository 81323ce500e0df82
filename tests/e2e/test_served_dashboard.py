"""``smsstats dashboard --serve`` as colleagues meet it, checked with plain HTTP and a websocket:
no page without the token, no notebook tree, terminal or contents, no code from the page, and the
SMSC password nowhere in what the page is sent."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from smsstats_nb.cli._main import main
from smsstats_nb.demo import DemoServer

from ..conftest import free_port

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]

TOKEN = "served-dashboard-token-for-the-test"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    pytest.importorskip("voila")
    from jupyter_server.auth.security import passwd

    folder = tmp_path_factory.mktemp("served")
    with DemoServer(window=1.0) as smsc:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSC_", "SMSSTATS_"))}
        env.update(
            SMSC_LOGIN=smsc.login,
            SMSC_PASSWORD=smsc.psw,
            SMSC_BASE_URL=smsc.url,
            SMSSTATS_CACHE_DIR=str(folder / "cache"),
            SMSSTATS_DASHBOARD_TOKEN=TOKEN,
            SMSSTATS_DASHBOARD_PASSWORD_HASH=passwd(PASSWORD),  # a colleague may use either
            SMSSTATS_KDF_ROUNDS=os.environ.get("SMSSTATS_KDF_ROUNDS", "1000"),
        )
        log = (folder / "server.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "smsstats_nb.cli", "dashboard", "--serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the server exited: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        try:
            url = f"http://127.0.0.1:{port}/"
            page = _get(url, TOKEN)  # each page is a kernel running the app: the tests share one
            assert page.status_code == 200, page.status_code
            yield {"url": url, "port": port, "psw": smsc.psw, "proc": proc, "folder": folder, "page": page.text}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def _get(url: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(url, headers=headers, allow_redirects=False, timeout=60)


def test_no_page_without_the_token(served: dict[str, Any]) -> None:
    for token in (None, "a-wrong-token-of-some-length"):
        answer = _get(served["url"], token)
        assert answer.status_code in (302, 403) and "/login" in answer.headers.get("Location", "/login")
        assert "kernelId" not in answer.text
    # the token once in the address, then a cookie (how a colleague opens the link): the cookie
    # alone opens the page's kernel API, which refuses a request without it
    kernel = _kernel_id(served["page"])
    assert _get(served["url"] + f"api/kernels/{kernel}").status_code in (302, 403)
    with requests.Session() as browser:
        assert browser.get(served["url"] + f"?token={TOKEN}", timeout=60).status_code == 200
        assert browser.get(served["url"] + f"api/kernels/{kernel}", timeout=30).status_code == 200


def test_no_tree_terminal_contents_or_file_even_with_the_token(served: dict[str, Any]) -> None:
    for path in ("tree", "tree/", "lab", "notebooks/dashboard.ipynb", "api/contents", "api/contents/dashboard.ipynb",
                 "api/kernels", "api/sessions", "api/terminals", "terminals/1", "files/dashboard.ipynb",
                 "voila/files/dashboard.ipynb", "voila/render/dashboard.ipynb", "api/kernelspecs"):  # fmt: skip
        answer = _get(served["url"] + path, TOKEN)
        assert answer.status_code != 200, path
        if answer.status_code in (301, 302):  # Voilà sends an unknown path to its file handler …
            follow = _get(requests.compat.urljoin(served["url"], answer.headers["Location"]), TOKEN)
            assert follow.status_code in (403, 404), path  # … which serves no file at all


def test_the_smsc_password_never_reaches_the_page(served: dict[str, Any]) -> None:
    page = served["page"]
    assert "kernelId" in page  # the app itself, with its widgets' state
    assert served["psw"] not in page and "SMSC_PASSWORD" not in page
    assert TOKEN not in page  # nor the token it was opened with


def _kernel_id(page: str) -> str:
    found = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page)
    assert found, "no kernel id in the page"
    return found.group(1)


def _message(msg_type: str, content: dict[str, Any], session: str) -> str:
    header = {"msg_id": uuid.uuid4().hex, "username": "x", "session": session, "msg_type": msg_type,
              "version": "5.3", "date": "2024-01-01T00:00:00Z"}  # fmt: skip
    return json.dumps(
        {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}
    )


def test_the_page_cannot_run_code_in_its_kernel(served: dict[str, Any]) -> None:
    """Voilà lets a page's kernel take widget messages only: an execute_request sent over the
    page's own websocket is dropped (a kernel_info_request on the same socket is answered, so the
    socket works and the test can fail)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = _kernel_id(served["page"])
    marker = Path(served["folder"]) / "pwned"
    session = uuid.uuid4().hex

    async def talk() -> list[str]:
        url = f"ws://127.0.0.1:{served['port']}/api/kernels/{kernel}/channels?session_id={session}"
        ws = await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {TOKEN}", "Origin": served["url"].rstrip("/")})
        )
        code = f"open({str(marker)!r}, 'w').write('x')"
        await ws.write_message(_message("execute_request", {"code": code, "silent": False}, session))
        await ws.write_message(_message("kernel_info_request", {}, session))
        seen: list[str] = []
        end = time.monotonic() + 8
        while time.monotonic() < end:
            try:
                raw = await asyncio.wait_for(ws.read_message(), timeout=end - time.monotonic())
            except TimeoutError:
                break
            if raw is None:
                break
            kind = json.loads(raw)["header"]["msg_type"] if isinstance(raw, str) else "binary"
            seen.append(kind)
            if kind == "kernel_info_reply":  # the kernel takes shell messages in order: an execute let
                break  # through would have answered before this reply
        ws.close()
        return seen

    seen = asyncio.run(talk())
    assert "kernel_info_reply" in seen  # the socket talks to the kernel …
    assert "execute_reply" not in seen and "execute_input" not in seen and not marker.exists()  # … code never runs
    log = (Path(served["folder"]) / "server.log").read_text()
    assert 'Received message of type "execute_request", which is not allowed' in log  # refused, not malformed


def test_serving_refuses_a_login_without_a_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("voila")
    monkeypatch.setenv("SMSC_LOGIN", "someone")
    monkeypatch.delenv("SMSC_PASSWORD", raising=False)
    monkeypatch.delenv("SMSC_APIKEY", raising=False)
    assert main(["dashboard", "--serve", "--port", str(free_port())]) == 2
    assert "never asks for the SMSC password" in capsys.readouterr().err
    monkeypatch.setenv("SMSC_PASSWORD", "x")
    monkeypatch.setenv("SMSSTATS_DASHBOARD_TOKEN", "short")
    assert main(["dashboard", "--serve", "--port", str(free_port())]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    assert main(["dashboard"]) == 2 and "needs --serve" in capsys.readouterr().err


def _status(page: Any, expect: str, seconds: float = 90) -> str:
    status = page.locator(".smsstats-status")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if status.count() and expect in (text := status.inner_text()) and "oading" not in text:
            return str(text)
        page.wait_for_timeout(250)
    pytest.fail(f"status never said {expect!r}; it says {status.inner_text() if status.count() else None!r}")


def test_a_link_opens_its_view_in_chromium_and_the_address_follows_the_controls(served: dict[str, Any]) -> None:
    """A colleague's link: asked first when not cached, shown at once when it is; the address bar
    keeps the view (and drops the token the link was opened with)."""
    from .test_browser import _button, _chromium, _keep

    # two days: two requests, within one window of the quota
    view = "range=custom&start=2024-01-08&end=2024-01-09&freq=D&metric=credit&logins=demo_shop,demo"
    with _chromium(width=1200, height=1000) as page:
        page.goto(served["url"] + f"?token={TOKEN}&{view}", timeout=90_000)
        _status(page, "Waiting for your confirmation")
        assert "not cached: it needs 2 requests" in page.locator(".widget-html").all_inner_texts().__str__()
        _button(page, "Fetch anyway").click()
        _status(page, "rows")
        page.wait_for_function("location.search.includes('logins=')", timeout=30_000)
        assert "token=" not in page.url and "metric=credit" in page.url and "logins=demo%2Cdemo_shop" not in page.url
        assert "logins=demo_shop,demo" in page.url or "logins=demo,demo_shop" in page.url
        shot = Path(served["folder"]) / "link-view.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot, "served-link-view.png")
        # the user switches the metric: the address follows, no new history entry
        page.locator("select:has(option:text-is('messages (sms)'))").select_option(label="messages (sms)")
        page.wait_for_function("!location.search.includes('metric=')", timeout=30_000)  # the kernel's round trip
        assert "metric=" not in page.url and "freq=D" in page.url
        link = page.url
        page.goto(link, timeout=90_000)  # the link opened again (a new page, a new kernel): the cache answers
        said = _status(page, "no request was sent")
        assert "demo_shop" in page.locator("body").inner_text() and "rows" in said
        shot = Path(served["folder"]) / "link-cached.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot, "served-link-cached.png")


def test_a_password_beside_the_token_through_jupyter_servers_login_page(served: dict[str, Any]) -> None:
    """``SMSSTATS_DASHBOARD_PASSWORD_HASH`` (a Jupyter server hash): the login page takes the
    password; a wrong one is refused, the right one lets the browser in (the form's xsrf included),
    and the password is written nowhere in the server's log."""
    url = served["url"]
    assert _get(url).status_code == 302
    with requests.Session() as browser:
        browser.get(url + "login", timeout=30)
        xsrf = browser.cookies.get("_xsrf")
        browser.post(url + "login", data={"password": "wrong horse", "_xsrf": xsrf}, timeout=30)
        assert browser.get(url, timeout=60, allow_redirects=False).status_code == 302
        browser.post(url + "login", data={"password": PASSWORD, "_xsrf": xsrf}, timeout=30)
        page = browser.get(url, timeout=60, allow_redirects=False)
        assert page.status_code == 200 and "kernelId" in page.text
    assert PASSWORD not in (Path(served["folder"]) / "server.log").read_text()
