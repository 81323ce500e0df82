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
a lease in the store (the state database, or Redis for a team) that its holder renews during
every wait, however long, for as long as it lives, so a second worker cannot take it. A lease is
taken over only when its holder is provably dead (a process of this host and PID namespace that no
longer runs) or the lease expired. With ``watch`` a transient fault is ridden out with a back-off;
only a fault that cannot heal (credentials, a blocked IP) ends it.
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
from typing import TypedDict

from ..core import (
    AuthError,
    DateLike,
    IPBlockedError,
    QueryError,
    SmsStatsError,
    StatsQuery,
    SyncLeaseError,
    check_freq,
    coerce_date,
    make_query,
    moscow_today,
    period_of,
    said,
    split_periods,
)
from ..core.i18n import format_duration, ngettext, periods_words
from ..core.i18n import gettext_ as _
from ..store import schedule_eta
from ._series import series_queries
from ._transport import Transport

__all__ = [
    "FATAL",
    "SYNC_OPTIONS",
    "Coverage",
    "Lease",
    "SyncLeaseError",
    "SyncOptions",
    "SyncReport",
    "check_share",
    "closed_until",
    "coverage",
    "holder_is_dead",
    "lease",
    "lease_owner",
    "range_coverage",
    "sync",
    "sync_queries",
    "sync_status",
]

logger = logging.getLogger(__name__)

#: How long a sync lease lasts without renewal (renewed before every request).
LEASE_SECONDS = 300.0


def check_share(share: object, limit: int) -> int:
    """The sync's share of the quota: a whole number from 1 to ``limit`` (the same rule for the sync,
    its status and coverage).

    Raises:
        QueryError: anything else, before anything is read or sent.
    """
    if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= limit:
        raise said(
            QueryError, "share must be a whole number from 1 to {limit}, not {value}", limit=limit, value=repr(share)
        )
    return share


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
        raise said(
            QueryError,
            "until {end} is not closed yet; the last closed day is {last} (the day before yesterday)",
            end=end,
            last=last,
        )
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
            return _("{periods}: all cached").format(periods=periods_words(self.periods))
        return _("{periods}: {cached} cached, {missing} missing (newest {newest}), about {eta} to fill").format(
            periods=periods_words(self.periods),
            cached=self.cached,
            missing=len(self.missing),
            newest=self.missing[0][0],
            eta=format_duration(self.eta_seconds),
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
    quota = transport.quota
    limit = quota.limit if share is None else check_share(share, quota.limit)
    mask = transport.cache.mask(queries)
    missing = [(q.start, q.end) for q, cached in zip(queries, mask, strict=True) if not cached]
    now = quota.now()
    eta = schedule_eta(quota.recent(), limit, quota.window, len(missing), now=now, start=now)
    return Coverage(len(queries), len(queries) - len(missing), missing, eta)


def sync_status(
    transport: Transport,
    since: DateLike,
    until: DateLike | None = None,
    freq: str = "D",
    *,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    share: int = 2,
) -> Coverage:
    """What :func:`sync` would do: the same closed periods (:func:`sync_queries`), which are cached,
    and the ETA at the sync's ``share``; sends nothing."""
    check_share(share, transport.quota.limit)
    queries = sync_queries(since, until, freq, mycur=mycur, balance2=balance2, fmt=fmt)
    return coverage(transport, queries, share=share)


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
        state = _("sync stopped") if self.stopped else _("sync done")
        return _("{state}: {periods}, {cached} already cached, {fetched} fetched ({requests}) in {time}").format(
            state=state,
            periods=periods_words(self.periods),
            cached=self.cached,
            fetched=self.fetched,
            requests=ngettext("{n} requests", "{n} requests", self.requests).format(n=self.requests),
            time=format_duration(self.seconds),
        )


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]`` on Linux; ``-`` where there is none to read):
    two containers on one host name can each have a process 7 that is not the other's."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"


