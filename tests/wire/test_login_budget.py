"""The failed-login budget holds at four reaching the server in every way 0.1 let a fifth through,
counted on the server's side (SMSC blocks every service on the IP at five).

Each scenario is a person's day: a password rotated at SMSC, notebooks with their own caches, a
slow server in front of a wrong password, a team's Redis that lost its data. The demo server
counts the failed logins it saw (``errors[2]``) and would answer error 4 at the fifth.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import AuthError, SmsStatsError, StatsClient, TransportError
from smsstats_nb.core import FakeClock
from smsstats_nb.demo import DemoServer

from ..hostile import Hostile
from ..redis_server import RedisServer

pytestmark = pytest.mark.loopback


def _client(server: DemoServer, login: str, psw: str, cache: Path | str, clock: FakeClock, **kw: Any) -> StatsClient:
    kw.setdefault("rate_limit", (100, 1.0))
    return StatsClient(login, psw, base_url=server.url, cache=cache, clock=clock, **kw)


def _try(server: DemoServer, login: str, psw: str, cache: Path | str | bool, clock: FakeClock, day: str) -> str:
    """One fetch of ``day`` (not cached yet); the name of what it raised (or "ok")."""
    with _client(server, login, psw, cache, clock) as client:  # type: ignore[arg-type]
        try:
            client.fetch(day)
        except SmsStatsError as exc:
            return type(exc).__name__ + (": refused locally" if "refused locally" in str(exc) else "")
    return "ok"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_passwords_that_worked_and_were_changed_at_smsc(tmp_path: Path, clock: FakeClock) -> None:
    """Six accounts get data, then their passwords are rotated at SMSC: 0.1 let each skip the
    budget ("verified") and the fifth failure got error 4."""
    accounts = {f"shop{i}": f"old-{i}" for i in range(6)}
    with DemoServer(accounts=accounts, clock=clock) as server:
        for login, psw in accounts.items():
            assert _try(server, login, psw, tmp_path / "cache", clock, "2024-01-01") == "ok"
        for login in accounts:
            server.accounts[login] = "rotated-" + login  # changed at SMSC, not here
        seen = [_try(server, login, psw, tmp_path / "cache", clock, "2024-01-02") for login, psw in accounts.items()]
        assert server.errors[2] == 4 and server.errors[4] == 0, seen
        assert seen[-2:] == ["AuthError: refused locally"] * 2


def test_the_budget_is_the_machines_whatever_the_cache_directory(tmp_path: Path, clock: FakeClock) -> None:
    """Four failures from one notebook's cache, the fifth from another's, the sixth with no cache,
    the seventh from the demo's own folder: one budget (0.1 kept one per directory)."""
    with DemoServer(clock=clock) as server:
        caches: list[Path | bool] = [tmp_path / "a"] * 4 + [tmp_path / "b", False, tmp_path / "c"]
        seen = [_try(server, f"user{i}", "wrong", c, clock, "2024-01-01") for i, c in enumerate(caches)]
        assert server.errors[2] == 4 and server.errors[4] == 0, seen
        assert seen[4:] == ["AuthError: refused locally"] * 3


@pytest.fixture
def silent() -> Iterator[Hostile]:
    """A server that reads the request (a login SMSC may count) and never answers in time."""
    server = Hostile(lambda handler, n: time.sleep(2.0))
    yield server
    server.close()


@pytest.mark.slow  # real deadlines on a real socket
def test_a_wrong_password_on_a_slow_server_counts_each_attempt(silent: Hostile, tmp_path: Path) -> None:
    """No answer within the deadline: the attempt is not sent again and counts as a failure; two
    runs of three retries each got the IP blocked in 0.1 while ``cache info`` said 0."""
    seen = []
    for run in range(6):
        with StatsClient("shop", "wrong", base_url=silent.url, cache=tmp_path / f"c{run}", timeout=0.3) as c:
            try:
                c.fetch("2024-01-01")
            except (TransportError, AuthError) as exc:
                seen.append(type(exc).__name__)
            info = c.cache_info()
    assert silent.requests == 4, seen
    assert seen == ["TransportError"] * 4 + ["AuthError"] * 2
    assert info["failed_logins"] == 4  # cache info says what the guard counts


def test_a_team_redis_that_lost_its_data_keeps_the_machines_half(tmp_path: Path, clock: FakeClock) -> None:
    """A Redis restarted without its data (or flushed): 0.1 forgot the budget and the fifth failure
    reached SMSC. The machine's own count is not in Redis."""
    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer(clock=clock) as server:
            seen = [_try(server, f"u{i}", "wrong", redis.url, clock, "2024-01-01") for i in range(3)]
            import redis as redis_py

            redis_py.Redis.from_url(redis.url).flushall()  # everything the team knew is gone
            seen += [_try(server, f"v{i}", "wrong", redis.url, clock, "2024-01-01") for i in range(3)]
            assert server.errors[2] == 4 and server.errors[4] == 0, seen
    finally:
        redis.stop()


def test_a_redis_without_persistence_is_refused(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path, "--appendonly", "no").start()
    try:
        with pytest.raises(SmsStatsError, match="keeps nothing across a restart") as info:
            StatsClient("shop", "pw", base_url="http://127.0.0.1:9", cache=redis.url)
        assert "appendonly yes" in str(info.value)
    finally:
        redis.stop()
