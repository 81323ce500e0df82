"""Keep the cache warm: a resumable background sync that spends the quota before anyone asks.

:func:`sync` fills the cache with every *closed* period (one that ended before yesterday in
Moscow, so its answer never changes and never expires) from the newest back to ``since``, at the
quota's pace, and with ``watch=True`` keeps the open periods (yesterday, today) fresh and picks up
each new closed day. It is resumable by construction: each period is cached as it arrives and a
period already cached is skipped, so a sync killed at any moment (``kill -9`` included) and
started again asks only for what is missing (at most the one request in flight is repeated).

It shares the one quota with interactive use of the same cache but never takes all of it: it
sends only while fewer than ``share`` requests (default two of three) are inside the current
window, so an interactive question waits at most one window. One sync per login runs at a time:
a lease in the store (the state database, or Redis for a team) that a second worker cannot take
while the first renews it; a lease left by a process that died on this machine is taken over.
:func:`coverage` says which periods are cached, which are missing and how long filling them takes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .errors import QueryError, SyncLeaseError
from .query import DateLike, StatsQuery, check_freq, coerce_date, make_query, moscow_today, period_of, split_periods
from .quota import schedule_eta
from .series import format_duration, series_queries
from .transport import Transport

__all__ = [
    "Coverage",
    "SyncLeaseError",
    "SyncReport",
    "closed_until",
    "coverage",
    "range_coverage",
    "sync",
    "sync_queries",
]

logger = logging.getLogger(__name__)

#: How long a sync lease lasts without renewal (renewed before every request).
LEASE_SECONDS = 300.0


def closed_until(today: dt.date | None = None) -> dt.date:
    """The last day of closed periods: the day before yesterday (Moscow calendar by default)."""
    return (today or moscow_today()) - dt.timedelta(days=2)


def sync_queries(
    since: DateLike,
    until: DateLike | None = None,
    freq: str = "D",
    *,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    today: dt.date | None = None,
) -> list[StatsQuery]:
    """The closed, whole periods from ``since`` to ``until`` (default: the last closed day), newest first.

    A first period clipped by ``since`` is kept (it is what was asked); a last one that is not yet
    whole (this month so far) is not: it is not closed.
    """
    freq = check_freq(freq)
    last = closed_until(today)
    end = coerce_date(until, "until") if until is not None else last
    if end > last:
        raise QueryError(f"until {end} is not closed yet; the last closed day is {last} (the day before yesterday)")
    whole = make_query(since, end, mycur=mycur, balance2=balance2, fmt=fmt)  # validates since/end and the flags
    spans = split_periods(whole.start, whole.end, freq)
    if until is None and spans and period_of(spans[-1][0], freq)[1] != spans[-1][1]:
        spans = spans[:-1]  # this week or month so far: not closed
    return [whole.replace(start=a, end=b) for a, b in reversed(spans)]


@dataclass(frozen=True)
class Coverage:
    """Which periods of a range are cached.

    Attributes:
        periods: periods in the range.
        cached: how many are cached (and fresh).
        missing: the (start, end) of each period not cached, newest first.
        eta_seconds: rate-limit wait to fetch the missing ones (at the sync's share of the quota).
    """

    periods: int
    cached: int
    missing: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    eta_seconds: float = 0.0

    def __str__(self) -> str:
        if not self.missing:
            return f"{self.periods} periods: all cached"
        return (
            f"{self.periods} periods: {self.cached} cached, {len(self.missing)} missing "
            f"(newest {self.missing[0][0]}), about {format_duration(self.eta_seconds)} to fill"
        )


def range_coverage(
    transport: Transport,
    start: DateLike,
    end: DateLike,
    freq: str = "D",
    *,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    share: int | None = None,
) -> Coverage:
    """Which periods of ``freq`` in ``[start, end]`` are cached, which are missing (newest
    first), and the ETA to fill them at ``share`` requests per window (default the whole limit);
    sends nothing (``StatsClient.coverage``)."""
    queries = series_queries(start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt)
    return coverage(transport, list(reversed(queries)), share=share)


def coverage(transport: Transport, queries: list[StatsQuery], *, share: int | None = None) -> Coverage:
    """Cached and missing periods of ``queries`` and the ETA to fill them; sends nothing."""
    mask = transport.cached_mask(queries)
    missing = [(q.start, q.end) for q, cached in zip(queries, mask, strict=True) if not cached]
    quota = transport.quota
    limit = min(quota.limit, share) if share else quota.limit
    now = quota.now()
    eta = schedule_eta(quota.recent(), limit, quota.window, len(missing), now=now, start=now)
    return Coverage(len(queries), len(queries) - len(missing), missing, eta)


@dataclass
class SyncReport:
    """What one pass of a sync did."""

    periods: int = 0
    cached: int = 0
    fetched: int = 0
    requests: int = 0
    seconds: float = 0.0
    stopped: bool = False

    def __str__(self) -> str:
        state = "stopped" if self.stopped else "done"
        return (
            f"sync {state}: {self.periods} periods, {self.cached} already cached, {self.fetched} fetched "
            f"({self.requests} requests) in {format_duration(self.seconds)}"
        )


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_dead(holder: str) -> bool:
    """Whether a lease holder was a process on this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextlib.contextmanager
def lease(transport: Transport, *, seconds: float = LEASE_SECONDS) -> Iterator[Callable[[], None]]:
    """Hold the one sync lease of this login; yields ``renew()``.

    Raises:
        SyncLeaseError: another live worker holds it.
    """
    store = transport.store
    name = "sync:" + transport.identity
    owner = _owner()
    got, holder = store.lease_acquire(name, owner, seconds)
    if not got and _holder_is_dead(holder):
        logger.info("taking over the sync lease of a process that is gone (%s)", holder)
        store.lease_release(name, holder)
        got, holder = store.lease_acquire(name, owner, seconds)
    if not got:
        raise SyncLeaseError(
            f"another sync for this login is running ({holder}); one sync per login at a time. "
            "It fills the same cache: wait for it, or stop it first"
        )

    def renew() -> None:
        ok, other = store.lease_acquire(name, owner, seconds)
        if not ok:
            raise SyncLeaseError(f"the sync lease was taken over by {other}; stopping")

    try:
        yield renew
    finally:
        with contextlib.suppress(Exception):
            store.lease_release(name, owner)


def wait_for_share(
    transport: Transport, share: int, cancel: threading.Event | None, on_wait: Callable[[float], None] | None
) -> bool:
    """Sleep until fewer than ``share`` requests are inside the window; False if cancelled."""
    quota = transport.quota
    clock = transport.clock
    while True:
        recent = quota.recent()
        if len(recent) < share:
            return True
        left = recent[-share] + quota.window - quota.now() + 0.001  # the window includes its edge
        if left <= 0:
            return True
        if on_wait is not None:
            on_wait(left)
        if clock.wait(cancel, min(left, 1.0)):
            return False


def run_pass(
    transport: Transport,
    queries: list[StatsQuery],
    *,
    share: int,
    cancel: threading.Event | None = None,
    renew: Callable[[], None] | None = None,
    on_period: Callable[[StatsQuery, bool], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
    refresh_open: bool = False,
) -> SyncReport:
    """Fetch every query that is not cached, newest first, leaving interactive use its share."""
    clock = transport.clock
    t0 = clock.monotonic()
    report = SyncReport(periods=len(queries))
    for q in queries:
        if cancel is not None and cancel.is_set():
            report.stopped = True
            break
        if not refresh_open and transport.cached_mask([q])[0]:
            report.cached += 1
            if on_period is not None:
                on_period(q, True)
            continue
        if not wait_for_share(transport, share, cancel, on_wait):
            report.stopped = True
            break
        if renew is not None:
            renew()
        df = transport.fetch_frame(q, on_wait=on_wait)
        if df.attrs.get("from_cache"):
            report.cached += 1
        else:
            report.fetched += 1
        report.requests += int(df.attrs.get("requests", 0))
        logger.info("sync %s..%s: %s", q.start, q.end, "cached" if df.attrs.get("from_cache") else "fetched")
        if on_period is not None:
            on_period(q, bool(df.attrs.get("from_cache")))
    report.seconds = clock.monotonic() - t0
    return report


def open_queries(freq: str, *, mycur: bool, balance2: bool, fmt: int, today: dt.date | None = None) -> list[StatsQuery]:
    """The open periods, newest first: yesterday and today by day; this week or month so far."""
    today = today or moscow_today()
    start = period_of(closed_until(today) + dt.timedelta(days=1), freq)[0]
    whole = make_query(start, today, mycur=mycur, balance2=balance2, fmt=fmt)
    return [whole.replace(start=a, end=b) for a, b in reversed(split_periods(start, today, check_freq(freq)))]


def sync(
    transport: Transport,
    since: DateLike,
    until: DateLike | None = None,
    freq: str = "D",
    *,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    share: int = 2,
    watch: bool = False,
    interval: float | None = None,
    cancel: threading.Event | None = None,
    on_period: Callable[[StatsQuery, bool], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
    on_pass: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """Fill the cache with every closed period back to ``since`` (see the module docstring).

    Args:
        share: at most this many requests of the quota's window are the sync's (the rest is left
            to interactive use); between 1 and the limit.
        watch: after the closed periods, keep the open ones fresh and pick up each new closed day,
            every ``interval`` seconds (default: the client's recent expiry), until ``cancel``.

    Returns:
        The report of the last pass.

    Raises:
        QueryError: bad dates or flags, or a bad share.
        SyncLeaseError: another sync for this login is running.
    """
    limit = transport.quota.limit
    if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= limit:
        raise QueryError(f"share must be a whole number from 1 to {limit}, not {share!r}")
    queries = sync_queries(since, until, freq, mycur=mycur, balance2=balance2, fmt=fmt)
    wait_between = interval if interval is not None else transport.recent_expiry
    with lease(transport) as renew:
        while True:
            report = run_pass(
                transport, queries, share=share, cancel=cancel, renew=renew, on_period=on_period, on_wait=on_wait
            )
            if on_pass is not None:
                on_pass(report)
            if not watch or report.stopped:
                return report
            opened = run_pass(
                transport,
                open_queries(freq, mycur=mycur, balance2=balance2, fmt=fmt),
                share=share,
                cancel=cancel,
                renew=renew,
                on_period=on_period,
                on_wait=on_wait,
            )
            if opened.stopped or transport.clock.wait(cancel, wait_between):
                return report
            # a new closed day may have arrived (an explicit `until` stays as it was)
            queries = sync_queries(since, until, freq, mycur=mycur, balance2=balance2, fmt=fmt)
