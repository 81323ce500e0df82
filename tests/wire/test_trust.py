"""Hostile servers written here (stdlib http.server on 127.0.0.1) for what the demo server cannot do:
redirects, empty, trickled and huge bodies, 429/503 with Retry-After, a dead port, error 4."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import trustme

from smsstats_nb import (
    AuthError,
    IPBlockedError,
    RateLimitError,
    ResponseFormatError,
    StatsClient,
    StorageError,
    TransportError,
)
from smsstats_nb.core._query import moscow_today
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW, free_port
from ..hostile import Hostile, Reply, send

pytestmark = pytest.mark.loopback

SECRET = "hostile-s3cret-pw"
GOOD = '[{"login":"a","sms":"1","credit":"2.50","debit":"0","currency":"RUR"}]'
Make = Callable[..., StatsClient]


HostileMaker = Callable[[Reply], Hostile]


@pytest.fixture
def hostile() -> Iterator[Callable[[Reply], Hostile]]:
    made: list[Hostile] = []

    def make(reply: Reply) -> Hostile:
        made.append(Hostile(reply))
        return made[-1]

    yield make
    for h in made:
        h.close()


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[Callable[..., StatsClient]]:
    made: list[StatsClient] = []

    def make(url: str, **kwargs: Any) -> StatsClient:
        kwargs.setdefault("cache", tmp_path / "cache")
        kwargs.setdefault("rate_limit", (3, WINDOW))
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("backoff", 0.0)
        made.append(StatsClient("hostile-login", SECRET, base_url=url, **kwargs))
        return made[-1]

    yield make
    for c in made:
        c.close()


def seconds_until(when: dt.datetime) -> float:
    """Seconds from now until ``when`` (requests-cache keeps naive UTC)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return (aware - dt.datetime.now(dt.UTC)).total_seconds()


def files_hold(directory: Path, needle: str) -> bool:
    return any(needle.encode() in p.read_bytes() for p in directory.rglob("*") if p.is_file())


# -- 1. redirects ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(
    hostile: HostileMaker,
    client_for: Make,
    tmp_path: Path,
    status: int,
    method: str,
) -> None:
    elsewhere = hostile(lambda h, n: send(h, 200, GOOD.encode()))
    port = int(elsewhere.url.rsplit(":", 1)[1])
    redirecting = hostile(lambda h, n: send(h, status, headers={"Location": f"http://localhost:{port}/sys/get.php"}))
    client = client_for(redirecting.url, method=method)
    with pytest.raises(TransportError, match=f"HTTP {status}, a redirect to localhost") as info:
        client.fetch("2024-01-01")
    assert SECRET not in str(info.value) and "psw" not in str(info.value)
    assert elsewhere.requests == 0 and redirecting.requests == 1
    assert client.cache_info()["entries"] == 0
    assert len(client._transport.quota.recent()) == 1  # the redirect spent its token
    assert not files_hold(tmp_path, SECRET)


