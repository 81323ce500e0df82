"""Composition: answering a long period from cached sub-periods.

:func:`plan_cover` (pure) picks, from the cached pieces inside a range, a cover that walks the range day
by day (the longest cached piece starting on each day, preferring the asked format) and lists the
gaps left. :func:`sum_frames` adds several periods' frames per login and currency. The server
rounds money once per period, so a composed total can differ by kopecks from the server's own
answer for the whole period; the client therefore composes only when asked, through
:func:`compose_answer` (the one function here that asks a transport for the pieces).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..core import COLUMNS, QueryError, StatsQuery, empty_frame, said
from ..wire import WaitHook
from ._transport import Transport, pieces_frame

__all__ = ["CoverPlan", "compose_answer", "plan_cover", "sum_frames"]

logger = logging.getLogger(__name__)

Piece = tuple[dt.date, dt.date, int]


@dataclass(frozen=True)
class CoverPlan:
    """How a range splits into cached pieces and gaps (both in date order).

    Attributes:
        pieces: ``(start, end, fmt)`` of the cached answers to use.
        gaps: ``(start, end)`` stretches no cached piece covers.
    """

    pieces: tuple[Piece, ...]
    gaps: tuple[tuple[dt.date, dt.date], ...]


def plan_cover(start: dt.date, end: dt.date, cached: Iterable[Piece], *, fmt: int) -> CoverPlan:
    """Cover ``[start, end]`` greedily with cached pieces; pieces outside the range are ignored.

    From each day the longest cached piece starting there is taken (the asked ``fmt`` wins a tie);
    days no piece starts on, up to the next piece, form a gap.
    """
    best: dict[dt.date, tuple[dt.date, int]] = {}
    for a, b, f in cached:
        if a < start or b > end or a > b:
            continue
        if a not in best or b > best[a][0] or (b == best[a][0] and f == fmt):
            best[a] = (b, f)
    pieces: list[Piece] = []
    gaps: list[tuple[dt.date, dt.date]] = []
    one = dt.timedelta(days=1)
    day = start
    while day <= end:
        if day in best:
            b, f = best[day]
            pieces.append((day, b, f))
            day = b + one
            continue
        gap_start = day
        while day <= end and day not in best:
            day += one
        gaps.append((gap_start, day - one))
    return CoverPlan(tuple(pieces), tuple(gaps))


def sum_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Totals of several periods' frames: sms exact, money summed from the server's rounded values."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame()
    both = pd.concat(frames, ignore_index=True)
    summed = both.groupby(["login", "currency"], sort=False, observed=True, as_index=False)[
        ["sms", "credit", "debit"]
    ].sum()
    summed[["credit", "debit"]] = summed[["credit", "debit"]].round(6)
    return summed[list(COLUMNS)].reset_index(drop=True)


def series_from_days(days: pd.DataFrame, freq: str) -> pd.DataFrame:
    """A daily series summed into the periods of ``freq`` (weeks, months …; the first and last
    clipped to the range), with no request: ``attrs["composed"]`` is True, because SMSC rounds
    money once per period it is asked for, so a sum of days can differ by kopecks from its own
    figure for the period (messages are exact)."""
    from ..core import check_freq, split_periods

    if "period_start" not in days.columns or days.attrs.get("freq") != "D":
        raise said(QueryError, "series_from_days needs a daily series frame (freq D)")
    freq = check_freq(freq)
    start = dt.date.fromisoformat(str(days.attrs["start"]))
    end = dt.date.fromisoformat(str(days.attrs["end"]))
    periods = split_periods(start, end, freq)
    firsts = pd.to_datetime([a for a, _b in periods])
    lasts = pd.to_datetime([b for _a, b in periods])
    where = firsts.searchsorted(pd.to_datetime(days["period_start"]), side="right") - 1
    out = days.assign(period_start=firsts[where], period_end=lasts[where])
    keys = ["period_start", "period_end", "login", "currency"]
    summed = out.groupby(keys, sort=True, observed=True, as_index=False)[["sms", "credit", "debit"]].sum()
    summed[["credit", "debit"]] = summed[["credit", "debit"]].round(6)
    summed = summed[list(days.columns)].reset_index(drop=True)
    summed["login"] = summed["login"].astype(days["login"].dtype)
    summed.attrs = {**days.attrs, "freq": freq, "composed": True, "requests": 0, "from_cache": True}
    summed.attrs["periods"] = len(periods)
    summed.attrs["periods_done"] = len(periods)
    return summed


def compose_answer(
    transport: Transport,
    query: StatsQuery,
    *,
    wait: bool | None,
    on_wait: WaitHook | None,
    cancel: threading.Event | None = None,
) -> pd.DataFrame | None:
    """Answer from cached sub-periods when they cover the range (fetching only the one gap).

    Returns None when the exact period is cached (the plain path serves it), when nothing
    inside is cached, or when the gaps would cost more requests than asking for the whole.
    """
    t = transport
    if not t.cache_enabled or query.days < 2:
        return None
    cached = t.cache.periods(query)
    if not cached or any(a == query.start and b == query.end for a, b, _ in cached):
        return None
    plan = plan_cover(query.start, query.end, cached, fmt=query.fmt)
    if not plan.pieces or len(plan.gaps) > 1:
        return None  # one request for the whole period is cheaper than several gap requests
    frames: list[pd.DataFrame] = []
    for piece in t.cache.lookup([query.replace(start=a, end=b, fmt=fmt) for a, b, fmt in plan.pieces]):
        if piece is None:  # expired or cleared meanwhile: ask for the whole period
            return None
        frames.append(pieces_frame(piece))
    sent = 0
    for a, b in plan.gaps:
        part = t.fetch_frame(query.replace(start=a, end=b), wait=wait, on_wait=on_wait, cancel=cancel)
        sent += int(part.attrs.get("requests", 0))
        frames.append(part)
    result = t.stamp(
        sum_frames(frames),
        query,
        from_cache=sent == 0,
        requests=sent,
        composed=True,
        pieces=len(plan.pieces) + len(plan.gaps),
    )
    logger.info(
        "composed %s..%s from cached pieces (%d) and requests (%d)", query.start, query.end, len(plan.pieces), sent
    )
    return result
