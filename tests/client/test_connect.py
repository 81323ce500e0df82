"""The notebooks' demo keeps its answers across kernels: a re-run in a new kernel asks nothing."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from smsstats_nb.client._connect import connect

pytestmark = pytest.mark.loopback

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_a_new_session_answers_from_the_demo_cache_though_its_server_has_another_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMSSTATS_DEMO_CACHE_DIR", str(tmp_path / "demo"))
    first = connect(demo_window=0.25)
    try:
        start, end = first.month()
        first_url = first.server.url
        assert first.client.fetch(start, end).attrs["from_cache"] is False
        assert len(first.server.log) == 1
    finally:
        first.close()
    second = connect(demo_window=0.25)
    try:
        assert second.server.url != first_url
        again = second.client.fetch(start, end)
        assert again.attrs["from_cache"] is True
        assert second.server.log == []  # nothing reached the new kernel's server
        assert "kept across kernels" in second.describe()
    finally:
        second.close()
    assert (tmp_path / "demo").is_dir()  # the cache stays after close, for the next kernel


def test_the_demo_cache_is_not_the_real_accounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(tmp_path / "account"))
    monkeypatch.delenv("SMSSTATS_DEMO_CACHE_DIR")
    session = connect(demo_window=0.25)
    try:
        cache = Path(session.client.cache_dir)
        assert cache.name == "demo"
        assert not cache.is_relative_to(tmp_path / "account")
    finally:
        session.close()


def _run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _from_cache(nb: nbformat.NotebookNode) -> list[str]:
    """The text outputs of the cells that show ``from_cache``."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "from_cache" in cell.source:
            for out in cell.outputs:
                data = out.get("data", {}).get("text/plain") or out.get("text")
                if data:
                    texts.append(data)
    return texts


@pytest.mark.slow
def test_the_quickstart_rerun_in_a_new_kernel_answers_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMSSTATS_DEMO_CACHE_DIR", str(tmp_path / "demo"))
    earlier = connect(demo_window=0.25)  # an earlier kernel ran the notebook's first fetch
    try:
        start, end = earlier.month()
        assert earlier.client.fetch(start, end).attrs["from_cache"] is False
    finally:
        earlier.close()
    shown = _from_cache(_run(NOTEBOOKS / "01_quickstart.ipynb"))  # a new kernel, a new demo server
    assert "'from_cache': True" in shown[0] and "'requests': 0" in shown[0], json.dumps(shown)
