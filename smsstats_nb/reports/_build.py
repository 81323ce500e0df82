"""A period's report gathered: what each account's client is asked for, and the judging.

:func:`build_report` asks each account's client for what the report needs (the period's totals and
the compared period's, SMSC's own answers; the daily series from four weeks before the period
(:data:`~smsstats_nb.alerts.HISTORY_DAYS`), for the incidents, the chart and the month-end
forecast; the year-earlier figures only when the cache holds them) and judges them with
:mod:`smsstats_nb.analysis`; :mod:`._report` says them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from ..alerts import HISTORY_DAYS, Budget
from ..analysis import (
    ACCOUNT,
    ProductionCalendar,
    budget_breaches,
    comparison_period,
    forecast_history,
    forecast_month,
    incidents,
    year_earlier,
)
from ..client import PeriodHook, StatsClient
from ..core import DateLike, QueryError, coerce_date, i18n, moscow_today, period_of, said, service_host
from ..wire import WaitHook
from ._report import PERIODS, TOP, Report, Section

__all__ = ["build_report", "report_cost", "report_period"]

#: The comparison each period names (its unit), for :func:`~smsstats_nb.analysis.comparison_period`.
_UNIT = {"last-week": None, "last-month": "MS", "last-quarter": "QS"}


def report_period(name: str, today: DateLike | None = None) -> tuple[dt.date, dt.date]:
    """The days a scheduled report covers, on the server's calendar (``today``: default today in
    Moscow): ``last-week`` Monday to Sunday before this week, ``last-month`` and ``last-quarter``
    the last whole ones.

    Raises:
        QueryError: an unknown name.
    """
    if name not in PERIODS:
        raise said(
            QueryError, "period must be one of {choices}, not {value}", choices=", ".join(PERIODS), value=repr(name)
        )
    day = coerce_date(today, "today") if today is not None else moscow_today()
    if name == "last-week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    freq = "MS" if name == "last-month" else "QS"
    first, _last = period_of(day, freq)
    return period_of(first - dt.timedelta(days=1), freq)


def _history_start(start: dt.date, end: dt.date) -> dt.date:
    """The first day of daily history a report reads: four weeks before the period, and what the
    month-end forecast needs when the period ends inside a month."""
    first = start - dt.timedelta(days=HISTORY_DAYS)
    if _month_open(end):
        first = min(first, forecast_history(end)[0])
    return first


def _month_open(end: dt.date) -> bool:
    return end < period_of(end, "MS")[1]


def report_cost(clients: Mapping[str | None, StatsClient], start: DateLike, end: DateLike) -> tuple[int, float]:
    """The requests a report needs that the caches do not answer, and the longest wait for them
    under one account's rate limit (seconds); sends nothing."""
    start, end = coerce_date(start, "start"), coerce_date(end, "end")
    compared = comparison_period(start, end)
    total, longest = 0, 0.0
    for client in clients.values():
        need = client.estimate_series(_history_start(start, end), end, "D").requests
        need += sum(client.cached(a, b) is None for a, b in ((start, end), (compared.start, compared.end)))
        total += need
        longest = max(longest, client.eta(need) if need else 0.0)
    return total, longest


def build_report(
    clients: Mapping[str | None, StatsClient],
    start: DateLike,
    end: DateLike,
    *,
    period: str | None = None,
    budgets: Iterable[Budget] = (),
    countries: Mapping[str | None, str | None] | None = None,
    top: int = TOP,
    lang: str | None = None,
    metric: str = "credit",
    on_period: PeriodHook | None = None,
    on_wait: WaitHook | None = None,
    fetched: Callable[[str | None], None] | None = None,
) -> Report:
    """Gather and judge a report's figures for each account (``clients``: name → client; one
    unnamed client for a single account). What the caches hold is read from them; the rest is
    asked for (see :func:`report_cost`).

    Args:
        start, end: the report's days.
        period: the schedule's name (:data:`PERIODS`), for the title and the comparison.
        budgets: the usage triggers whose breaches in the period are listed.
        countries: each account's production calendar (default Russia's).
        top: how many logins are listed by spend.
        metric: the incidents on ``credit`` (spend, the default) or ``sms``.
        lang: the report's language (default: the current one).

    Raises:
        QueryError: bad dates, an unknown period or an empty ``clients``.
        The clients' errors as their fetches raise them.
    """
    first, last = coerce_date(start, "start"), coerce_date(end, "end")
    if last < first:
        raise said(QueryError, "the period ends ({end}) before it starts ({start})", end=last, start=first)
    if period is not None and period not in PERIODS:
        raise said(
            QueryError, "period must be one of {choices}, not {value}", choices=", ".join(PERIODS), value=repr(period)
        )
    if not clients:
        raise said(QueryError, "a report needs at least one account")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise said(QueryError, "top must be a whole number >= 1, not {top}", top=repr(top))
    compared = comparison_period(first, last, _UNIT.get(period or ""))
    year = year_earlier(first, last)
    budgets = tuple(budgets)
    sections = []
    for name, client in clients.items():
        country = (countries or {}).get(name, "RU")
        calendar = ProductionCalendar(None if country in (None, "none") else country)
        totals = client.fetch(first, last, on_wait=on_wait)
        previous = client.fetch(compared.start, compared.end, on_wait=on_wait)
        earlier = client.cached(*year)
        if earlier is None:
            days = client.cached_series(year[0], year[1], "D")
            earlier = days if days is not None else None
        daily = client.fetch_series(
            _history_start(first, last), last, "D", progress=False, on_period=on_period, on_wait=on_wait
        )
        found = incidents(daily, metric, end=last, calendar=calendar)
        found = found[(found["last_day"] >= first) & (found["first_day"] <= last)].reset_index(drop=True)
        in_period = daily[daily["period_start"] >= pd.Timestamp(first)]
        breaches = [budget_breaches(in_period, b.limit, freq=b.freq, metric=b.metric, login=b.login) for b in budgets]
        forecast = None
        if _month_open(last):
            every = forecast_month(daily, "credit", end=last, total=True, calendar=calendar)
            forecast = every[every["login"] == ACCOUNT].reset_index(drop=True)
        sections.append(
            Section(
                account=name,
                totals=totals,
                previous=previous,
                year_before=earlier,
                daily=daily,
                incidents=found,
                breaches=(
                    pd.concat(breaches, ignore_index=True) if breaches else budget_breaches(in_period.head(0), 1.0)
                ),
                forecast=forecast,
                service=service_host(client.settings.base_url),
                login=client.login,
            )
        )
        if fetched is not None:
            fetched(name)
    return Report(first, last, period, compared, year, tuple(sections), i18n.language(lang), top, metric)
