"""Shared fixtures: a demo server on 127.0.0.1 with a short window, a fresh cache directory, and one
fake clock that the demo server and every client of a test share.

On the fake clock a rate-limit window passes the moment the client would sleep through it (the
server's clock moves with it), so a test proves the rule without waiting. A test marked
``realtime`` gets the real clock: subprocess workers (which cannot share the fake clock), the
team's Redis (which counts on its own clock), and the few tests kept to prove the real wiring.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.core._clock import SYSTEM, Clock, FakeClock
from smsstats_nb.demo import DemoServer

#: Rate-limit window used by the integration tests (seconds): short so tests run fast.
WINDOW = 1.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's SMSC_* variables or writes to the real user cache."""
    for name in list(os.environ):
        if name.startswith("SMSC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(tmp_path_factory.mktemp("default-cache")))
    monkeypatch.setenv("SMSSTATS_DEMO_CACHE_DIR", str(tmp_path_factory.mktemp("demo-cache")))
    # never the developer's accounts file or OS keyring
    monkeypatch.setenv("SMSSTATS_ACCOUNTS", str(tmp_path_factory.mktemp("accounts") / "accounts.toml"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # English whatever the developer's locale (a test of another language says so)
    monkeypatch.setenv("SMSSTATS_LANG", "en")


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The test's clock: a FakeClock starting now (so the server's calendar is today's), or the
    real one for a test marked ``realtime``."""
    if request.node.get_closest_marker("realtime") is not None:
        return SYSTEM
    return FakeClock(time.time())


@pytest.fixture
def server(clock: Clock) -> Iterator[DemoServer]:
    with DemoServer(window=WINDOW, slow_seconds=2.0, clock=clock) as srv:
        yield srv


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_client(server: DemoServer, cache_dir: Path, clock: Clock) -> Iterator[Callable[..., StatsClient]]:
    made: list[StatsClient] = []

    def make(**kwargs: Any) -> StatsClient:
        kwargs.setdefault("base_url", server.url)
        kwargs.setdefault("cache", cache_dir)
        kwargs.setdefault("rate_limit", (3, WINDOW))
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("backoff", 0.0)  # urllib3 sleeps between retries otherwise (they are still made)
        kwargs.setdefault("clock", clock)
        if "apikey" not in kwargs:
            kwargs.setdefault("login", server.login)
            kwargs.setdefault("psw", server.psw)
        client = StatsClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
