"""Team mode: the cache, the quota and the cool-downs on a real redis-server (127.0.0.1, free port).

Skipped with a reason when redis-server is not installed, unless SMSSTATS_REQUIRE_REDIS=1 (CI sets
it after `apt-get install redis-server`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import AuthError, StatsClient, TransportError
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW, free_port
from ..expected import expected_sum
from ..hostile import Hostile, send
from ..redis_server import RedisServer

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]  # Redis counts on its own clock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def team(server: DemoServer, redis_url: str) -> Iterator[Callable[..., StatsClient]]:
    made: list[StatsClient] = []

    def make(**kw: object) -> StatsClient:
        kw.setdefault("login", server.login)
        kw.setdefault("psw", server.psw)
        kw.setdefault("rate_limit", (3, WINDOW))
        kw.setdefault("backoff", 0.0)
        client = StatsClient(base_url=server.url, cache=redis_url, **kw)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


def _worker(server: DemoServer, cache: str, first: str, count: int, home: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SMSC_LOGIN": server.login,
        "SMSC_PASSWORD": server.psw,
        "PYTHONPATH": str(ROOT),
        "SMSSTATS_CACHE_DIR": str(home),
    }  # each "machine" has its own local directory
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.worker", server.url, cache, str(WINDOW), first, str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_two_processes_share_the_cache(server: DemoServer, redis_url: str, tmp_path: Path) -> None:
    first = _worker(server, redis_url, "2024-01-01", 3, tmp_path / "machine-a")
    assert first.communicate(timeout=60)[0] and first.returncode == 0
    second = _worker(server, redis_url, "2024-01-01", 3, tmp_path / "machine-b")
    out = json.loads(second.communicate(timeout=60)[0])
    assert [r["from_cache"] for r in out] == [True, True, True]
    assert server.stat_requests == 3  # zero duplicate requests


def test_two_processes_share_the_quota(server: DemoServer, redis_url: str, tmp_path: Path) -> None:
    t0 = time.monotonic()
    procs = [
        _worker(server, redis_url, first, 4, tmp_path / name)
        for first, name in (("2024-02-01", "machine-a"), ("2024-03-01", "machine-b"))
    ]
    outs = [p.communicate(timeout=90)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(len(json.loads(o)) for o in outs) == 8
    assert server.errors[9] == 0 and server.stat_requests == 8
    assert time.monotonic() - t0 >= 2 * WINDOW


def _redis_blob(redis_url: str) -> bytes:
    """Every key and value in the Redis database, concatenated."""
    import redis

    r = redis.Redis.from_url(redis_url)
    blob = b""
    for key in r.scan_iter("*"):
        kind = r.type(key)
        blob += key
        if kind == b"string":
            blob += r.get(key) or b""
        elif kind == b"hash":
            blob += b"".join(k + v for k, v in r.hgetall(key).items())
        elif kind == b"zset":
            blob += b"".join(m for m, _ in r.zrange(key, 0, -1, withscores=True))
        elif kind == b"set":
            blob += b"".join(r.smembers(key))
        elif kind == b"list":
            blob += b"".join(r.lrange(key, 0, -1))
    return blob


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_redirect_in_team_mode_stores_nothing_in_redis(redis_url: str, method: str) -> None:
    secret = "team-redirect-s3cret"
    plain = Hostile(lambda h, n: send(h, 200, b'[{"login":"a","sms":"1","credit":"1","debit":"0","currency":"RUR"}]'))
    moved = Hostile(lambda h, n: send(h, 307, headers={"Location": f"{plain.url}/sys/get.php"}))
    client = StatsClient(
        "team-login", secret, base_url=moved.url, cache=redis_url, rate_limit=(3, WINDOW), method=method
    )
    try:
        with pytest.raises(TransportError, match=r"HTTP 307, a redirect to 127\.0\.0\.1"):
            client.fetch("2024-01-01")
        assert moved.requests == 1 and plain.requests == 0
        assert client.cache_info()["entries"] == 0
        assert secret.encode() not in _redis_blob(redis_url)
    finally:
        client.close()
        plain.close()
        moved.close()


def test_no_secret_is_stored_in_redis(team: Callable[..., StatsClient], server: DemoServer, redis_url: str) -> None:
    team().fetch("2024-01-01", "2024-01-31")
    team(method="GET").fetch("2024-02-01")
    team(login=None, psw=None, apikey=server.apikey).fetch("2024-03-01")
    team().fetch_series("2024-04-01", "2024-04-03", "D", progress=False)
    with pytest.raises(AuthError):
        team(psw="typo-" + server.psw).fetch("2024-01-01")
    blob = _redis_blob(redis_url)
    assert len(blob) > 5000  # the answers really are there
    for secret in (server.psw, server.apikey, "typo-" + server.psw):
        assert secret.encode() not in blob


def test_team_mode_composes_and_cools_down_like_local_mode(
    team: Callable[..., StatsClient], server: DemoServer
) -> None:
    client = team(rate_limit=(10, WINDOW))
    server.limit = 10
    client.fetch_series("2024-01-01", "2024-01-07", "D", progress=False)
    week = team(rate_limit=(10, WINDOW)).fetch("2024-01-01", "2024-01-07", compose=True)
    assert week.attrs["composed"] is True and server.stat_requests == 7
    days = [(d.date(), d.date()) for d in pd.date_range("2024-01-01", "2024-01-07")]
    pd.testing.assert_frame_equal(week, expected_sum(days))
    with pytest.raises(AuthError):
        team(psw="wrong").fetch("2024-01-01")
    with pytest.raises(AuthError, match="refused locally"):
        team(psw="wrong").fetch("2024-01-01")
    assert server.errors[2] == 1
    info = client.cache_info()
    assert info["enabled"] is True and info["entries"] == 7 and "redis://" in info["redis"]
    assert client.clear_cache() == 7 and client.cache_info()["entries"] == 0


def test_unreachable_redis_is_a_clear_error(server: DemoServer) -> None:
    from smsstats_nb import TransportError

    port = free_port()
    with pytest.raises(TransportError, match="Redis"):
        StatsClient(server.login, server.psw, base_url=server.url, cache=f"redis://:pw@127.0.0.1:{port}/0")


def test_cli_cache_info_and_clear_on_redis(
    team: Callable[..., StatsClient], redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from smsstats_nb.cli._main import main

    team().fetch("2024-01-01")
    team().fetch("2024-01-02")
    assert main(["cache", "info", "--cache-dir", redis_url]) == 0
    assert "answers cached: 2 (in Redis)" in capsys.readouterr().out
    assert main(["cache", "clear", "--cache-dir", redis_url]) == 0
    assert "removed 2" in capsys.readouterr().out
    assert team().cache_info()["entries"] == 0


def test_one_sync_worker_per_login_for_the_team(server: DemoServer, redis_url: str, tmp_path: Path) -> None:
    from .test_sync_workers import read_until, start_worker

    # ten periods: the first worker must still be running when the second one has started
    first = start_worker(server, redis_url, "2024-05-01", "2024-05-10")
    try:
        read_until(first, 1)
        second = start_worker(server, redis_url, "2024-05-01", "2024-05-10")
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 8 and "another sync for this login is running" in out
    finally:
        rest, _ = first.communicate(timeout=90)
    assert first.returncode == 0 and "done" in rest
    third = start_worker(server, redis_url, "2024-05-01", "2024-05-10")  # the lease was given back
    out, _ = third.communicate(timeout=60)
    assert third.returncode == 0 and "done 0 10" in out  # every analyst reads what it filled
    assert server.stat_requests == 10 and server.errors[9] == 0


def test_redis_stopped_and_restarted_mid_session_is_a_storage_error_then_works(
    server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from smsstats_nb import StorageError
    from smsstats_nb.cli._main import main

    redis = RedisServer(tmp_path, "--requirepass", "pa55word-redis").start()
    url = f"redis://:pa55word-redis@127.0.0.1:{redis.port}/0"  # the password is never shown
    try:
        with StatsClient(server.login, server.psw, base_url=server.url, cache=url, rate_limit=(3, WINDOW)) as client:
            client.fetch("2024-01-01")
            redis.stop()
            calls = [
                lambda: client.fetch("2024-01-02"),
                lambda: client.fetch("2024-01-01"),  # a cached answer too: the cache is in Redis
                lambda: client.cached("2024-01-01"),
                lambda: client.coverage("2024-01-01", "2024-01-03"),
                lambda: client.cache_info(),
                lambda: client.fetch_series("2024-01-01", "2024-01-03", progress=False),
                lambda: client.clear_cache(),
            ]
            for call in calls:
                with pytest.raises(StorageError) as info:
                    call()
                text = str(info.value)
                assert f"127.0.0.1:{redis.port}" in text and "pa55word" not in text
                assert info.value.__cause__ is None and info.value.__suppress_context__  # no redis.* shown
            assert server.stat_requests == 1  # nothing was sent while Redis was away
            redis.start()  # the same port: a restart (team mode requires persistence: the data is back)
            again = client.fetch("2024-01-01")
            assert len(again) > 0 and server.stat_requests == 1  # from the cache that outlived the restart
        monkeypatch.setenv("SMSC_LOGIN", server.login)
        monkeypatch.setenv("SMSC_PASSWORD", server.psw)
        monkeypatch.setenv("SMSC_BASE_URL", server.url)
        redis.stop()
        assert main(["fetch", "--start", "2024-01-03", "--cache-dir", url]) == 7  # Redis unreachable
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Redis" in err[0] and "pa55word" not in err[0] and "Traceback" not in err[0]
    finally:
        redis.stop()


def test_a_redis_that_may_evict_keys_is_refused(server: DemoServer, tmp_path: Path) -> None:
    from smsstats_nb import StorageError

    redis = RedisServer(tmp_path, "--maxmemory", "50mb", "--maxmemory-policy", "volatile-lru").start()
    try:
        with pytest.raises(StorageError, match=r"maxmemory-policy volatile-lru.*noeviction"):
            StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url)
        assert server.stat_requests == 0
    finally:
        redis.stop()


def test_a_full_redis_is_a_storage_error_and_drops_nothing(server: DemoServer, tmp_path: Path) -> None:
    import redis as redis_py

    from smsstats_nb import StorageError

    redis = RedisServer(tmp_path, "--maxmemory", "2mb", "--maxmemory-policy", "noeviction").start()
    try:
        with StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url, rate_limit=(3, WINDOW)) as c:
            c.fetch("2024-01-01")
            filler = redis_py.Redis.from_url(redis.url)
            with contextlib.suppress(redis_py.exceptions.OutOfMemoryError):
                for i in range(1_000):  # another application fills the Redis
                    filler.set(f"other:{i}", b"x" * 4096)
            filler.config_set("maxmemory", "1")  # and it stays full whatever is freed meanwhile
            with pytest.raises(StorageError, match="out of memory"):
                c.fetch("2024-02-01")
            assert filler.exists("smsstats:salt")  # nothing of ours was evicted
            filler.close()
    finally:
        redis.stop()


def test_the_cli_says_one_line_when_redis_goes_away_mid_series(
    server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    from smsstats_nb.cli._main import main

    redis = RedisServer(tmp_path).start()
    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    stop = threading.Event()

    def stop_redis_after_the_first_answer() -> None:
        deadline = time.monotonic() + 20
        while server.stat_requests < 1 and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.005)
        redis.stop()

    killer = threading.Thread(target=stop_redis_after_the_first_answer, daemon=True)
    killer.start()
    try:
        code = main(["fetch", "--start", "2024-01-01", "--end", "2024-01-05", "--freq", "D", "--cache-dir", redis.url])
    finally:
        stop.set()
        killer.join(timeout=30)
        redis.stop()
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1, err
    assert err[-1].startswith("smsstats: cannot use the smsstats state on redis://127.0.0.1:")
    assert not any("Traceback" in line or "redis.exceptions" in line for line in err)