@pytest.mark.parametrize("status", [301, 307, 308])
def test_an_https_redirect_to_http_sends_nothing_there(
    client_for: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # the client trusts this test CA, over real TLS
    plain = Hostile(lambda h, n: send(h, 200, GOOD.encode()))
    secure = Hostile(lambda h, n: send(h, status, headers={"Location": f"{plain.url}/sys/get.php"}), tls=tls)
    try:
        client = client_for(secure.url)
        with pytest.raises(TransportError, match=f"HTTP {status}, a redirect to 127.0.0.1") as info:
            client.fetch("2024-01-01")
        assert SECRET not in str(info.value)
        assert secure.requests == 1  # the TLS handshake worked and the one request was answered
        assert plain.requests == 0  # nothing, least of all the password, went to the plain-HTTP host
        assert client.cache_info()["entries"] == 0
        assert not files_hold(tmp_path, SECRET)
    finally:
        plain.close()
        secure.close()


# -- 2. nothing wrong in the permanent cache --------------------------------------------------------------
@pytest.mark.parametrize("fmt", [2, 3])
@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_an_empty_xml_or_json_body_is_malformed_and_not_stored(
    hostile: HostileMaker, client_for: Make, fmt: int, body: bytes
) -> None:
    client = client_for(hostile(lambda h, n: send(h, 200, body)).url)
    with pytest.raises(ResponseFormatError, match="empty answer"):
        client.fetch("2024-01-01", fmt=fmt)
    assert client.cache_info()["entries"] == 0


@pytest.mark.parametrize("fmt", [0, 1])
def test_an_empty_text_or_csv_answer_for_a_closed_period_is_final(
    hostile: HostileMaker, client_for: Make, fmt: int
) -> None:
    """Empty is how fmt 0/1 say "no traffic": a closed period's empty answer is as final as any."""
    server = hostile(lambda h, n: send(h, 200, b""))
    client = client_for(server.url, recent_expiry=60)
    assert len(client.fetch("2024-01-01", fmt=fmt)) == 0  # a closed period
    assert client.fetch("2024-01-01", fmt=fmt).attrs["from_cache"] is True and server.requests == 1
    [stored] = list(client.transport.session.cache.responses.values())  # type: ignore[attr-defined]
    assert stored.expires is None  # forever, like a closed period with traffic
    recent = client.fetch(moscow_today(), fmt=fmt)  # an open period's empty answer still expires
    assert len(recent) == 0 and server.requests == 2
    opened = [r for r in client.transport.session.cache.responses.values() if r.expires is not None]  # type: ignore[attr-defined]
    assert len(opened) == 1 and 50 < seconds_until(opened[0].expires) <= 61


def test_a_body_over_the_cap_is_refused_and_not_stored(hostile: HostileMaker, client_for: Make) -> None:
    row = b'{"login":"a","sms":"1","credit":"2.50","debit":"0","currency":"RUR"},'
    big = b"[" + row * 20_000 + row[:-1] + b"]"  # about 1.4 MB

    def chunked_no_length(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(big)

    for reply in (lambda h, n: send(h, 200, big), chunked_no_length):
        client = client_for(hostile(reply).url, max_body=1_000_000)
        with pytest.raises(ResponseFormatError, match="max_body"):
            client.fetch("2024-01-01")
        assert client.cache_info()["entries"] == 0


# -- 3. the account's IP is never blocked by the client -------------------------------------------------
def test_after_error_4_every_request_is_refused_locally_for_30_minutes(make_client: Any, server: DemoServer) -> None:
    server.inject("error4")
    with pytest.raises(IPBlockedError):
        make_client().fetch("2024-01-01")
    for kwargs in ({}, {"psw": "another"}, {"login": "other", "psw": "x"}):
        with pytest.raises(IPBlockedError, match="refused locally") as info:
            make_client(**kwargs).fetch("2024-01-02")
        assert info.value.retry_after is not None and info.value.retry_after > 1700
    assert server.stat_requests == 1


# -- 5. time and quota are honest ------------------------------------------------------------------------
def test_a_trickled_body_is_cut_at_the_timeout(hostile: HostileMaker, client_for: Make) -> None:
    def trickle(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(200):
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    client = client_for(hostile(trickle).url, timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(TransportError, match=r"within 1 s") as info:
        client.fetch("2024-01-01")
    assert time.monotonic() - t0 < 3.0
    assert "s in all" in str(info.value)
    assert len(client._transport.quota.recent()) == 1  # sent, so it spent a token


def test_trickled_headers_are_cut_at_the_timeout_and_counted_not_retried(
    hostile: HostileMaker, client_for: Make
) -> None:
    """A slow server (a wrong password behind it, maybe): the attempt is cut at the deadline, not
    sent again blind, and fills a place in the failed-login budget (0.1 retried it three times per
    fetch and counted none: two runs got the IP blocked while ``cache info`` said 0)."""

    def slow_headers(h: BaseHTTPRequestHandler, n: int) -> None:
        for ch in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
            try:
                h.wfile.write(bytes([ch]))
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    server = hostile(slow_headers)
    client = client_for(server.url, timeout=1.0, rate_limit=(10, WINDOW))
    t0 = time.monotonic()
    with pytest.raises(TransportError, match=r"within 1 s \(1 attempt,") as info:
        client.fetch("2024-01-01")
    spent = time.monotonic() - t0
    assert spent < 4.0, spent
    assert server.requests == 1 and "s in all" in str(info.value)
    assert client.cache_info()["failed_logins"] == 1


def test_a_refused_connection_spends_no_token_and_waits_for_nothing(client_for: Make) -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}", rate_limit=(1, 60), timeout=1.0)
    t0 = time.monotonic()
    for _ in range(2):
        with pytest.raises(TransportError, match="could not talk"):
            client.fetch("2024-01-01")
    assert time.monotonic() - t0 < 10 and client._transport.quota.recent() == []


def test_retries_respect_wait_false(hostile: HostileMaker, client_for: Make) -> None:
    server = hostile(lambda h, n: send(h, 502, b"bad gateway"))
    client = client_for(server.url, rate_limit=(1, 60), wait=False)
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        client.fetch("2024-01-01")
    assert info.value.local is True and time.monotonic() - t0 < 5 and server.requests == 1


@pytest.mark.slow  # waits out a real Retry-After
def test_429_with_retry_after_is_honoured_within_max_wait(hostile: HostileMaker, client_for: Make) -> None:
    server = hostile(lambda h, n: send(h, 429, b"", {"Retry-After": "1"}) if n == 0 else send(h, 200, GOOD.encode()))
    t0 = time.monotonic()
    df = client_for(server.url).fetch("2024-01-01")
    assert len(df) == 1 and server.requests == 2 and time.monotonic() - t0 >= 1.0


def test_429_beyond_max_wait_is_a_rate_limit_error_with_retry_after(hostile: HostileMaker, client_for: Make) -> None:
    server = hostile(lambda h, n: send(h, 429, b"", {"Retry-After": "30"}))
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        client_for(server.url, max_wait=2).fetch("2024-01-01")
    assert info.value.retry_after == 30 and info.value.local is False
    assert server.requests == 1 and time.monotonic() - t0 < 5


@pytest.mark.slow  # waits out a real Retry-After
def test_503_with_retry_after_is_honoured(hostile: HostileMaker, client_for: Make) -> None:
    server = hostile(lambda h, n: send(h, 503, b"", {"Retry-After": "1"}) if n == 0 else send(h, 200, GOOD.encode()))
    assert len(client_for(server.url).fetch("2024-01-01")) == 1 and server.requests == 2
    busy = hostile(lambda h, n: send(h, 503, b"", {"Retry-After": "30"}))
    with pytest.raises(TransportError, match="503"):
        client_for(busy.url, max_wait=1).fetch("2024-01-01")
    assert busy.requests == 1


def test_localhost_and_127_0_0_1_share_one_quota(server: DemoServer, tmp_path: Path) -> None:
    port = server.url.rsplit(":", 1)[1]
    kwargs: dict[str, Any] = {"cache": tmp_path / "c", "rate_limit": (3, 60), "wait": False}
    with (
        StatsClient(server.login, server.psw, base_url=f"http://127.0.0.1:{port}", **kwargs) as a,
        StatsClient(server.login, server.psw, base_url=f"http://localhost:{port}", **kwargs) as b,
    ):
        a.fetch("2024-01-01")
        b.fetch("2024-01-02")
        a.fetch("2024-01-03")
        with pytest.raises(RateLimitError):
            b.fetch("2024-01-04")
    assert server.stat_requests == 3


def test_a_long_series_warns_with_its_estimate(make_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    cancel = threading.Event()
    cancel.set()  # estimate and warn, then stop before any request
    with caplog.at_level("WARNING", logger="smsstats_nb"):
        make_client(rate_limit=(3, 60)).fetch_series("2024-01-01", "2024-01-31", "D", cancel=cancel, progress=False)
    assert any("long series" in r.getMessage() and "31 to fetch" in r.getMessage() for r in caplog.records)


def test_the_progress_bar_eta_comes_from_the_quota_schedule(
    make_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three of five periods fetched at once fill a 10-minute window: the two left need about
    10 minutes. tqdm's own extrapolation from the first three quick periods would say seconds."""
    cancel = threading.Event()

    def stop_after_three(done: int, total: int, cached: bool) -> None:
        if done == 3:
            cancel.set()

    client = make_client(rate_limit=(3, 600))
    df = client.fetch_series("2024-01-01", "2024-01-05", "D", progress=True, cancel=cancel, on_period=stop_after_three)
    assert df["period_start"].nunique() == 3
    err = capsys.readouterr().err
    # the bar's count and its postfix agree, and the ETA is the schedule's
    assert re.search(r"3/5 \[[^]]*fetched 3, about (9 min [45]\d|10 min 0\d) s left\]", err), err[-500:]


# -- 4. state is never thrown away by mistake ---------------------------------------------------------------
def test_a_busy_state_file_is_a_clear_error_and_is_not_set_aside(
    make_client: Any, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from smsstats_nb.store import _local_state as state

    make_client().fetch("2024-01-01")
    monkeypatch.setattr(state, "BUSY_TIMEOUT", 0.2)  # the state file's connections wait this long
    holder = sqlite3.connect(cache_dir / "state.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="busy") as info:
            make_client().fetch("2024-01-02")
        assert str(cache_dir) in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(cache_dir.glob("*.corrupt-*"))
    assert make_client().fetch("2024-01-01").attrs["from_cache"] is True  # nothing was lost


READ_ONLY_READER = """
import json, sys
from smsstats_nb import StatsClient, StorageError
url, cache = sys.argv[1], sys.argv[2]
client = StatsClient("demo", "demo-password", base_url=url, cache=cache, rate_limit=(3, 1.0), timeout=5.0)
out = {"hit": client.fetch("2024-01-01", "2024-01-31").to_dict("records")}
for name, call in (("miss", lambda: client.fetch("2024-02-01")), ("clear", client.clear_cache)):
    try:
        call()
        out[name] = "no error"
    except StorageError as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


def _run_read_only(directory: Path, url: str) -> subprocess.CompletedProcess[str]:
    """Run the reader on ``directory`` made read-only: by permissions for a normal user, by a
    read-only bind mount in a private mount namespace for root (permissions do not stop root)."""
    if os.geteuid() != 0:
        paths = [directory, *directory.iterdir()]
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            return subprocess.run(
                [sys.executable, "-c", READ_ONLY_READER, url, str(directory)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            for p in paths:
                p.chmod(0o755 if p.is_dir() else 0o644)
    if shutil.which("unshare") is None:
        pytest.skip("root without unshare(1): no way to make a read-only directory here")
    view = directory.with_name("read-only-view")
    view.mkdir()
    mount = f'mount --bind {shlex.quote(str(directory))} {view} && mount -o remount,bind,ro {view} && exec "$@"'
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh"]
    command += [sys.executable, "-c", READ_ONLY_READER, url, str(view)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and ("mount:" in result.stderr or "unshare:" in result.stderr):
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()[:200]}")
    return result


@pytest.mark.slow  # starts a Python subprocess
def test_cached_answers_stay_readable_from_a_read_only_cache(
    make_client: Any, server: DemoServer, cache_dir: Path
) -> None:
    writer = make_client()
    expected = writer.fetch("2024-01-01", "2024-01-31").to_dict("records")
    writer.close()
    sent = server.stat_requests
    result = _run_read_only(cache_dir, server.url)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    assert out["hit"] == expected
    for name in ("miss", "clear"):
        assert "read-only" in out[name] and "cached answers can be read" in out[name], out
    assert server.stat_requests == sent  # the miss was refused before any request
    assert make_client().fetch("2024-01-01", "2024-01-31").attrs["from_cache"] is True  # nothing was lost


def test_known_bad_secret_is_still_refused_at_once(make_client: Any, server: DemoServer) -> None:
    with pytest.raises(AuthError, match="authorise error"):
        make_client(psw="typo").fetch("2024-01-01")
    with pytest.raises(AuthError, match="refused locally"):
        make_client(psw="typo").fetch("2024-01-01")
    assert server.stat_requests == 1


def test_a_cached_answer_equals_the_live_one_row_for_row(hostile: HostileMaker, client_for: Any) -> None:
    rows = [("zeta", 3, "3.00"), ("alpha", 1, "1.00"), ("mid", 2, "2.00")]  # not in login order
    body = json.dumps(
        [{"login": x, "sms": str(n), "credit": c, "debit": "0", "currency": "RUR"} for x, n, c in rows]
    ).encode()
    server = hostile(lambda h, n: send(h, 200, body, {"Content-Type": "application/json"}))
    live = client_for(server.url).fetch("2024-01-01", "2024-01-31")
    again = client_for(server.url).fetch("2024-01-01", "2024-01-31")  # a new client: the parsed store
    assert again.attrs["from_cache"] is True and server.requests == 1
    assert live.equals(again), (live, again)  # one order, whichever way the answer arrives
    assert live["login"].tolist() == ["alpha", "mid", "zeta"] and list(live.index) == [0, 1, 2]
    cached = client_for(server.url).cached("2024-01-01", "2024-01-31")
    assert cached is not None and cached.equals(live)


def test_a_lone_surrogate_is_refused_and_nothing_is_stored(hostile: HostileMaker, client_for: Any) -> None:
    body = b'[{"login": "shop\\ud800", "sms": "1", "credit": "1.00", "debit": "0", "currency": "RUR"}]'
    server = hostile(lambda h, n: send(h, 200, body, {"Content-Type": "application/json"}))
    client = client_for(server.url)
    for _ in range(2):  # refused each time: nothing was stored that a later fetch trips over
        with pytest.raises(ResponseFormatError, match="lone surrogate"):
            client.fetch("2024-01-01")
    assert client.cache_info()["entries"] == 0 and server.requests == 2


def test_one_service_one_cache_whatever_the_spelling_of_its_host(
    server: DemoServer, tmp_path: Path, clock: Any
) -> None:
    port = server.url.rsplit(":", 1)[1]
    kwargs: dict[str, Any] = {"cache": tmp_path / "c", "rate_limit": (3, WINDOW), "clock": clock, "backoff": 0}
    with StatsClient(server.login, server.psw, base_url=f"http://127.0.0.1:{port}", **kwargs) as sync_side:
        sync_side.fetch_series("2024-01-01", "2024-01-05", progress=False)
    assert server.stat_requests == 5
    for name in ("frames.sqlite", "frames.sqlite-wal", "frames.sqlite-shm"):  # the HTTP cache's keys first
        (tmp_path / "c" / name).unlink(missing_ok=True)
    for spelling in (f"http://localhost:{port}", f"http://LOCALHOST:{port}", f"http://127.0.0.1:{port}/"):
        with StatsClient(server.login, server.psw, base_url=spelling, **kwargs) as analyst:
            assert analyst.coverage("2024-01-01", "2024-01-05").cached == 5
            df = analyst.fetch_series("2024-01-01", "2024-01-05", progress=False)
            assert df.attrs["periods_cached"] == 5
            assert analyst.fetch("2024-01-03").attrs["from_cache"] is True
    assert server.stat_requests == 5  # nothing re-fetched through another spelling


@pytest.mark.slow  # starts a Python subprocess
def test_a_read_only_copy_of_a_cache_still_being_written_serves_what_it_holds(
    make_client: Any, server: DemoServer, cache_dir: Path, tmp_path: Path
) -> None:
    writer = make_client()
    expected = writer.fetch("2024-01-01", "2024-01-31").to_dict("records")
    copy = tmp_path / "copy"
    shutil.copytree(cache_dir, copy)  # the writer is still open: its WAL is not checkpointed
    assert (copy / "http_cache.sqlite-wal").stat().st_size > 0
    sent = server.stat_requests
    result = _run_read_only(copy, server.url)
    writer.close()
    assert result.returncode == 0, result.stderr[-2000:]  # no raw sqlite3.OperationalError
    out = json.loads(result.stdout)
    assert out["hit"] == expected  # the answer in the write-ahead log is served
    assert "read-only" in out["miss"] and server.stat_requests == sent


def test_answers_an_older_version_pickled_are_never_unpickled_and_are_fetched_again(
    make_client: Any, server: DemoServer, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import pickle
    import sqlite3

    make_client().fetch("2024-01-02")  # a current cache, JSON inside
    planted = cache_dir / "planted"

    class Boom:  # what a hostile pickle does when it is loaded
        def __reduce__(self) -> Any:
            return (planted.write_text, ("pwned",))

    conn = sqlite3.connect(cache_dir / "http_cache.sqlite")
    conn.execute("INSERT INTO responses (key, value) VALUES (?, ?)", ("old-key", pickle.dumps(Boom(), protocol=4)))
    conn.commit()
    conn.close()
    (cache_dir / "no-pickle").unlink()  # a cache an older version wrote has no such marker
    with caplog.at_level("WARNING", logger="smsstats_nb"):
        client = make_client()
    assert "1 answer cached in" in caplog.text and "older smsstats_nb with pickle" in caplog.text
    info = client.transport.store.info()
    assert info.legacy == 1 and info.entries == 1
    client.fetch("2024-01-02")
    client.fetch("2024-01-01")  # a miss: asked again, never unpickled
    assert not planted.exists()
    assert client.clear_cache() == 3 and client.transport.store.info().legacy == 0
    assert (cache_dir / "no-pickle").exists()  # checked once: later opens skip the scan
    with caplog.at_level("WARNING", logger="smsstats_nb"):
        caplog.clear()
        make_client()
    assert "pickle" not in caplog.text
