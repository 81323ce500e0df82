"""Composition: answering a long period from cached sub-periods (pure; no I/O).

:func:`plan_cover` picks, from the cached pieces inside a range, a cover that walks the range day
by day (the longest cached piece starting on each day, preferring the asked format) and lists the
gaps left. :func:`sum_frames` adds several periods' frames per login and currency. The server
rounds money once per period, so a composed total can differ by kopecks from the server's own
answer for the whole period; the client therefore composes only when asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .frames import COLUMNS, empty_frame

__all__ = ["CoverPlan", "plan_cover", "sum_frames"]

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
