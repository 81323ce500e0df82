"""Series: one question per period over a range, its cost estimate, and the series frame.

:func:`estimate` says what a list of period queries will cost before any request
(:class:`SeriesEstimate`); :func:`fetch_series` asks them in order through a
:class:`~smsstats_nb.client.Transport`, with an optional tqdm bar, a cancel event and an
``on_period`` hook, and keeps every answer cached as it arrives so that an interrupted series
resumes where it stopped. Both are functions of the transport's public interface.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core import (
    DEFAULT_FLAGS,
    FREQS,
    CancelledError,
    DateLike,
    QueryError,
    QueryFlags,
    StatsQuery,
    check_freq,
    empty_series_frame,
    make_frame,
    make_query,
    said,
    split_periods,
)
from ..core.i18n import format_duration, periods_words
from ..core.i18n import gettext_ as _
from ..store import Pieces
from ..wire import WaitHook
from ._transport import Transport

__all__ = ["PROGRESS_AFTER_SECONDS", "PeriodHook", "SeriesEstimate", "estimate", "fetch_series", "series_queries"]

logger = logging.getLogger(__name__)

#: A series longer than this wait shows a progress bar by default (``progress=None``).
PROGRESS_AFTER_SECONDS = 5.0
#: A series whose estimate is longer than this says so with a WARNING before it starts.
WARN_AFTER_SECONDS = 600.0


def someone_sees() -> bool:
    """Whether an automatic progress bar (``progress=None``) has a reader: a notebook's kernel, or
    a terminal on stderr (a cron job's mail gets no bar)."""
    import sys

    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


#: ``on_period(done, total, from_cache)`` after each period.
PeriodHook = Callable[[int, int, bool], None]
#: ``on_frame(df)``: the series answered so far, after each period (for a page that redraws).
FrameHook = Callable[[pd.DataFrame], None]
#: The orders a series can be asked in: the oldest period first, or the newest first (the recent
#: figures, the ones an analyst reads first, arrive first).
ORDERS = ("oldest", "newest")


@dataclass(frozen=True)
class SeriesEstimate:
    """What a series will cost before any request: periods, cache hits, requests and ETA.

    Attributes:
        periods: number of periods the range splits into.
        cached: periods already answered by the cache.
        requests: requests still needed (one per uncached period).
        eta_seconds: lower bound of the wait imposed by the rate limit.
    """

    periods: int
    cached: int
    requests: int
    eta_seconds: float

    def __str__(self) -> str:
        wait = (
            _("no wait")
            if self.eta_seconds < 1
            else _("about {eta} under the rate limit").format(eta=format_duration(self.eta_seconds))
        )
        return _("{periods}: {cached} cached, {requests} to fetch, {wait}").format(
            periods=periods_words(self.periods), cached=self.cached, requests=self.requests, wait=wait
        )


def series_queries(start: DateLike, end: DateLike, freq: str, flags: QueryFlags = DEFAULT_FLAGS) -> list[StatsQuery]:
    """The validated period queries of a series (first and last period clipped to the range)."""
    if end is None:
        raise said(QueryError, "a series needs both start and end")
    whole = make_query(start, end, **flags.kwargs())
    return [whole.replace(start=a, end=b) for a, b in split_periods(whole.start, whole.end, check_freq(freq))]


def estimate(transport: Transport, queries: list[StatsQuery], *, refresh: bool) -> SeriesEstimate:
    """Periods, cache hits, requests and ETA of ``queries``; sends nothing."""
    cached = 0 if refresh else sum(transport.cache.mask(queries))
    need = len(queries) - cached
    return SeriesEstimate(len(queries), cached, need, transport.eta(need))


def fetch_series(
    transport: Transport,
    queries: list[StatsQuery],
    freq: str,
    *,
    refresh: bool,
    progress: bool | None,
    cancel: threading.Event | None,
    on_period: PeriodHook | None,
    wait: bool | None,
    on_wait: WaitHook | None,
    order: str = "oldest",
    on_frame: FrameHook | None = None,
) -> pd.DataFrame:
    """Ask every query through ``transport``, oldest or newest first; see :meth:`StatsClient.fetch_series`.

    The frame is in date order whatever the order of asking; a series stopped part-way covers the
    periods answered, which are contiguous (the oldest ones, or with ``order="newest"`` the newest).
    """
    if order not in ORDERS:
        raise said(
            QueryError, "order must be one of {choices}, not {order}", choices=", ".join(ORDERS), order=repr(order)
        )
    cost = estimate(transport, queries, refresh=refresh)
    if cost.requests > 0 and cost.eta_seconds > WARN_AFTER_SECONDS:
        logger.warning("long series %s..%s by %s: %s", queries[0].start, queries[-1].end, freq, cost)
    elif cost.requests > 0 and cost.eta_seconds >= PROGRESS_AFTER_SECONDS:
        logger.info("series %s..%s by %s: %s", queries[0].start, queries[-1].end, freq, cost)
    show = progress if progress is not None else cost.eta_seconds >= PROGRESS_AFTER_SECONDS and someone_sees()
    if not isinstance(show, bool):
        raise said(QueryError, "progress must be True, False or None, not {progress}", progress=repr(progress))
    bar: Any = None
    if show:
        from tqdm.auto import tqdm

        # tqdm's own ETA extrapolates from the first (fast, cached) periods; ours comes from the
        # quota schedule, so the bar shows it in its postfix instead.
        bar = tqdm(
            total=len(queries),
            desc=f"{FREQS.get(check_freq(freq), freq)}s",
            unit="period",
            leave=True,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )
    frames: list[tuple[StatsQuery, pd.DataFrame | Pieces]] = []
    counts = {"cached": 0, "fetched": 0, "requests": 0}
    hook = on_wait

    left = [cost.requests]

    def eta() -> str:
        seconds = transport.eta(max(0, left[0]))
        return "no wait left" if seconds < 1 else f"about {format_duration(seconds)} left"

    def waiting(seconds: float) -> None:
        if bar is not None:
            bar.set_postfix_str(
                f"cached {counts['cached']}, fetched {counts['fetched']}, next in {seconds:.0f} s, {eta()}"
            )
        if hook is not None:
            hook(seconds)

    complete = True
    # answers parsed before come in one lookup, as columns: no per-period frame, no re-parsing
    stored: list[Pieces | None] = [None] * len(queries) if refresh else transport.cache.lookup(queries, fallback=False)
    try:
        indices = range(len(queries)) if order == "oldest" else range(len(queries) - 1, -1, -1)
        for n, i in enumerate(indices, 1):
            q = queries[i]
            if cancel is not None and cancel.is_set():
                complete = False
                break
            piece = stored[i]
            if piece is not None:
                counts["cached"] += 1
                frames.append((q, piece))
                if bar is not None:
                    bar.update(1)
                if on_period is not None:
                    on_period(n, len(queries), True)
                if on_frame is not None:
                    on_frame(series_frame(transport, list(frames), queries, freq, counts, complete=False))
                continue
            try:
                df = transport.fetch_frame(q, refresh=refresh, wait=wait, on_wait=waiting, cancel=cancel)
            except CancelledError:  # Cancel during a wait: stop at once, keep what arrived
                complete = False
                break
            key = "cached" if df.attrs.get("from_cache") else "fetched"
            counts[key] += 1
            counts["requests"] += int(df.attrs.get("requests", 0))
            frames.append((q, df))
            if key == "fetched":
                left[0] -= 1
            if bar is not None:  # postfix first without a redraw, so the count and the text agree
                bar.set_postfix_str(f"cached {counts['cached']}, fetched {counts['fetched']}, {eta()}", False)
                bar.update(1)
            if on_period is not None:
                on_period(n, len(queries), key == "cached")
            if on_frame is not None:  # a copy of the list: series_frame empties the one it is given
                on_frame(series_frame(transport, list(frames), queries, freq, counts, complete=False))
    except BaseException as exc:
        exc.partial = series_frame(transport, frames, queries, freq, counts, complete=False)  # type: ignore[attr-defined]
        logger.warning(
            "series stopped after %d of %d periods (%s); they are cached, a re-run resumes",
            len(frames),
            len(queries),
            type(exc).__name__,
        )
        raise
    finally:
        if bar is not None:
            bar.close()
    return series_frame(transport, frames, queries, freq, counts, complete=complete)


#: What a period's answer becomes in the caller's list once it is in the series frame.
_DONE = Pieces([], np.array([], dtype=np.int64), np.array([]), np.array([]), np.array([], dtype=object), "")


def series_frame(
    transport: Transport,
    frames: list[tuple[StatsQuery, pd.DataFrame | Pieces]],
    queries: list[StatsQuery],
    freq: str,
    counts: dict[str, int],
    *,
    complete: bool,
) -> pd.DataFrame:
    """The series frame of the periods answered so far, with its ``attrs``.

    Built once from columns: each period's rows sorted by login, the periods in order, so the
    result is sorted by (period_start, login) without sorting hundreds of thousands of rows.
    """
    parts: list[tuple[StatsQuery, Pieces]] = []
    for q, f in sorted(frames, key=lambda qf: qf[0].start):  # asked newest first, still in date order
        if len(f) == 0:
            continue
        if isinstance(f, Pieces):
            parts.append((q, f))
            continue
        ordered = f if f["login"].is_monotonic_increasing else f.sort_values("login", kind="stable")
        parts.append(
            (
                q,
                Pieces(
                    ordered["login"].tolist(),
                    ordered["sms"].to_numpy(),
                    ordered["credit"].to_numpy(),
                    ordered["debit"].to_numpy(),
                    ordered["currency"].to_numpy(dtype=object),
                    "",
                ),
            )
        )
    if parts:
        sizes = [len(p) for _, p in parts]
        total = sum(sizes)
        logins = np.empty(total, dtype=object)
        currencies = np.empty(total, dtype=object)
        sms = np.empty(total, dtype=np.int64)
        credit = np.empty(total, dtype=np.float64)
        debit = np.empty(total, dtype=np.float64)
        pos = 0
        for _, p in parts:  # filled in place: no intermediate lists of 100 000s of rows
            end = pos + len(p)
            logins[pos:end] = p.logins
            currencies[pos:end] = p.currencies
            sms[pos:end], credit[pos:end], debit[pos:end] = p.sms, p.credit, p.debit
            pos = end
        starts = np.array([q.start for q, _ in parts], dtype="datetime64[D]")
        ends = np.array([q.end for q, _ in parts], dtype="datetime64[D]")
        in_order = bool((np.diff(starts.astype("int64")) > 0).all())
        parts.clear()
        frames[:] = [(q, _DONE) for q, _ in frames]  # the caller's list held them too
        df = make_frame(logins, sms, credit, debit, currencies)
        del logins, currencies, sms, credit, debit
        df.insert(0, "period_end", np.repeat(ends, sizes).astype("datetime64[ns]"))
        df.insert(0, "period_start", np.repeat(starts, sizes).astype("datetime64[ns]"))
        if not in_order:
            df = df.sort_values(["period_start", "login"], kind="stable").reset_index(drop=True)
    else:
        df = empty_series_frame()
    whole = queries[0].replace(end=queries[-1].end)
    done = len(frames) == len(queries)
    answered = [q for q, _ in frames]
    covered = (
        whole
        if done or not frames
        else whole.replace(start=min(q.start for q in answered), end=max(q.end for q in answered))
    )
    partial = {} if done else {"requested_start": whole.start.isoformat(), "requested_end": whole.end.isoformat()}
    return transport.stamp(
        df,
        covered,  # a cancelled series says the range it really covers
        **partial,
        freq=check_freq(freq),
        periods=len(queries),
        periods_done=len(frames),
        periods_cached=counts["cached"],
        periods_fetched=counts["fetched"],
        requests=counts["requests"],
        from_cache=counts["fetched"] == 0 and len(frames) == len(queries),
        complete=complete and len(frames) == len(queries),
    )
