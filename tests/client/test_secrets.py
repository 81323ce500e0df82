"""The password and the apikey never reach a cache file, a log line, an error, a traceback or a repr."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from smsstats_nb import AuthError, SmsStatsError, StatsClient, TransportError
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


def all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


def secrets_of(server: DemoServer) -> list[bytes]:
    import hashlib

    values = [server.psw, server.apikey, hashlib.md5(server.psw.encode()).hexdigest()]
    return [v.encode() for v in values] + [v.encode("utf-16-le") for v in values]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_cache_files_hold_no_password_or_apikey(
    make_client: Make, server: DemoServer, cache_dir: Path, method: str
) -> None:
    make_client(method=method).fetch("2024-01-01", "2024-01-31")
    make_client(method=method, apikey=server.apikey).fetch("2024-02-01", "2024-02-29")
    with pytest.raises(AuthError):
        make_client(method=method, psw=server.psw + "-typo").fetch("2024-01-01")
    make_client(method=method).fetch_series("2024-03-01", "2024-03-03", "D")
    blob = all_bytes(cache_dir)
    assert len(blob) > 10_000
    for secret in secrets_of(server):
        assert secret not in blob
    assert (server.psw + "-typo").encode() not in blob
    assert b"REDACTED" in blob or method == "POST"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_debug_logs_hold_no_secret(
    make_client: Make, server: DemoServer, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(method=method)
    client.fetch("2024-01-01")
    client.fetch("2024-01-01")
    server.inject("502")  # urllib3's retry logs the request
    client.fetch("2024-01-02")
    server.inject("reset")  # a connection cut after the request left: one line, not sent again
    with pytest.raises(TransportError):
        client.fetch("2024-01-03")
    with pytest.raises(AuthError):
        make_client(method=method, psw="wrong-secret-123").fetch("2024-01-01")
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "get.php" in text  # the DEBUG lines were really captured
    for secret in (server.psw, "wrong-secret-123"):
        assert secret not in text


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_errors_and_tracebacks_hold_no_secret(method: str) -> None:
    with DemoServer() as srv:
        dead_url = srv.url
    dead = StatsClient("demo", "pa55-secret-word", base_url=dead_url, cache=False, method=method, timeout=1, backoff=0)
    with dead as client:
        with pytest.raises(TransportError) as info:
            client.fetch(dt.date(2024, 1, 1))
        formatted = "".join(traceback.format_exception(info.value))
        chained = repr(info.value.__cause__) + repr(info.value.__context__)
        assert "pa55-secret-word" not in formatted + chained + repr(client)


def test_reprs_hold_no_secret(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    with_key = make_client(apikey=server.apikey)
    for obj in (client, with_key, client._transport.credentials, with_key._transport.credentials):
        assert server.psw not in repr(obj) and server.apikey not in repr(obj) and server.psw not in str(obj)
    df = client.fetch("2024-01-01")
    assert server.psw not in repr(df.attrs) and server.login not in repr(df.attrs)


def test_local_auth_refusal_message_holds_no_secret(make_client: Make, server: DemoServer) -> None:
    for _ in range(2):
        with pytest.raises(SmsStatsError) as info:
            make_client(psw="hunter2-secret").fetch("2024-01-01")
        assert "hunter2-secret" not in str(info.value)
