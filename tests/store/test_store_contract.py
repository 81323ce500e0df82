"""One contract, every backend: the same tests run against the SQLite store and the Redis store.

Like requests-cache's backend tests, each test here takes the ``store`` fixture, which is a
:class:`~smsstats_nb.store._local.LocalStore` in a temporary directory (on a fake clock) and a
:class:`~smsstats_nb.store._redis.RedisStore` on a real ``redis-server`` (which counts on the
server's own clock, so the few time rules there wait a fraction of a second for real).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import StorageError
from smsstats_nb.core._clock import FakeClock
from smsstats_nb.core._query import make_query
from smsstats_nb.store import PENDING_WAIT, FrameCache, Store, StoreInfo, open_store
from smsstats_nb.wire._guard import Reason

from ..redis_server import RedisServer

pytestmark = pytest.mark.loopback


class Backend:
    """A store under test, and how to let time pass for it."""

    def __init__(self, kind: str, store: Store, advance: Callable[[float], None], reopen: Callable[[], Store]) -> None:
        self.kind = kind
        self.store = store
        self.advance = advance
        self.reopen = reopen
        self.others: list[Store] = []

    def second(self) -> Store:
        """Another store on the same state (another process, or another machine of the team)."""
        other = self.reopen()
        self.others.append(other)
        return other


@pytest.fixture(params=["local", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        clock = FakeClock()
        directory = tmp_path / "cache"

        def reopen() -> Store:
            return open_store(directory, clock=clock)

        b = Backend("local", reopen(), clock.advance, reopen)
        yield b
    else:
        server = RedisServer(tmp_path).start()

        def reopen() -> Store:
            return open_store(server.url)

        def sleep(seconds: float) -> None:
            time.sleep(seconds)

        b = Backend("redis", reopen(), sleep, reopen)
        b.server = server  # type: ignore[attr-defined]
        try:
            yield b
        finally:
            for s in (b.store, *b.others):
                s.close()
            server.kill()
        return
    for s in (b.store, *b.others):
        s.close()


# the Redis backend really waits: its time rules use short spans
SHORT = 0.3


def test_the_store_satisfies_every_protocol(backend: Backend) -> None:
    assert isinstance(backend.store, Store)
    frames = backend.store.frame_store()
    assert frames is not None and isinstance(frames, FrameCache)
    assert "secret" not in backend.store.description


def test_cooldowns_start_extend_end_and_clear(backend: Backend) -> None:
    store = backend.store
    assert store.cooldowns.remaining("k") == 0
    store.cooldowns.set("k", 10 * SHORT, Reason.SERVER_PAUSE.value)
    assert 0 < store.cooldowns.remaining("k") <= 10 * SHORT
    store.cooldowns.set("k", SHORT / 10, Reason.SERVER_PAUSE.value)  # a shorter one never shortens it
    assert store.cooldowns.remaining("k") > SHORT
    assert backend.second().cooldowns.remaining("k") > SHORT  # every process sees it
    store.cooldowns.set("short", SHORT, Reason.AUTH.value)
    backend.advance(SHORT + 0.1)
    assert store.cooldowns.remaining("short") == 0
    store.cooldowns.clear("k")
    assert store.cooldowns.remaining("k") == 0


def _reserve(store: Store, limit: int, window: float, secret: str = "s1", scope: str = "smsc") -> Any:
    return store.logins.reserve(limit, window, scope=scope, secret=secret)


def test_clearing_the_cooldowns_and_the_login_budget(backend: Backend) -> None:
    store = backend.store
    store.cooldowns.set("a", 60, Reason.AUTH.value)
    ticket, _ = _reserve(store, 1, 60)
    assert ticket is not None
    store.logins.settle(ticket, "failed")
    assert _reserve(store, 1, 60)[0] is None and store.logins.failed(60) == 1
    store.cooldowns.clear()
    assert store.cooldowns.remaining("a") == 0 and _reserve(store, 1, 60)[0] is None  # apart
    store.logins.clear()
    assert store.logins.failed(60) == 0 and _reserve(store, 1, 60)[0] is not None


def test_the_login_budget_counts_failed_and_pending_attempts_of_everyone(backend: Backend) -> None:
    store, other = backend.store, backend.second()
    a, wait = _reserve(store, 2, 60)
    assert a is not None and wait == 0
    b, _ = _reserve(other, 2, 60, secret="s2")  # another process, another credential: the same budget
    assert b is not None
    refused, wait = _reserve(store, 2, 60)
    assert refused is None and wait == PENDING_WAIT  # both in flight: they settle soon, ask again
    store.logins.settle(a, "ok")  # an answer frees its place
    c, _ = _reserve(store, 2, 60)
    assert c is not None
    other.logins.settle(b, "failed")
    assert _reserve(store, 2, 60) == (None, PENDING_WAIT)  # one failed, one in flight
    store.logins.settle(c, "failed")
    refused, wait = _reserve(store, 2, 60)
    assert refused is None and 1 <= wait <= 60  # two failures fill it: wait for the window
    assert _reserve(store, 2, 60, scope="loopback:8765")[0] is not None  # another service: its own


def test_an_unanswered_attempt_counts_until_the_same_secret_gets_an_answer(backend: Backend) -> None:
    store = backend.store
    for secret in ("rotated", "another"):  # two timeouts: SMSC may have counted two failed logins
        store.logins.settle(_reserve(store, 3, 60, secret=secret)[0], "unknown")
    assert store.logins.failed(60) == 2 and _reserve(store, 2, 60)[0] is None  # they fill a budget of two
    answered, _ = _reserve(store, 3, 60, secret="rotated")
    store.logins.settle(answered, "ok")  # the same secret answered: its lost attempt was no failure
    assert store.logins.failed(60) == 1  # "another" still counts


def test_failures_leave_the_login_budget_when_its_window_has_passed(backend: Backend) -> None:
    store = backend.store
    ticket, _ = _reserve(store, 1, SHORT)
    assert ticket is not None
    store.logins.settle(ticket, "failed")
    assert _reserve(store, 1, SHORT)[0] is None
    backend.advance(SHORT + 0.1)
    assert _reserve(store, 1, SHORT)[0] is not None


def test_leases_are_held_renewed_released_and_expire(backend: Backend) -> None:
    store, other = backend.store, backend.second()
    assert store.leases.acquire("sync:x", "me", 60) == (True, "me")
    assert other.leases.acquire("sync:x", "you", 60) == (False, "me")
    assert store.leases.acquire("sync:x", "me", 60) == (True, "me")  # renewal by the holder
    other.leases.release("sync:x", "you")  # not the holder: nothing happens
    assert other.leases.acquire("sync:x", "you", 60) == (False, "me")
    store.leases.release("sync:x", "me")
    assert other.leases.acquire("sync:x", "you", SHORT) == (True, "you")
    backend.advance(SHORT + 0.2)  # not renewed: expired
    assert store.leases.acquire("sync:x", "me", 60) == (True, "me")


def test_an_alert_is_claimed_by_one_sender_sent_once_and_retried_after_a_failure(backend: Backend) -> None:
    store, other = backend.store, backend.second()
    assert store.alerts.claim("a1", "me", 60) is True
    assert other.alerts.claim("a1", "you", 60) is False  # another machine's check: not twice
    assert store.alerts.claim("a1", "me", 60) is True  # the claimer's own retry
    store.alerts.release("a1", "me")  # the send failed: the next check tries again
    assert other.alerts.claim("a1", "you", 60) is True
    other.alerts.done("a1", "you")
    assert store.alerts.claim("a1", "me", 60) is False  # sent: never again
    assert store.alerts.sent(["a1", "a2"]) == {"a1"}
    other.alerts.release("a1", "you")  # a release after the send changes nothing
    assert store.alerts.sent(["a1"]) == {"a1"}
    assert store.alerts.claim("a2", "me", SHORT) is True
    backend.advance(SHORT + 0.2)  # the sender died mid-send: its claim expires
    assert other.alerts.claim("a2", "you", 60) is True
    assert store.alerts.sent([]) == set()


def test_clearing_the_cache_keeps_what_was_sent(backend: Backend) -> None:
    store = backend.store
    assert store.alerts.claim("a1", "me", 60)
    store.alerts.done("a1", "me")
    store.clear(cooldowns=True)
    assert store.alerts.sent(["a1"]) == {"a1"}  # a cleared cache never sends an alert twice


def test_the_period_index_keeps_flags_apart_and_drops_expired_periods(backend: Backend) -> None:
    store = backend.store
    month = make_query("2024-01-01", "2024-01-31")
    store.periods.add("cred", make_query("2024-01-01", "2024-01-07"), None)
    store.periods.add("cred", make_query("2024-01-08", "2024-01-08", fmt=1), None)
    store.periods.add("cred", make_query("2024-01-09", "2024-01-09", mycur=True), None)
    store.periods.add("other", make_query("2024-01-10", "2024-01-10"), None)
    store.periods.add("cred", make_query("2024-02-01", "2024-02-01"), None)  # outside the month
    soon = store.clock.time() + SHORT if backend.kind == "local" else time.time() + SHORT
    store.periods.add("cred", make_query("2024-01-11", "2024-01-11"), soon)
    found = sorted(store.periods.within("cred", month))
    assert found == [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 7), 3),
        (dt.date(2024, 1, 8), dt.date(2024, 1, 8), 1),
        (dt.date(2024, 1, 11), dt.date(2024, 1, 11), 3),
    ]
    backend.advance(SHORT + 0.1)
    assert (dt.date(2024, 1, 11), dt.date(2024, 1, 11), 3) not in store.periods.within("cred", month)
    assert backend.second().periods.within("cred", make_query("2024-01-01", "2024-01-07", mycur=True)) == []


def test_the_frame_store_keeps_blobs_until_they_expire(backend: Backend) -> None:
    frames = backend.store.frame_store()
    assert frames is not None
    now = backend.store.clock.time() if backend.kind == "local" else time.time()
    frames.put("forever", b"\x00\x01 one", None)
    frames.put("soon", b"two", now + SHORT)
    assert frames.get_many(["forever", "soon", "absent"]) == {"forever": b"\x00\x01 one", "soon": b"two"}
    assert frames.has_many(["forever", "soon", "absent"]) == {"forever", "soon"}
    backend.advance(SHORT + 0.1)
    assert frames.has_many(["forever", "soon"]) == {"forever"}
    frames.clear()
    assert frames.get_many(["forever"]) == {}


def test_the_salt_is_made_once_and_shared(backend: Backend) -> None:
    salt = backend.store.salt()
    assert len(salt) >= 16 and backend.second().salt() == salt


def test_info_is_the_same_record_for_every_backend(backend: Backend) -> None:
    info = backend.store.info()
    assert isinstance(info, StoreInfo)
    assert info.kind == backend.kind and info.http_cache is True and info.entries == 0
    assert (info.size_bytes is None) == (backend.kind == "redis")
    assert info.medium in ("on disk", "in Redis")
    legacy = info.as_dict()
    assert legacy["enabled"] is True and legacy["entries"] == 0


def test_activity_counts_recent_failures_and_every_cooldown(backend: Backend) -> None:
    store = backend.store
    store.cooldowns.set("pause", 30, Reason.SERVER_PAUSE.value)
    store.cooldowns.set("ok", 3600, Reason.VERIFIED.value)
    ticket, _ = _reserve(store, 4, 3600)
    assert ticket is not None
    store.logins.settle(ticket, "failed")
    activity = store.activity(60, 3600)
    reasons = {r for r, _ in activity.cooldowns}
    assert reasons == {Reason.SERVER_PAUSE.value, Reason.VERIFIED.value}  # the guard decides what to show
    assert activity.failed_logins == 1
    backend.advance(SHORT + 0.1)
    assert store.activity(60, SHORT).failed_logins == 0  # only failures inside the window count


def test_clear_removes_answers_index_and_parsed_frames_but_keeps_cooldowns(backend: Backend) -> None:
    store = backend.store
    store.periods.add("cred", make_query("2024-01-01"), None)
    frames = store.frame_store()
    assert frames is not None
    frames.put("k", b"blob", None)
    store.cooldowns.set("k", 60, Reason.AUTH.value)
    assert store.clear() == 0  # no HTTP answers in this test
    assert store.periods.within("cred", make_query("2024-01-01", "2024-01-31")) == []
    assert frames.get_many(["k"]) == {}
    assert store.cooldowns.remaining("k") > 0
    store.clear(cooldowns=True)
    assert store.cooldowns.remaining("k") == 0


def test_the_http_backend_never_pickles(backend: Backend) -> None:
    http = backend.store.http_backend()
    assert http is not None
    serializer = http.responses.serializer
    assert "pickle" not in repr(serializer).lower() and getattr(serializer, "name", "") == "json"


def test_a_failing_backend_is_a_storage_error(backend: Backend, tmp_path: Path) -> None:
    store = backend.store
    store.cooldowns.set("k", 60, Reason.AUTH.value)
    if backend.kind == "redis":
        backend.server.stop()  # type: ignore[attr-defined]
    else:
        store.close()  # every SQLite call on a closed connection fails
    with pytest.raises(StorageError) as info:
        store.cooldowns.remaining("k")
    assert backend.kind != "redis" or "127.0.0.1" in str(info.value)
    failing: list[Callable[[], Any]] = [
        lambda: store.cooldowns.set("k", 1, Reason.AUTH.value),
        lambda: _reserve(store, 4, 60),
        lambda: store.leases.acquire("n", "me", 60),
        lambda: store.periods.within("c", make_query("2024-01-01")),
        lambda: store.alerts.claim("a", "me", 60),
        lambda: store.alerts.sent(["a"]),
    ]
    if backend.kind == "redis":  # (a closed local store reopens its HTTP cache file for info)
        failing.append(lambda: store.info())
    for call in failing:
        with pytest.raises(StorageError):
            call()
    frames = store.frame_store()
    if frames is not None:  # the parsed store is only a speed-up: a miss, never an error
        assert frames.get_many(["k"]) == {} and frames.has_many(["k"]) == set()
