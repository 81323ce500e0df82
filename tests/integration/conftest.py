"""Fixtures of the integration tests: a demo server and a cache warmed once per test module,
copied fresh for each test (``warm_server``, ``warm_cache``, ``warm_client``).

The alert tests read the same four months of days in every test; asking the demo server for them
once per module (and copying the cache, whose alert log is empty) keeps each test independent
without spending a second of the suite on the same 120 requests again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.demo import DemoServer

#: The days every alert test may read (since 2024-04-01 minus four weeks, to 2024-07-02).
FIRST, LAST = "2024-03-04", "2024-07-02"
#: A limit the warm-up and the tests never reach (these tests are about alerts, not the quota).
FAST = (1000, 1.0)


@pytest.fixture(scope="module")
def warm_server() -> Iterator[DemoServer]:
    with DemoServer(window=1.0, limit=FAST[0]) as srv:
        yield srv


@pytest.fixture(scope="module")
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
