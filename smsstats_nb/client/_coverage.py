"""Coverage: how much of a range the cache holds and what the rest costs, asked without a request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..core import (
    DEFAULT_FLAGS,
    DateLike,
    QueryError,
    QueryFlags,
    StatsQuery,
    check_freq,
    coerce_date,
    make_query,
    moscow_today,
    period_of,
    said,
    split_periods,
)
from ..core.i18n import format_day, format_duration, periods_words
from ..core.i18n import gettext_ as _
from ..store import schedule_eta
from ._series import series_queries
from ._transport import Transport

__all__ = ["Coverage", "check_share", "closed_until", "coverage", "range_coverage", "sync_queries", "sync_status"]


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
    end: DateLike | None = None,
    freq: str = "D",
    flags: QueryFlags = DEFAULT_FLAGS,
    *,
    today: dt.date | None = None,
) -> list[StatsQuery]:
    """The closed, whole periods from ``since`` to ``end`` (default: the last closed day), newest first.

    A first period clipped by ``since`` is kept (it is what was asked); a last one that is not yet
    whole (this month so far) is not: it is not closed.
    """
    freq = check_freq(freq)
    last = closed_until(today)
    asked = end
    end = coerce_date(asked, "end") if asked is not None else last
    if end > last:
        raise said(
            QueryError,
            "end {end} is not closed yet; the last closed day is {last} (the day before yesterday)",
            end=end,
            last=last,
        )
    whole = make_query(since, end, **flags.kwargs())  # validates since/end
    spans = split_periods(whole.start, whole.end, freq)
    if asked is None and spans and period_of(spans[-1][0], freq)[1] != spans[-1][1]:
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
        fill = (
            _("filled without a wait")
            if self.eta_seconds < 1
            else _("about {eta} to fill").format(eta=format_duration(self.eta_seconds))
        )
        return _("{periods}: {cached} cached, {missing} missing (newest {newest}), {fill}").format(
            periods=periods_words(self.periods),
            cached=self.cached,
            missing=len(self.missing),
            newest=format_day(self.missing[0][0]),
            fill=fill,
        )


def range_coverage(
    transport: Transport,
    start: DateLike,
    end: DateLike,
    freq: str = "D",
    flags: QueryFlags = DEFAULT_FLAGS,
    *,
    share: int | None = None,
) -> Coverage:
    """Which periods of ``freq`` in ``[start, end]`` are cached, which are missing (newest
    first), and the ETA to fill them at ``share`` requests per window (default the whole limit);
    sends nothing (``StatsClient.coverage``)."""
    queries = series_queries(start, end, freq, flags)
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
    end: DateLike | None = None,
    freq: str = "D",
    flags: QueryFlags = DEFAULT_FLAGS,
    *,
    share: int = 2,
) -> Coverage:
    """What :func:`sync` would do: the same closed periods (:func:`sync_queries`), which are cached,
    and the ETA at the sync's ``share``; sends nothing."""
    check_share(share, transport.quota.limit)
    queries = sync_queries(since, end, freq, flags)
    return coverage(transport, queries, share=share)
