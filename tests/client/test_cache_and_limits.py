"""The persistent cache, the cross-process rate limit, cool-downs and retries (issue: cache + rate limit)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import (
    AuthError,
    IPBlockedError,
    ParameterError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    StatsClient,
    TransportError,
)
from smsstats_nb.core._clock import Clock
from smsstats_nb.core._query import make_query, moscow_today
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW
from ..expected import expected_frame

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]
ROOT = Path(__file__).resolve().parents[2]


# -- cache -----------------------------------------------------------------------------------------
def test_same_question_is_answered_from_the_cache_after_a_restart(
    make_client: Make, server: DemoServer, clock: Clock
) -> None:
    first = make_client().fetch("01.01.2024", "31.01.2024")
    assert first.attrs["from_cache"] is False and server.stat_requests == 1
    clock.sleep(1.1)
    again = make_client().fetch(dt.date(2024, 1, 1), "2024-01-31")  # a new client: a restarted kernel
    assert again.attrs["from_cache"] is True and again.attrs["requests"] == 0
    assert server.stat_requests == 1
    pd.testing.assert_frame_equal(first, again)
    # fetched_at says when the server answered, not when the cache was read
    t1, t2 = (dt.datetime.fromisoformat(df.attrs["fetched_at"]) for df in (first, again))
    assert abs((t2 - t1).total_seconds()) < 1.0


@pytest.mark.slow  # starts a Python subprocess
@pytest.mark.realtime  # a subprocess cannot share the fake clock
def test_a_restarted_process_is_served_from_the_cache(make_client: Make, server: DemoServer, cache_dir: Path) -> None:
    make_client().fetch("2024-01-01")
    make_client().fetch("2024-01-02")
    env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.e2e.worker", server.url, str(cache_dir), str(WINDOW), "2024-01-01", "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    results = json.loads(proc.stdout)
    assert [r["from_cache"] for r in results] == [True, True]
    assert server.stat_requests == 2


def test_each_format_and_flag_is_its_own_cache_entry(make_client: Make, server: DemoServer) -> None:
    client = make_client(rate_limit=(3, WINDOW))
    client.fetch("2024-01-01", fmt=3)
    client.fetch("2024-01-01", fmt=1)
    client.fetch("2024-01-01", mycur=True)
    assert server.stat_requests == 3
    assert client.fetch("2024-01-01", fmt=1).attrs["from_cache"] is True


def test_wrong_password_after_a_cached_good_one_reaches_the_server(make_client: Make, server: DemoServer) -> None:
    make_client().fetch("2024-01-01")
    with pytest.raises(AuthError):
        make_client(psw="not-the-password").fetch("2024-01-01")
    assert server.stat_requests == 2 and server.errors[2] == 1


def test_refresh_refetches(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    client.fetch("2024-01-01")
    df = client.fetch("2024-01-01", refresh=True)
    assert df.attrs["from_cache"] is False and server.stat_requests == 2
    assert client.fetch("2024-01-01").attrs["from_cache"] is True


def test_failed_refresh_keeps_the_last_good_entry(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    good = client.fetch("2024-01-01", "2024-01-31")
    for fault in ("html", "truncate", "error9"):
        server.inject(*([fault] * 3))
        with pytest.raises((ResponseFormatError, RateLimitError)):
            client.fetch("2024-01-01", "2024-01-31", refresh=True)
        server.reset()
        kept = client.fetch("2024-01-01", "2024-01-31")
        assert kept.attrs["from_cache"] is True and server.stat_requests == 0
        pd.testing.assert_frame_equal(kept, good)


@pytest.mark.realtime  # requests-cache's expiry reads the real clock
@pytest.mark.slow  # sleeps through a real 2 s: requests-cache keeps expiry in whole seconds
def test_recent_periods_expire_and_a_failed_refresh_keeps_the_entry(make_client: Make, server: DemoServer) -> None:
    client = make_client(recent_expiry=1)  # requests-cache keeps whole seconds
    today = moscow_today()
    client.fetch(today)
    assert client.fetch(today).attrs["from_cache"] is True
    time.sleep(2.1)
    server.inject("html")
    with pytest.raises(ResponseFormatError):
        client.fetch(today)  # expired: goes to the server, which fails
    assert client.cache_info()["entries"] == 1  # the stale good entry was not deleted
    assert client.fetch(today).attrs["from_cache"] is False  # expired, so asked again


def test_old_periods_are_stored_forever_and_recent_ones_briefly(make_client: Make, server: DemoServer) -> None:
    client = make_client(recent_expiry=60)
    today = moscow_today()
    client.fetch(today - dt.timedelta(days=2))  # closed: never expires
    client.fetch(today - dt.timedelta(days=1))  # yesterday: still open
    stored = {
        r.request.body: r.expires
        for r in client._transport.session.cache.responses.values()  # type: ignore[attr-defined]
    }
    assert len(stored) == 2
    closed = next(v for k, v in stored.items() if (today - dt.timedelta(days=2)).strftime("%d.%m.%Y") in str(k))
    recent = next(v for k, v in stored.items() if (today - dt.timedelta(days=1)).strftime("%d.%m.%Y") in str(k))
    assert closed is None
    assert recent is not None
    aware = recent if recent.tzinfo is not None else recent.replace(tzinfo=dt.UTC)
    assert 50 < (aware - dt.datetime.now(dt.UTC)).total_seconds() <= 61


EXPECTED_ERRORS: dict[str, type[Exception]] = {
    "error1": ParameterError,
    "error4": IPBlockedError,
    "error7": SmscError,
    "plain_error9": RateLimitError,
    "html": ResponseFormatError,
    "truncate": ResponseFormatError,
}


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize("fault", list(EXPECTED_ERRORS))
def test_error_and_malformed_bodies_are_never_stored(
    make_client: Make, server: DemoServer, fmt: int, fault: str
) -> None:
    client = make_client()
    server.inject(*([fault] * 3))
    with pytest.raises(EXPECTED_ERRORS[fault]) as info:
        client.fetch("2024-01-01", fmt=fmt)
    if fault == "error7":
        assert info.value.code == 7
    assert client.cache_info()["entries"] == 0


def test_cache_false_disables_the_cache(make_client: Make, server: DemoServer) -> None:
    client = make_client(cache=False)
    client.fetch("2024-01-01")
    df = client.fetch("2024-01-01")
    assert df.attrs["from_cache"] is False and server.stat_requests == 2
    assert client.cache_info()["enabled"] is False


def test_cache_info_and_clear(make_client: Make, server: DemoServer, cache_dir: Path) -> None:
    client = make_client()
    client.fetch("2024-01-01")
    client.fetch("2024-01-02")
    info = client.cache_info()
    assert info["entries"] == 2 and info["size_bytes"] > 0 and info["cache_dir"] == str(cache_dir)
    assert client.clear_cache() == 2
    assert client.cache_info()["entries"] == 0
    assert client.fetch("2024-01-01").attrs["from_cache"] is False


def test_corrupted_cache_file_is_set_aside_and_rebuilt(make_client: Make, server: DemoServer, cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True)
    (cache_dir / "http_cache.sqlite").write_bytes(b"this is not a database" * 100)
    df = make_client().fetch("2024-01-01")
    assert len(df) == 3
    assert list(cache_dir.glob("http_cache.sqlite.corrupt-*"))
    assert make_client().fetch("2024-01-01").attrs["from_cache"] is True


def test_corrupted_state_files_are_rebuilt(make_client: Make, server: DemoServer, cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True)
    for name in ("state.sqlite", "ratelimit.sqlite"):
        (cache_dir / name).write_bytes(b"garbage" * 500)
    assert len(make_client().fetch("2024-01-01")) == 3


# -- rate limit ------------------------------------------------------------------------------------
def test_fourth_request_waits_for_the_window_and_the_hook_sees_it(
    make_client: Make, server: DemoServer, clock: Clock
) -> None:
    seen: list[float] = []
    client = make_client(on_wait=seen.append)
    t0 = clock.monotonic()
    for day in range(1, 5):
        client.fetch(dt.date(2024, 1, day))
    elapsed = clock.monotonic() - t0
    assert elapsed >= WINDOW
    assert seen and all(s > 0 for s in seen) and max(seen) <= WINDOW + 0.5
    assert server.errors[9] == 0 and server.stat_requests == 4


def test_no_wait_raises_rate_limit_error_with_seconds(make_client: Make, server: DemoServer) -> None:
    client = make_client(wait=False)
    for day in range(1, 4):
        client.fetch(dt.date(2024, 1, day))
    with pytest.raises(RateLimitError) as info:
        client.fetch(dt.date(2024, 1, 4))
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= WINDOW + 0.5
    assert "wait" in str(info.value)
    assert server.stat_requests == 3


def test_limiter_max_wait_is_not_a_network_timeout(make_client: Make, server: DemoServer) -> None:
    client = make_client(max_wait=0.05)
    for day in range(1, 4):
        client.fetch(dt.date(2024, 1, day))
    with pytest.raises(RateLimitError) as info:
        client.fetch(dt.date(2024, 1, 4))
    assert not isinstance(info.value, TransportError)
    assert "max_wait" in str(info.value)


def test_cache_hits_never_spend_the_quota(make_client: Make, server: DemoServer) -> None:
    client = make_client(wait=False)
    client.fetch("2024-01-01")
    for _ in range(10):
        client.fetch("2024-01-01")
    client.fetch("2024-01-02")
    client.fetch("2024-01-03")  # still within 3 per window: the hits spent nothing
    assert server.stat_requests == 3


def test_quota_is_shared_between_clients_in_one_directory(make_client: Make, server: DemoServer) -> None:
    a, b = make_client(wait=False), make_client(wait=False)
    a.fetch("2024-01-01")
    b.fetch("2024-01-02")
    a.fetch("2024-01-03")
    with pytest.raises(RateLimitError):
        b.fetch("2024-01-04")
    assert server.errors[9] == 0


@pytest.mark.realtime  # the real-window wiring: two processes, one quota file
@pytest.mark.slow
def test_two_processes_at_once_never_trigger_error_9(server: DemoServer, cache_dir: Path) -> None:
    env = {**os.environ, "SMSC_LOGIN": server.login, "SMSC_PASSWORD": server.psw, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tests.e2e.worker", server.url, str(cache_dir), str(WINDOW)]
    t0 = time.monotonic()
    procs = [
        subprocess.Popen([*cmd, first, "4"], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        for first in ("2024-02-01", "2024-03-01")
    ]
    outs = [p.communicate(timeout=90)[0] for p in procs]
    elapsed = time.monotonic() - t0
    assert all(p.returncode == 0 for p in procs)
    assert sum(len(json.loads(o)) for o in outs) == 8
    assert server.errors[9] == 0
    assert server.stat_requests == 8
    assert elapsed >= 2 * WINDOW  # 8 requests at 3 per window need at least two full windows


# -- server error 9, auth cool-down, retries -----------------------------------------------------
def test_server_error_9_cools_down_a_window_then_succeeds(make_client: Make, server: DemoServer, clock: Clock) -> None:
    client = make_client()
    server.inject("error9", "plain_error9")
    t0 = clock.monotonic()
    df = client.fetch("2024-01-01", "2024-01-31")
    assert clock.monotonic() - t0 >= 2 * WINDOW
    pd.testing.assert_frame_equal(df, expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    assert server.stat_requests == 3


def test_auth_error_is_not_retried_and_the_credentials_cool_down_across_restarts(
    make_client: Make, server: DemoServer
) -> None:
    with pytest.raises(AuthError):
        make_client(psw="wrong").fetch("2024-01-01")
    assert server.stat_requests == 1
    with pytest.raises(AuthError, match="30 more minutes"):
        make_client(psw="wrong").fetch("2024-01-02")  # a new client: refused locally
    assert server.stat_requests == 1
    assert len(make_client().fetch("2024-01-01")) == 3  # the right password is not blocked
    info = make_client(psw="wrong").cache_info()
    assert info["auth_cooldown_s"] > 1700


def test_clear_cache_auth_ends_the_cool_down(make_client: Make, server: DemoServer) -> None:
    with pytest.raises(AuthError):
        make_client(psw="wrong").fetch("2024-01-01")
    make_client(psw="wrong").clear_cache(auth=True)
    with pytest.raises(AuthError, match="authorise error"):
        make_client(psw="wrong").fetch("2024-01-01")
    assert server.stat_requests == 2


def test_a_server_error_is_retried(make_client: Make, server: DemoServer) -> None:
    server.inject("502")
    df = make_client().fetch("2024-01-01")
    assert len(df) == 3 and server.stat_requests == 2


def test_a_persistent_server_error_becomes_transport_error_after_three_tries(
    make_client: Make, server: DemoServer
) -> None:
    server.inject("502", "502", "502")
    with pytest.raises(TransportError):
        make_client().fetch("2024-01-01")
    assert server.stat_requests == 3
    assert server.errors[9] == 0
    assert make_client().cache_info()["failed_logins"] == 0  # an answer came each time: no login failed


def test_an_attempt_whose_answer_never_came_is_not_sent_again_and_counts_until_proven(
    make_client: Make, server: DemoServer
) -> None:
    """The connection broke after the request left: SMSC may have counted a failed login, so the
    attempt is not repeated blind, and it fills a place in the budget until the same secret gets
    an answer."""
    server.inject("reset")
    with pytest.raises(TransportError):
        make_client().fetch("2024-01-01")
    assert server.stat_requests == 1  # not retried
    assert make_client().cache_info()["failed_logins"] == 1
    assert len(make_client().fetch("2024-01-01")) == 3  # the next call asks again, and is answered
    assert make_client().cache_info()["failed_logins"] == 0  # the answer proved the secret


def test_slow_answers_time_out_as_transport_error(make_client: Make, server: DemoServer) -> None:
    server.inject("slow", "slow", "slow")
    with pytest.raises(TransportError, match="timeout"):
        make_client(timeout=0.3).fetch("2024-01-01")


def test_unreachable_server_is_a_transport_error() -> None:
    with DemoServer() as srv:
        url = srv.url
    with (
        StatsClient("demo", "pw", base_url=url, cache=False, timeout=1, backoff=0) as client,
        pytest.raises(TransportError),
    ):
        client.fetch("2024-01-01")


def test_local_and_server_rate_limit_errors_are_told_apart(make_client: Make, server: DemoServer, clock: Clock) -> None:
    client = make_client(wait=False)
    for day in range(1, 4):
        client.fetch(dt.date(2024, 1, day))
    with pytest.raises(RateLimitError) as local:
        client.fetch(dt.date(2024, 1, 4))
    assert local.value.local is True
    clock.sleep(WINDOW + 0.3)
    server.inject("error9")
    with pytest.raises(RateLimitError) as remote:
        client.fetch(dt.date(2024, 1, 5))  # wait=False: no cool-down retry
    assert remote.value.local is False and server.errors[9] == 1


def test_an_answer_received_after_moscow_midnight_has_one_expiry_everywhere(tmp_path: Path) -> None:
    from smsstats_nb.core._clock import FakeClock
    from smsstats_nb.core._query import MOSCOW

    # 23:59:59.5 in Moscow on 11 March 2024: the 10th is yesterday (open) when the question is asked
    clock = FakeClock(dt.datetime(2024, 3, 11, 23, 59, 59, 500000, tzinfo=MOSCOW).timestamp())
    with DemoServer(window=WINDOW, clock=clock) as srv:
        client = StatsClient(
            srv.login, srv.psw, base_url=srv.url, cache=tmp_path, rate_limit=(3, WINDOW), clock=clock, backoff=0
        )
        with client:
            for day in ("2024-01-01", "2024-01-02", "2024-01-03"):  # the window is full ...
                client.fetch(day)
            client.fetch("2024-03-10")  # ... so this one waits for a token, past midnight
            assert dt.datetime.fromtimestamp(clock.time(), MOSCOW).date() == dt.date(2024, 3, 12)
            stored = {
                r.request.body: r.expires
                for r in client.transport.session.cache.responses.values()  # type: ignore[attr-defined]
            }
            entry = next(v for k, v in stored.items() if "10.03.2024" in str(k))
            assert entry is None  # closed when it arrived: stored forever in the HTTP cache ...
            index = client.transport.cache.periods(make_query("2024-03-01", "2024-03-31"))
            assert index == [(dt.date(2024, 3, 10), dt.date(2024, 3, 10), 3)]
            clock.advance(10 * 24 * 3600)  # ... and in the parsed store and the index: still cached later
            assert client.transport.cache.mask([make_query("2024-03-10")]) == [True]
            assert client.fetch("2024-03-10").attrs["from_cache"] is True and srv.stat_requests == 4
