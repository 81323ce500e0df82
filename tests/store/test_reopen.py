"""Re-opening a cached series uses the parsed-answer store; the HTTP cache stays the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback


def test_a_reopened_series_is_identical_and_sends_nothing(
    make_client: Any, server: DemoServer, cache_dir: Path
) -> None:
    first = make_client().fetch_series("2024-01-01", "2024-01-06", "D", progress=False)
    assert (cache_dir / "frames.sqlite").exists()
    again = make_client().fetch_series("2024-01-01", "2024-01-06", "D", progress=False)
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["periods_cached"] == 6 and again.attrs["requests"] == 0 and server.stat_requests == 6
    one = make_client().fetch("2024-01-02")
    pd.testing.assert_frame_equal(
        one,
        first[first["period_start"] == "2024-01-02"]
        .drop(columns=["period_start", "period_end"])
        .reset_index(drop=True),
    )
    assert one.attrs["from_cache"] is True and one.attrs["requests"] == 0 and server.stat_requests == 6


def test_a_lost_or_damaged_store_is_rebuilt_from_the_http_cache(
    make_client: Any, server: DemoServer, cache_dir: Path
) -> None:
    first = make_client().fetch_series("2024-01-01", "2024-01-04", "D", progress=False)
    for c in list(cache_dir.glob("frames.sqlite*")):
        c.unlink()
    (cache_dir / "frames.sqlite").write_bytes(b"garbage" * 1000)
    again = make_client().fetch_series("2024-01-01", "2024-01-04", "D", progress=False)
    pd.testing.assert_frame_equal(first, again)
    assert server.stat_requests == 4  # answered by the HTTP cache, nothing asked again
    third = make_client().fetch_series("2024-01-01", "2024-01-04", "D", progress=False)
    pd.testing.assert_frame_equal(first, third)
    assert server.stat_requests == 4


def test_clearing_the_cache_clears_the_store(make_client: Any, server: DemoServer) -> None:
    client = make_client()
    client.fetch("2024-01-01")
    client.clear_cache()
    assert client.fetch("2024-01-01").attrs["from_cache"] is False and server.stat_requests == 2


def test_another_server_is_never_answered_from_the_parsed_store(
    make_client: Any, server: DemoServer, cache_dir: Path
) -> None:
    make_client().fetch("2024-01-01")
    with DemoServer(window=1.0) as other:  # same credentials, same cache directory, another service
        df = make_client(base_url=other.url).fetch("2024-01-01")
        assert df.attrs["from_cache"] is False and other.stat_requests == 1
