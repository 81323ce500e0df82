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

import datetime as dt
import inspect
import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from ..core import (
    DEFAULT_FLAGS,
    REMOVED_IN,
    AuthError,
    DateLike,
    IPBlockedError,
    QueryError,
    QueryFlags,
    SmsStatsError,
    StatsQuery,
    SyncLeaseError,
    check_freq,
    make_query,
    moscow_today,
    period_of,
    split_periods,
)
from ..core.i18n import format_duration, ngettext, periods_words
from ..core.i18n import gettext_ as _
from ._coverage import check_share, closed_until, sync_queries
from ._lease import Lease, lease
from ._series import PeriodHook
from ._transport import Transport

__all__ = [
    "BACKOFF",
    "FATAL",
    "SYNC_OPTIONS",
    "SyncLeaseError",
    "SyncOptions",
    "SyncReport",
    "open_queries",
    "run_pass",
    "sync",
    "wait_for_share",
]

logger = logging.getLogger(__name__)


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


class _OldPeriodHook:
    """A 0.1 sync hook, told ``(query, from_cache)`` by :func:`run_pass`."""

    def __init__(self, old: Callable[[StatsQuery, bool], None]) -> None:
        self.old = old


def _tell(hook: PeriodHook | _OldPeriodHook | None, done: int, query: StatsQuery, from_cache: bool, total: int) -> None:
    if isinstance(hook, _OldPeriodHook):
        hook.old(query, from_cache)
    elif hook is not None:
        hook(done, total, from_cache)


def run_pass(
    transport: Transport,
    queries: list[StatsQuery],
    *,
    share: int,
    cancel: threading.Event | None = None,
    held: Lease | None = None,
    on_period: PeriodHook | _OldPeriodHook | None = None,
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
    for done, q in enumerate(queries, 1):
        if cancel is not None and cancel.is_set():
            report.stopped = True
            break
        if not refresh_open and transport.cache.mask([q])[0]:
            report.cached += 1
            _tell(on_period, done, q, True, len(queries))
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
        _tell(on_period, done, q, bool(df.attrs.get("from_cache")), len(queries))
    report.seconds = clock.monotonic() - t0
    return report


def period_hook(hook: Callable[..., None] | None) -> PeriodHook | _OldPeriodHook | None:
    """The one ``on_period(done, total, from_cache)`` of series and syncs; a 0.1 sync hook
    ``on_period(query, from_cache)`` (two parameters) still works in 0.2 with a DeprecationWarning
    (it is still told the query)."""
    if hook is None:
        return None
    try:
        parameters = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: called the new way
        return hook
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return hook
    warnings.warn(
        f"a sync's on_period(query, from_cache) is now on_period(done, total, from_cache), as for a series; "
        f"the old form goes in {REMOVED_IN}",
        DeprecationWarning,
        stacklevel=3,
    )
    return _OldPeriodHook(hook)


def open_queries(freq: str, flags: QueryFlags = DEFAULT_FLAGS, *, today: dt.date | None = None) -> list[StatsQuery]:
    """The open periods, newest first: yesterday and today by day; this week or month so far."""
    today = today or moscow_today()
    start = period_of(closed_until(today) + dt.timedelta(days=1), freq)[0]
    whole = make_query(start, today, **flags.kwargs())
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
    on_period: PeriodHook | None
    on_wait: Callable[[float], None] | None
    on_pass: Callable[[SyncReport], None] | None
    on_fault: Callable[[SmsStatsError, float], None] | None


#: The names of :class:`SyncOptions` (to split them from a client's settings).
SYNC_OPTIONS = frozenset(SyncOptions.__optional_keys__)


def sync(
    transport: Transport,
    since: DateLike,
    end: DateLike | None = None,
    freq: str = "D",
    *,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    share: int = 2,
    watch: bool = False,
    interval: float | None = None,
    cancel: threading.Event | None = None,
    on_period: PeriodHook | None = None,
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
    told = period_hook(on_period)
    flags = QueryFlags.of(mycur=mycur, balance2=balance2, fmt=fmt)
    queries = sync_queries(since, end, freq, flags)
    wait_between = interval if interval is not None else transport.settings.recent_expiry
    backoff = BACKOFF[0]
    with lease(transport) as held:
        while True:
            try:
                report = run_pass(
                    transport, queries, share=share, cancel=cancel, held=held, on_period=told, on_wait=on_wait
                )
                if on_pass is not None:
                    on_pass(report)
                if not watch or report.stopped:
                    return report
                opened = run_pass(
                    transport,
                    open_queries(freq, flags),
                    share=share,
                    cancel=cancel,
                    held=held,
                    on_period=told,
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
            # a new closed day may have arrived (an explicit `end` stays as it was)
            queries = sync_queries(since, end, freq, flags)
