"""The CLI tests' shared fixture: the warm demo cache as the command line's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsstats_nb.demo import DemoServer


@pytest.fixture
def warm(warm_server: DemoServer, warm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> DemoServer:
    """The days the alerts and the reports read, cached beforehand (a copy per test); the CLI's
    environment points at them."""
    monkeypatch.setenv("SMSC_LOGIN", warm_server.login)
    monkeypatch.setenv("SMSC_PASSWORD", warm_server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", warm_server.url)
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(warm_cache))
    return warm_server
