"""The fetch plan: what a Fetch click will ask and what it costs, decided without a widget.

:func:`read_choice` turns the controls' values into a validated :class:`Choice`; :func:`plan_fetch`
asks the client's cache and quota (it sends nothing) and returns a :class:`FetchPlan`: the requests
the fetch will send, the rate-limit wait, and whether the range's total comes first. The dashboard
confirms, runs and reports progress from the plan; a test checks the plan with no page at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from ..client import StatsClient, series_queries
from ..core import QueryError, QueryFlags, make_query, said

__all__ = ["GRANULARITY", "Choice", "FetchPlan", "TotalFirst", "coverage_words", "plan_fetch", "read_choice"]

#: The granularity picker's keys and their ``freq`` (None: the range's total, one request).
GRANULARITY = {"total": None, "daily": "D", "weekly": "W", "monthly": "MS"}

#: How a series' total for the whole range comes first: already ``"cached"``, or one more request
#: (``"fetch"``); None when it does not come first.
TotalFirst = Literal["cached", "fetch"] | None


@dataclass(frozen=True)
class Choice:
    """What the user picked: the range, the flags, the granularity and the accounts to compare."""

    start: dt.date
    end: dt.date
    flags: QueryFlags
    freq: str | None = None
    #: two or more named accounts side by side (each at its own quota); empty: the page's client
    accounts: tuple[str, ...] = ()


@dataclass
class FetchPlan:
    """What a fetch will send (``requests``, the total first included) and wait (``eta`` seconds),
    and how many requests it has sent so far (``fetched``, kept by the progress hooks)."""

    choice: Choice
    requests: int = 0
    eta: float = 0.0
    total_first: TotalFirst = None
    fetched: int = field(default=0)

    @property
    def left(self) -> int:
        """Requests still to send."""
        return max(0, self.requests - self.fetched)


def read_choice(
    start: dt.date | None,
    end: dt.date | None,
    granularity: str,
    *,
    mycur: Any = False,
    balance2: Any = False,
    fmt: Any = 3,
    accounts: tuple[str, ...] = (),
) -> Choice:
    """The pickers' values as a validated choice (:class:`QueryError` before anything is asked)."""
    if start is None or end is None:
        raise said(QueryError, "pick both a start and an end date")
    flags = QueryFlags.of(mycur=mycur, balance2=balance2, fmt=fmt)
    freq = GRANULARITY[granularity]
    if freq is None:
        make_query(start, end, **flags.kwargs())
    else:
        series_queries(start, end, freq, flags)
    return Choice(start, end, flags, freq, accounts if len(accounts) > 1 else ())


def _total_first(client: StatsClient, choice: Choice) -> TotalFirst:
    """For a series that will wait on the rate limit (more periods to fetch than one window
    allows): ``"cached"`` or ``"fetch"`` (the total shows the figures a window or more before the
    series ends), else None."""
    flags = choice.flags.kwargs()
    burst = client.settings.rate_limit[0]  # what arrives at once anyway: no total first for those
    if choice.freq is None or client.estimate_series(choice.start, choice.end, choice.freq, **flags).requests <= burst:
        return None
    return "cached" if client.cached(choice.start, choice.end, **flags) is not None else "fetch"


def plan_fetch(client: StatsClient, choice: Choice, *, totals_first: bool = True) -> FetchPlan:
    """The plan of a fetch of ``choice`` (sends nothing): requests, wait and the total first."""
    if choice.accounts:  # several accounts: each asks at its own quota, no estimate across them
        return FetchPlan(choice)
    flags = choice.flags.kwargs()
    if choice.freq is None:
        requests = 0 if client.cached(choice.start, choice.end, **flags) is not None else 1
        eta = client.eta(requests)
    else:
        cost = client.estimate_series(choice.start, choice.end, choice.freq, **flags)
        requests, eta = cost.requests, cost.eta_seconds
    first = _total_first(client, choice) if totals_first else None
    if first == "fetch":
        requests += 1
        eta = client.eta(requests)
    return FetchPlan(choice, requests, eta, first)


def coverage_words(client: StatsClient, choice: Choice) -> str:
    """How much of the choice is cached, in words (sends nothing)."""
    from ..core.i18n import gettext_ as _

    flags = choice.flags.kwargs()
    if choice.freq is None:
        cached = client.cached(choice.start, choice.end, **flags) is not None
        return _("This period is cached.") if cached else _("This period is not cached yet: one request.")
    coverage = client.coverage(choice.start, choice.end, choice.freq, **flags)
    return _("Cache: {coverage}.").format(coverage=coverage)