def lease_owner() -> str:
    """A lease holder's name: ``host|pid namespace|pid|random``."""
    return f"{socket.gethostname()}|{pid_namespace()}|{os.getpid()}|{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """Whether a lease holder is provably gone: a process on this host, in this PID namespace, that
    no longer runs. Anything else (another host, another namespace, an older holder name) is not
    proof: its lease is left to expire."""
    parts = holder.split("|")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[1] in ("-", "") or parts[1] != pid_namespace():
        return False
    if not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """The one sync lease of a login, held for as long as its holder lives.

    :meth:`keep` renews it when a third of its life has passed; every wait of the sync (between
    passes, for its share of the quota, for a token, for a server pause) calls it, so a holder
    that sleeps for hours keeps its lease, and one that dies loses it after ``seconds``.
    """

    def __init__(self, transport: Transport, seconds: float) -> None:
        self.store = transport.store
        self.clock = transport.clock
        self.name = "sync:" + transport.identity
        self.owner = lease_owner()
        self.seconds = seconds
        self.renewed = float("-inf")

    def acquire(self) -> None:
        """Take the lease (a provably dead holder's too).

        Raises:
            SyncLeaseError: another live worker holds it.
        """
        got, holder = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not got and holder_is_dead(holder):
            logger.info("taking over the sync lease of a process that is gone (%s)", holder)
            self.store.leases.release(self.name, holder)
            got, holder = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not got:
            raise SyncLeaseError(
                f"another sync for this login is running ({holder}); one sync per login at a time. "
                "It fills the same cache: wait for it, or stop it first"
            )
        self.renewed = self.clock.monotonic()

    def renew(self) -> None:
        """Renew now.

        Raises:
            SyncLeaseError: it was taken over (this holder was presumed dead).
        """
        ok, other = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not ok:
            raise SyncLeaseError(f"the sync lease was taken over by {other}; stopping")
        self.renewed = self.clock.monotonic()

    def keep(self) -> None:
        """Renew if a third of the lease's life has passed since the last renewal."""
        if self.clock.monotonic() - self.renewed >= self.seconds / 3:
            self.renew()

    def wait(self, cancel: threading.Event | None, seconds: float) -> bool:
        """Wait ``seconds`` (True when cancelled), renewing on the way."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if self.clock.wait(cancel, min(left, self.seconds / 3)):
                return True
            self.keep()
        return cancel is not None and cancel.is_set()

    def release(self) -> None:
        """Give it back."""
        with contextlib.suppress(Exception):
            self.store.leases.release(self.name, self.owner)


@contextlib.contextmanager
def lease(transport: Transport, *, seconds: float = LEASE_SECONDS) -> Iterator[Lease]:
    """Hold the one sync lease of this login for the block.

    Raises:
        SyncLeaseError: another live worker holds it.
    """
    held = Lease(transport, seconds)
    held.acquire()
    try:
        yield held
    finally:
        held.release()


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
    held: Lease | None = None,
    on_period: Callable[[StatsQuery, bool], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
    refresh_open: bool = False,
) -> SyncReport:
    """Fetch every query that is not cached, newest first, leaving interactive use its share
    (renewing the lease ``held`` before each request and during every wait)."""
    clock = transport.clock

    def waiting(seconds: float) -> None:
        if held is not None:
            held.keep()
        if on_wait is not None:
            on_wait(seconds)

    t0 = clock.monotonic()
    report = SyncReport(periods=len(queries))
    for q in queries:
        if cancel is not None and cancel.is_set():
            report.stopped = True
            break
        if not refresh_open and transport.cache.mask([q])[0]:
            report.cached += 1
            if on_period is not None:
                on_period(q, True)
            continue
        if not wait_for_share(transport, share, cancel, waiting):
            report.stopped = True
            break
        if held is not None:
            held.renew()
        df = transport.fetch_frame(q, on_wait=waiting)
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


#: Errors that end a watch: they cannot heal by waiting (a wrong password, a blocked IP, bad input,
#: another worker holding the lease). Everything else is ridden out with a back-off.
FATAL = (AuthError, IPBlockedError, QueryError, SyncLeaseError)
#: The watch's back-off after a transient fault: doubling from the first to the last, in seconds.
BACKOFF = (30.0, 900.0)


class SyncOptions(TypedDict, total=False):
    """How a sync runs, declared once: :meth:`StatsClient.sync`, :func:`sync_accounts` and the CLI
    forward these as they are (the defaults are :func:`sync`'s)."""

    mycur: bool
    balance2: bool
    fmt: int
    share: int
    watch: bool
    interval: float | None
    cancel: threading.Event | None
    on_period: Callable[[StatsQuery, bool], None] | None
    on_wait: Callable[[float], None] | None
    on_pass: Callable[[SyncReport], None] | None
    on_fault: Callable[[SmsStatsError, float], None] | None


#: The names of :class:`SyncOptions` (to split them from a client's settings).
SYNC_OPTIONS = frozenset(SyncOptions.__optional_keys__)


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
    on_fault: Callable[[SmsStatsError, float], None] | None = None,
) -> SyncReport:
    """Fill the cache with every closed period back to ``since`` (see the module docstring).

    Args:
        share: at most this many requests of the quota's window are the sync's (the rest is left
            to interactive use); between 1 and the limit.
        watch: after the closed periods, keep the open ones fresh and pick up each new closed day,
            every ``interval`` seconds (default: the client's recent expiry), until ``cancel``.
            A transient fault (the network, 5xx, a stray error 9, a storage hiccup) does not end
            it: ``on_fault(error, seconds)`` is told, and the pass is tried again after a back-off
            (30 s doubling to 15 min). Only the errors in :data:`FATAL` end it.

    Returns:
        The report of the last pass.

    Raises:
        QueryError: bad dates or flags, or a bad share.
        SyncLeaseError: another sync for this login is running.
        AuthError, IPBlockedError: with ``watch``, the faults that cannot heal; without it, any error.
    """
    check_share(share, transport.quota.limit)
    queries = sync_queries(since, until, freq, mycur=mycur, balance2=balance2, fmt=fmt)
    wait_between = interval if interval is not None else transport.settings.recent_expiry
    backoff = BACKOFF[0]
    with lease(transport) as held:
        while True:
            try:
                report = run_pass(
                    transport, queries, share=share, cancel=cancel, held=held, on_period=on_period, on_wait=on_wait
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
                    held=held,
                    on_period=on_period,
                    on_wait=on_wait,
                )
            except FATAL:
                raise
            except SmsStatsError as exc:
                if not watch:
                    raise
                logger.warning("sync: %s: %s; trying again in %.0f s", type(exc).__name__, exc, backoff)
                if on_fault is not None:
                    on_fault(exc, backoff)
                if held.wait(cancel, backoff):
                    return SyncReport(stopped=True)
                backoff = min(backoff * 2, BACKOFF[1])
                continue
            backoff = BACKOFF[0]
            if opened.stopped or held.wait(cancel, wait_between):
                return report
            # a new closed day may have arrived (an explicit `until` stays as it was)
            queries = sync_queries(since, until, freq, mycur=mycur, balance2=balance2, fmt=fmt)
