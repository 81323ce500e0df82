"""Every time rule on a fake clock: the quota window, cool-downs, the failed-login budget, the IP-block
refusal, leases, expiry across Moscow midnight and the sync's share, proven without sleeping."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from smsstats_nb import AuthError, IPBlockedError, RateLimitError
from smsstats_nb.core._clock import SYSTEM, FakeClock, SystemClock
from smsstats_nb.core._query import MOSCOW, make_query
from smsstats_nb.store import Store, open_store
from smsstats_nb.wire._cache_policy import NEVER
from smsstats_nb.wire._guard import AUTH_COOLDOWN, LOGIN_BUDGET, CallContext, Guard, Reason

WINDOW = 60.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    s = open_store(tmp_path / "cache", clock=clock)
    yield s  # type: ignore[misc]
    s.close()


def make_guard(store: Store, clock: FakeClock, limit: int = 3) -> Guard:
    quota = store.quota("loopback:1|login:demo", limit, WINDOW, 0.25)
    return Guard(store, quota, host="127.0.0.1:1", secret_key="k" * 16, clock=clock)


def test_the_fake_clock_moves_only_when_told_and_never_back(clock: FakeClock) -> None:
    t0 = clock.time()
    clock.sleep(2.5)
    assert clock.time() == t0 + 2.5 and clock.monotonic() == clock.time() and clock.slept == [2.5]
    event = threading.Event()
    assert clock.wait(event, 1.0) is False and clock.time() == t0 + 3.5
    event.set()
    assert clock.wait(event, 100.0) is True and clock.time() == t0 + 3.5  # set: no time passes
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert isinstance(SYSTEM, SystemClock) and "FakeClock" in repr(clock)


def test_the_quota_allows_three_a_window_then_says_how_long(store: Store, clock: FakeClock) -> None:
    quota = store.quota("loopback:1|login:demo", 3, WINDOW, 0.25)
    assert [quota.try_take() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = quota.try_take()
    assert WINDOW <= wait <= WINDOW + 0.25 + 0.01
    assert len(quota.recent()) == 3 and quota.eta(1) == pytest.approx(WINDOW + 0.25, abs=0.01)
    clock.advance(WINDOW / 2)
    assert quota.try_take() > 0
    clock.advance(WINDOW / 2 + 0.25)
    assert quota.try_take() > 0  # the window includes its edge
    clock.advance(0.001)
    assert quota.try_take() == 0.0  # the oldest token left the window
    assert quota.eta(0) == 0.0


def test_a_second_process_shares_the_window(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    other = open_store(tmp_path / "cache", clock=clock)
    try:
        mine = store.quota("loopback:1|login:demo", 3, WINDOW, 0.25)
        theirs = other.quota("loopback:1|login:demo", 3, WINDOW, 0.25)
        assert mine.try_take() == 0 and theirs.try_take() == 0 and mine.try_take() == 0
        assert theirs.try_take() > 0
        assert other.quota("loopback:1|login:other", 3, WINDOW, 0.25).try_take() == 0  # another login
    finally:
        other.close()


def test_waiting_for_a_token_sleeps_on_the_clock_and_honours_max_wait(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    for _ in range(3):
        assert guard.try_token() == 0
    left = guard.try_token()
    seen: list[float] = []
    call = CallContext(3, True, seen.append, None)
    start = clock.time()
    while (left := guard.try_token()) > 0:
        guard.wait_or_refuse(left, call, None)
    assert clock.time() - start == pytest.approx(WINDOW + 0.25, abs=0.06)  # a window, on the fake clock
    assert seen and all(s > 0 for s in seen) and max(clock.slept) <= 1.0  # in steps of at most 1 s
    for _ in range(2):
        assert guard.try_token() == 0
    left = guard.try_token()
    with pytest.raises(RateLimitError, match="longer than max_wait") as info:
        guard.wait_or_refuse(left, CallContext(3, True, None, 5.0), clock.monotonic() + 5.0)
    assert info.value.local and info.value.retry_after == pytest.approx(left)
    with pytest.raises(RateLimitError, match="used up"):
        guard.wait_or_refuse(left, CallContext(3, False, None, None), None)


def test_a_server_pause_holds_every_token_until_it_ends(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    guard.pause(30, fill=True)
    assert guard.cooldown_left() == pytest.approx(30)
    assert guard.try_token() == pytest.approx(30)
    clock.advance(30)
    assert guard.cooldown_left() == 0
    assert guard.try_token() > 0  # error 9 also filled the window: the quota still says wait
    clock.advance(WINDOW + 0.25)
    assert guard.try_token() == 0


def test_a_bad_secret_is_refused_for_thirty_minutes_then_tried_again(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    ticket = guard.begin_login()
    guard.end_login(ticket, "failed")
    with pytest.raises(AuthError, match="refused locally"):
        guard.check_refusals()
    clock.advance(AUTH_COOLDOWN - 1)
    with pytest.raises(AuthError):
        guard.check_refusals()
    clock.advance(1)
    guard.check_refusals()  # the cool-down is over


def test_at_most_four_failed_logins_in_any_thirty_minutes(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    for _ in range(LOGIN_BUDGET):
        guard.end_login(guard.begin_login(), "failed")
        clock.advance(60)
    with pytest.raises(AuthError, match=f"{LOGIN_BUDGET} logins failed"):
        guard.begin_login()
    clock.advance(AUTH_COOLDOWN - LOGIN_BUDGET * 60 + 1)  # the first failure left the window
    assert guard.begin_login() is not None


def test_a_secret_that_worked_and_now_fails_counts_like_any_other(store: Store, clock: FakeClock) -> None:
    """A password rotated at SMSC: it got data yesterday, so 0.1 let it skip the budget; five such
    accounts then reached SMSC with five failed logins (error 4)."""
    guard = make_guard(store, clock)
    guard.end_login(guard.begin_login(), "ok")  # it worked
    clock.advance(24 * 3600)
    for _ in range(LOGIN_BUDGET):  # the password was changed at SMSC: each attempt fails
        guard.end_login(guard.begin_login(), "failed")
    with pytest.raises(AuthError, match=f"{LOGIN_BUDGET} logins failed"):
        guard.begin_login()
    assert Reason.describe(Reason.VERIFIED.value) is None  # an old "verified" mark is not shown as a refusal


def test_an_attempt_whose_answer_never_came_counts_until_its_secret_answers(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    for _ in range(LOGIN_BUDGET):  # a slow server: each attempt hit the deadline
        guard.end_login(guard.begin_login(), "unknown")
    with pytest.raises(AuthError, match=f"{LOGIN_BUDGET} logins failed"):
        guard.begin_login()
    assert store.activity(WINDOW, AUTH_COOLDOWN).failed_logins == LOGIN_BUDGET  # cache info says so
    store.logins.clear()
    guard.end_login(guard.begin_login(), "unknown")
    guard.end_login(guard.begin_login(), "ok")  # the same secret answered: the lost one was no failure
    assert store.activity(WINDOW, AUTH_COOLDOWN).failed_logins == 0


def test_error_4_refuses_every_request_for_thirty_minutes(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    guard.ip_blocked()
    with pytest.raises(IPBlockedError, match="30 more minutes"):
        guard.check_refusals()
    clock.advance(29 * 60)
    with pytest.raises(IPBlockedError, match="1 more minute"):
        guard.check_refusals()
    clock.advance(60)
    guard.check_refusals()


def test_cache_info_counts_only_recent_failed_logins(store: Store, clock: FakeClock) -> None:
    guard = make_guard(store, clock)
    guard.end_login(guard.begin_login(), "failed")
    assert store.activity(WINDOW, AUTH_COOLDOWN).failed_logins == 1
    clock.advance(2 * 3600)  # two hours later: not "in the last 30 min"
    assert store.activity(WINDOW, AUTH_COOLDOWN).failed_logins == 0


def test_a_lease_not_renewed_expires(store: Store, clock: FakeClock) -> None:
    assert store.leases.acquire("sync:a", "one", 300) == (True, "one")
    clock.advance(299)
    assert store.leases.acquire("sync:a", "two", 300) == (False, "one")
    clock.advance(2)
    assert store.leases.acquire("sync:a", "two", 300) == (True, "two")


def test_expiry_follows_the_moscow_calendar_of_the_clock(tmp_path: Path) -> None:
    from smsstats_nb.client._transport import Transport
    from smsstats_nb.core._credentials import Credentials
    from smsstats_nb.core._settings import Settings

    # five minutes before midnight in Moscow on 10 March 2024
    before = dt.datetime(2024, 3, 10, 23, 55, tzinfo=MOSCOW).timestamp()
    clock = FakeClock(before)
    store = open_store(tmp_path / "cache", clock=clock)
    settings = Settings(base_url="http://127.0.0.1:9", cache=tmp_path / "cache", recent_expiry=900)
    transport = Transport(Credentials("demo", "x", None), store, settings, clock=clock)
    try:
        day = make_query("2024-03-09")  # yesterday in Moscow: open
        assert transport.expire_after(day) == 900
        clock.advance(10 * 60)  # now 11 March: the 9th is the day before yesterday, closed
        assert transport.expire_after(day) == NEVER
    finally:
        transport.close()


def test_the_sync_waits_for_its_share_on_the_clock(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    from smsstats_nb.client._sync import wait_for_share
    from smsstats_nb.client._transport import Transport
    from smsstats_nb.core._credentials import Credentials
    from smsstats_nb.core._settings import Settings

    settings = Settings(base_url="http://127.0.0.1:9", cache=tmp_path / "cache")
    transport = Transport(Credentials("demo", "x", None), store, settings, clock=clock)
    quota = transport.quota
    assert quota.try_take() == 0 and quota.try_take() == 0
    start = clock.time()
    waits: list[float] = []
    assert wait_for_share(transport, 2, None, waits.append) is True
    assert clock.time() - start == pytest.approx(WINDOW + 0.25, abs=1.0)  # until the oldest left
    cancel = threading.Event()
    assert quota.try_take() == 0 and quota.try_take() == 0
    cancel.set()
    assert wait_for_share(transport, 2, cancel, None) is False  # cancelled: stops at once
    transport.session.close()
