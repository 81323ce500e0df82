"""Shared fixtures: a demo server on 127.0.0.1 with a short window, a fresh cache directory, and one
fake clock that the demo server and every client of a test share.

On the fake clock a rate-limit window passes the moment the client would sleep through it (the
server's clock moves with it), so a test proves the rule without waiting. A test marked
``realtime`` gets the real clock: subprocess workers (which cannot share the fake clock), the
team's Redis (which counts on its own clock), and the few tests kept to prove the real wiring.

The tests mirror the package (``tests/core`` for ``smsstats_nb/core``, …; ``tests/e2e`` for the
browser, subprocess and Redis tests). A test never opens a socket unless its module is marked
``loopback`` (it talks to a server on 127.0.0.1): a pure rule stays pure. The alert and dashboard
tests read a cache warmed once per module and copied for each test (``warm_server``,
``warm_cache``, ``warm_client``).
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.core._clock import SYSTEM, Clock, FakeClock
from smsstats_nb.demo import DemoServer

# The secret's hash in cache keys at 1,000 PBKDF2 rounds, not 100,000, for the whole session and
# its subprocesses (module-scoped fixtures too): the tests build ~600 clients; the same derivation
# at a hundredth of the CPU, as Django's test settings use a fast hasher. The default is tested.
os.environ["SMSSTATS_KDF_ROUNDS"] = "1000"

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
    # the failed-login budget is the machine's: each test has its own "machine"
    monkeypatch.setenv("SMSSTATS_STATE_DIR", str(tmp_path_factory.mktemp("state")))
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


@pytest.fixture(autouse=True)
def _no_sockets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that is not marked ``loopback`` fails if it opens a socket."""
    if request.node.get_closest_marker("loopback") is None and request.node.get_closest_marker("nbval") is None:

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("this test is not marked loopback: it must not open sockets")

        monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


#: The days every alert test may read (since 2024-04-01 minus four weeks, to 2024-07-02).
FIRST, LAST = "2024-03-04", "2024-07-02"
#: A limit the warm-up and the tests never reach (these tests are about alerts, not the quota).
FAST = (1000, 1.0)


@pytest.fixture(scope="session")  # one per worker: seven modules read it, none changes it
def warm_server() -> Iterator[DemoServer]:
    with DemoServer(window=1.0, limit=FAST[0]) as srv:
        yield srv


@pytest.fixture(scope="session")  # never written: each test gets a copy (warm_cache)
def warm_template(warm_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = tmp_path_factory.mktemp("warm") / "cache"
    with StatsClient(
        warm_server.login, warm_server.psw, base_url=warm_server.url, cache=template, rate_limit=FAST
    ) as c:
        c.fetch_series(FIRST, LAST, "D", progress=False)
    return template


@pytest.fixture
def warm_cache(warm_template: Path, tmp_path: Path) -> Path:
    """A copy of the warm cache for this test (an empty alert log)."""
    target = tmp_path / "cache"
    shutil.copytree(warm_template, target)
    return target


@pytest.fixture
def warm_client(warm_server: DemoServer, warm_cache: Path) -> Iterator[Callable[..., StatsClient]]:
    made: list[StatsClient] = []

    def make(**kw: Any) -> StatsClient:
        client = StatsClient(
            warm_server.login, warm_server.psw, base_url=warm_server.url, cache=warm_cache, rate_limit=FAST, **kw
        )
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture
def keyring_file(tmp_path: Path) -> Iterator[Path]:
    """keyrings.alt's plain file backend in this test's folder (never the developer's keyring)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield Path(backend.file_path)
    finally:
        keyring.set_keyring(previous)


#: What ``make test-fast`` leaves out besides the tests marked one by one: the end-to-end tests (a
#: real Chromium, subprocess workers, the team's redis-server) and the notebooks (a kernel each).
SLOW_PLACES = ("tests/e2e/", "notebooks/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the end-to-end tests and the notebooks ``slow`` (``make test`` still runs them all)."""
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(root.resolve()).as_posix()
        if where.startswith(SLOW_PLACES):
            item.add_marker(pytest.mark.slow)
