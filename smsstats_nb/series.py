"""Series: one question per period over a range, its cost estimate, and the series frame.

:func:`estimate` says what a list of period queries will cost before any request
(:class:`SeriesEstimate`); :func:`fetch_series` asks them in order through a client, with an
optional tqdm bar, a cancel event and an ``on_period`` hook, and keeps every answer cached as it
arrives so that an interrupted series resumes where it stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import QueryError
from .frames import empty_series_frame
from .guard import WaitHook
from .query import DateLike, StatsQuery, check_freq, make_query, split_periods

if TYPE_CHECKING:
    from .client import StatsClient

__all__ = ["PROGRESS_AFTER_SECONDS", "PeriodHook", "SeriesEstimate", "estimate", "fetch_series", "series_queries"]

logger = logging.getLogger(__name__)

#: A series longer than this wait shows a progress bar by default (``progress=None``).
PROGRESS_AFTER_SECONDS = 5.0
#: A series whose estimate is longer than this says so with a WARNING before it starts.
WARN_AFTER_SECONDS = 600.0
#: ``on_period(done, total, from_cache)`` after each period.
PeriodHook = Callable[[int, int, bool], None]


def format_duration(seconds: float) -> str:
    """``"no wait"``, ``"42 s"``, ``"3 min 05 s"`` or ``"2 h 01 min"``."""
    if seconds < 1:
        return "no wait"
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {sec:02d} s" if minutes else f"{sec} s"


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
        return (
            f"{self.periods} periods: {self.cached} cached, {self.requests} to fetch, "
            f"about {format_duration(self.eta_seconds)} under the rate limit"
        )


def series_queries(
    start: DateLike, end: DateLike, freq: str, *, mycur: bool, balance2: bool, fmt: int
) -> list[StatsQuery]:
    """The validated period queries of a series (first and last period clipped to the range)."""
    if end is None:
        raise QueryError("a series needs both start and end")
    whole = make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
    return [whole.replace(start=a, end=b) for a, b in split_periods(whole.start, whole.end, check_freq(freq))]


def estimate(client: StatsClient, queries: list[StatsQuery], *, refresh: bool) -> SeriesEstimate:
    """Periods, cache hits, requests and ETA of ``queries``; sends nothing."""
    transport = client._transport
    cached = 0 if refresh else sum(1 for q in queries if transport.is_cached(q))
    need = len(queries) - cached
    return SeriesEstimate(len(queries), cached, need, transport.eta(need))


def fetch_series(
    client: StatsClient,
    queries: list[StatsQuery],
    freq: str,
    *,
    refresh: bool,
    progress: bool | None,
    cancel: threading.Event | None,
    on_period: PeriodHook | None,
    wait: bool | None,
    on_wait: WaitHook | None,
) -> pd.DataFrame:
    """Ask every query in order through ``client``; see :meth:`StatsClient.fetch_series`."""
    cost = estimate(client, queries, refresh=refresh)
    if cost.requests > 0 and cost.eta_seconds > WARN_AFTER_SECONDS:
        logger.warning("long series %s..%s by %s: %s", queries[0].start, queries[-1].end, freq, cost)
    elif cost.requests > 0 and cost.eta_seconds >= PROGRESS_AFTER_SECONDS:
        logger.info("series %s..%s by %s: %s", queries[0].start, queries[-1].end, freq, cost)
    show = progress if progress is not None else cost.eta_seconds >= PROGRESS_AFTER_SECONDS
    if not isinstance(show, bool):
        raise QueryError(f"progress must be True, False or None, not {progress!r}")
    bar: Any = None
    if show:
        from tqdm.auto import tqdm

        # tqdm's own ETA extrapolates from the first (fast, cached) periods; ours comes from the
        # quota schedule, so the bar shows it in its postfix instead.
        bar = tqdm(
            total=len(queries),
            desc=f"get_stat {freq}",
            unit="period",
            leave=True,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )
    frames: list[tuple[StatsQuery, pd.DataFrame]] = []
    counts = {"cached": 0, "fetched": 0, "requests": 0}
    hook = on_wait or client.on_wait

    left = [cost.requests]

    def eta() -> str:
        return format_duration(client._transport.eta(max(0, left[0])))

    def waiting(seconds: float) -> None:
        if bar is not None:
            bar.set_postfix_str(
                f"cached {counts['cached']}, fetched {counts['fetched']}, next in {seconds:.0f} s, about {eta()} left"
            )
        if hook is not None:
            hook(seconds)

    complete = True
    try:
        for i, q in enumerate(queries):
            if cancel is not None and cancel.is_set():
                complete = False
                break
            df = client.fetch_query(q, refresh=refresh, wait=wait, on_wait=waiting)
            key = "cached" if df.attrs.get("from_cache") else "fetched"
            counts[key] += 1
            counts["requests"] += int(df.attrs.get("requests", 0))
            frames.append((q, df))
            if key == "fetched":
                left[0] -= 1
            if bar is not None:  # postfix first without a redraw, so the count and the text agree
                bar.set_postfix_str(
                    f"cached {counts['cached']}, fetched {counts['fetched']}, about {eta()} left", False
                )
                bar.update(1)
            if on_period is not None:
                on_period(i + 1, len(queries), key == "cached")
    except BaseException as exc:
        exc.partial = series_frame(client, frames, queries, freq, counts, complete=False)  # type: ignore[attr-defined]
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
    return series_frame(client, frames, queries, freq, counts, complete=complete)


def series_frame(
    client: StatsClient,
    frames: list[tuple[StatsQuery, pd.DataFrame]],
    queries: list[StatsQuery],
    freq: str,
    counts: dict[str, int],
    *,
    complete: bool,
) -> pd.DataFrame:
    """The series frame of the periods answered so far, with its ``attrs``."""
    nonempty = [(q, f) for q, f in frames if len(f)]
    if nonempty:
        # one concat, then the period columns for all rows at once (not a copy per period)
        df = pd.concat([f for _, f in nonempty], ignore_index=True)
        sizes = [len(f) for _, f in nonempty]
        starts = np.array([q.start for q, _ in nonempty], dtype="datetime64[D]")
        ends = np.array([q.end for q, _ in nonempty], dtype="datetime64[D]")
        df.insert(0, "period_end", np.repeat(ends, sizes).astype("datetime64[ns]"))
        df.insert(0, "period_start", np.repeat(starts, sizes).astype("datetime64[ns]"))
        df = df.sort_values(["period_start", "login"], kind="stable").reset_index(drop=True)
    else:
        df = empty_series_frame()
    whole = queries[0].replace(end=queries[-1].end)
    df.attrs.clear()
    df.attrs.update(
        client._attrs(
            whole,
            freq=check_freq(freq),
            periods=len(queries),
            periods_done=len(frames),
            periods_cached=counts["cached"],
            periods_fetched=counts["fetched"],
            requests=counts["requests"],
            from_cache=counts["fetched"] == 0 and len(frames) == len(queries),
            complete=complete and len(frames) == len(queries),
        )
    )
    return df
