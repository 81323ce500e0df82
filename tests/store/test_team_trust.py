"""Team mode against a Redis that misbehaves: restarts under a watch, goes away for longer than a
third of the sync's lease, holds another program's garbage, and a password written the hard way.
Nothing ends in a raw driver exception, and the Redis password appears nowhere."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from smsstats_nb import QueryError, SmsStatsError, StatsClient, StorageError
from smsstats_nb.cli import main
from smsstats_nb.core import FakeClock
from smsstats_nb.demo import DemoServer

from ..redis_server import RedisServer

pytestmark = pytest.mark.loopback

PASSWORD = "team/secret#42"  # a '/' and a '#': a URL parser would cut it there
ENCODED = "team%2Fsecret%2342"


def test_a_watch_rides_out_a_redis_restart_and_a_long_outage(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    clock = FakeClock()
    faults: list[str] = []
    passes: list[object] = []
    errors: list[BaseException] = []
    cancel = threading.Event()
    with DemoServer(clock=clock, window=1.0) as server:
        client = StatsClient(
            server.login, server.psw, base_url=server.url, cache=redis.url, rate_limit=(3, 1.0), clock=clock
        )

        def on_fault(exc: SmsStatsError, seconds: float) -> None:
            faults.append(type(exc).__name__)
            time.sleep(0.02)  # the fake clock passes the back-off at once: keep the loop gentle

        def run() -> None:
            try:
                client.sync(
                    "2024-01-01", "2024-01-03", share=3, watch=True, interval=60,
                    cancel=cancel, on_pass=passes.append, on_fault=on_fault,
                )  # fmt: skip
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 20
        while not passes and time.monotonic() < deadline:
            time.sleep(0.02)
        redis.stop()  # a restart: down for a moment, then back on the same port with its data
        while len(faults) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        clock.advance(150)  # and a long outage: more than a third of the 300 s lease, renewals fail
        time.sleep(0.2)
        redis.start()
        seen = len(passes)
        while len(passes) <= seen and time.monotonic() < deadline:
            time.sleep(0.02)
        cancel.set()
        worker.join(10)
        client.close()
    redis.stop()
    assert errors == [] and not worker.is_alive()
    assert faults and set(faults) == {"StorageError"}  # one clear kind, never a redis.* exception
    assert len(passes) > seen  # it went on after Redis came back


@pytest.fixture
def locked_redis(tmp_path: Path) -> Any:
    redis = RedisServer(tmp_path, "--requirepass", PASSWORD).start()
    yield redis
    redis.stop()


def test_the_redis_password_shows_nowhere_and_a_hard_one_is_explained(
    locked_redis: RedisServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"redis://:{ENCODED}@127.0.0.1:{locked_redis.port}/0"
    with DemoServer() as server:
        client = StatsClient(server.login, server.psw, base_url=server.url, cache=url)
        client.fetch("2024-01-01")
        shown = repr(client) + repr(client.settings) + str(client.cache_info())
        client.close()
        assert main(["cache", "info", "--cache-dir", url]) == 0
        query_form = f"redis://127.0.0.1:{locked_redis.port}/0?password={ENCODED}"
        assert main(["cache", "info", "--cache-dir", query_form]) == 0
        out = capsys.readouterr()
        for text in (shown, out.out, out.err):
            assert PASSWORD not in text and ENCODED not in text and "secret" not in text
        assert "1 request in the last 60 s" in out.out or "rate limit" in out.out
        raw = f"redis://:{PASSWORD}@127.0.0.1:{locked_redis.port}/0"  # written as it is typed
        with pytest.raises(QueryError, match="percent-encoded") as info:
            StatsClient(server.login, server.psw, base_url=server.url, cache=raw)
        assert "secret" not in str(info.value)
        assert main(["cache", "info", "--cache-dir", raw]) == 2  # one line, no traceback
        err = capsys.readouterr().err
        assert "percent-encoded" in err and "secret" not in err and "Traceback" not in err


def test_garbage_another_program_left_is_a_miss_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer() as server:
            client = StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url)
            raw = redis_py.Redis.from_url(redis.url)
            key = "smsstats:cool:" + "0" * 32
            raw.set(key, b"not-a-number", px=60_000)
            raw.set(key + ":reason", b"\xff\xfe broken", px=60_000)
            for name in ("smsstats:cool:x", "smsstats:logins:smsc"):
                raw.set(name, b"garbage")  # the wrong type, even
            client.transport.store.cooldowns.set("real", 30, "server pause")
            raw.set("smsstats:cool:" + client.transport.guard.cool_key.encode().hex()[:0] + "1" * 32, b"\x00\x01")
            assert len(client.fetch("2024-01-01")) > 0  # the request still goes
            info = client.cache_info()
            client.close()
            assert main(["cache", "info", "--cache-dir", redis.url]) == 0
            out = capsys.readouterr().out
            assert "Traceback" not in out and "[b'" not in out  # a count, not a list of members
            assert isinstance(info["failed_logins"], int)
    finally:
        redis.stop()


def test_team_cache_info_counts_requests_not_members(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer() as server:
            bad = StatsClient(server.login, "wrong", base_url=server.url, cache=redis.url)
            with bad, pytest.raises(SmsStatsError):
                bad.fetch("2024-01-01")  # one failed login, in the team's budget
            with StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url) as good:
                good.fetch("2024-01-02")
            assert main(["cache", "info", "--cache-dir", redis.url]) == 0
            out = capsys.readouterr().out
            assert re.search(r"rate limit: +2 requests in the last 60 s", out), out
            assert re.search(r"failed logins: +1 in the last 30 min", out), out
    finally:
        redis.stop()


def test_a_store_that_is_away_is_a_storage_error_for_the_quota_too(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    with DemoServer() as server:
        client = StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url)
        redis.stop()
        for call in (client.transport.quota.recent, client.transport.quota.now, lambda: client.eta(3)):
            with pytest.raises(StorageError):
                call()
        client.close()
