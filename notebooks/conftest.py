"""nbval runs each notebook in its own kernel on the demo server, from an empty demo cache.

The notebooks keep the demo's answers across kernels (``SMSSTATS_DEMO_CACHE_DIR``, by default in the
user cache directory); under the tests each notebook starts from a fresh one, so its stored outputs
(``from_cache False`` on a first fetch) compare the same on every machine and every run. No
``SMSC_*`` variable reaches a kernel: the tests never talk to a real account.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_started: set[Path] = set()
_dirs: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's first cell (when nbval starts its kernel): a fresh demo cache and
    default cache, and no SMSC credentials in the environment the kernel inherits."""
    path = Path(item.path)
    if path.suffix != ".ipynb" or path in _started:
        return
    _started.add(path)
    for name in [n for n in os.environ if n.startswith("SMSC_")]:
        del os.environ[name]
    root = tempfile.mkdtemp(prefix=f"nbval-{path.stem}-")
    _dirs.append(root)
    os.environ["SMSSTATS_DEMO_CACHE_DIR"] = os.path.join(root, "demo")
    os.environ["SMSSTATS_CACHE_DIR"] = os.path.join(root, "cache")
    os.environ["SMSSTATS_ACCOUNTS"] = os.path.join(root, "accounts.toml")
    os.environ["SMSSTATS_LANG"] = "en"  # the stored outputs are English, whatever the locale


def pytest_sessionfinish(session: pytest.Session) -> None:
    for root in _dirs:
        shutil.rmtree(root, ignore_errors=True)
