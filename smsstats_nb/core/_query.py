"""Dates and flags: coercion and validation before any request is spent.

Everything here is pure. :class:`StatsQuery` is the validated question; ``to_params()`` gives the
wire parameters (without credentials).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from ._errors import QueryError, said

__all__ = [
    "DEFAULT_FLAGS",
    "FREQS",
    "MOSCOW",
    "PRESETS",
    "DateLike",
    "FlagWords",
    "QueryFlags",
    "StatsQuery",
    "check_freq",
    "coerce_date",
    "finite_number",
    "last_full_month",
    "make_query",
    "moscow_today",
    "period_of",
    "preset_range",
    "split_periods",
]

#: What a date argument may be: ``'dd.mm.yyyy'``, ``'yyyy-mm-dd'``, a date, a datetime (pandas
#: Timestamps included) or a numpy datetime64.
DateLike = str | dt.date | dt.datetime | np.datetime64

#: The SMSC server keeps Moscow time (UTC+3, no daylight saving since 2014).
MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")

#: The earliest and latest day a question may name (SMSC has no statistics before 2000; later than
#: 2099 is a typo, and year 9999 would overflow a period's end).
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)

_DMY = re.compile(r"\A(\d{1,2})\.(\d{1,2})\.(\d{4})\Z")
_ISO = re.compile(r"\A(\d{4})-(\d{1,2})-(\d{1,2})\Z")


def moscow_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date on the server's clock (Moscow), at ``now`` (an aware datetime; default: now)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(MOSCOW).date()


def coerce_date(value: DateLike, name: str = "date") -> dt.date:
    """Turn ``'dd.mm.yyyy'``, ``'yyyy-mm-dd'``, date, datetime or pandas.Timestamp into a date.

    A timezone-aware datetime becomes its date in Moscow (the server's calendar); a naive one
    keeps its own date.

    Raises:
        QueryError: for any other type, an unknown string form, an impossible date, or a day
            outside ``MIN_DATE .. MAX_DATE``.
    """
    day = _coerce(value, name)
    if not MIN_DATE <= day <= MAX_DATE:
        raise said(
            QueryError,
            "{name} {day} is outside {first} .. {last}",
            name=name,
            day=day.isoformat(),
            first=f"{MIN_DATE:%d.%m.%Y}",
            last=f"{MAX_DATE:%d.%m.%Y}",
        )
    return day


def _coerce(value: DateLike, name: str) -> dt.date:
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime subclass
        if value != value:  # NaT
            raise said(QueryError, "{name} is missing (NaT)", name=name)
        if value.tzinfo is not None and value.utcoffset() is not None:
            return value.astimezone(MOSCOW).date()
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise said(QueryError, "{name} is missing (NaT)", name=name)
        try:
            item = value.astype("datetime64[D]").item()
        except (OverflowError, ValueError):
            item = None
        if not isinstance(item, dt.date):
            raise said(
                QueryError, "{name} {value} is outside the supported dates", name=name, value=repr(value)
            ) from None
        return item
    if isinstance(value, str):
        text = value.strip()
        m = _DMY.match(text)
        if m:
            day, month, year = (int(g) for g in m.groups())
        else:
            m = _ISO.match(text)
            if not m:
                raise said(
                    QueryError,
                    "{name} {value} is not a date: use 'dd.mm.yyyy' or 'yyyy-mm-dd'",
                    name=name,
                    value=repr(value),
                )
            year, month, day = (int(g) for g in m.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            if not 1 <= month <= 12:
                raise said(
                    QueryError, "{name} {value} is not a real date: there is no month {month}",
                    name=name, value=repr(value), month=month,
                ) from None  # fmt: skip
            import calendar

            raise said(
                QueryError, "{name} {value} is not a real date: that month has {days} days",
                name=name, value=repr(value), days=calendar.monthrange(year, month)[1] if year >= 1 else 31,
            ) from None  # fmt: skip
    raise said(
        QueryError,
        "{name} must be a 'dd.mm.yyyy' or 'yyyy-mm-dd' string, a date, a datetime or a pandas.Timestamp, not {kind}",
        name=name,
        kind=type(value).__name__,
    )


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise said(QueryError, "{name} must be True or False, not {value}", name=name, value=repr(value))


def _fmt(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise said(QueryError, "fmt must be 0 (text), 1 (csv), 2 (xml) or 3 (json), not {value}", value=repr(value))
    if int(value) not in (0, 1, 2, 3):
        raise said(QueryError, "fmt must be 0 (text), 1 (csv), 2 (xml) or 3 (json), not {value}", value=repr(value))
    return int(value)


class FlagWords(TypedDict, total=False):
    """The flags as the public functions take them (``mycur=…, balance2=…, fmt=…``), declared once."""

    mycur: bool
    balance2: bool
    fmt: int


@dataclass(frozen=True, slots=True)
class QueryFlags:
    """What a question asks besides its dates, as one value: the currency flag, the balance flag
    and the wire format. Built with :meth:`of`, which validates."""

    mycur: bool = False
    balance2: bool = False
    fmt: int = 3

    @classmethod
    def of(cls, *, mycur: Any = False, balance2: Any = False, fmt: Any = 3) -> QueryFlags:
        """The flags, validated (:class:`QueryError` for a non-boolean flag or an unknown format)."""
        return cls(_flag(mycur, "mycur"), _flag(balance2, "balance2"), _fmt(fmt))

    def kwargs(self) -> dict[str, Any]:
        """The flags as the keywords of the public functions (``mycur=…, balance2=…, fmt=…``)."""
        return {"mycur": self.mycur, "balance2": self.balance2, "fmt": self.fmt}


#: The flags of a plain question: roubles, the main balance, JSON.
DEFAULT_FLAGS = QueryFlags()


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """A validated statistics question (no credentials)."""

    start: dt.date
    end: dt.date
    mycur: bool = False
    balance2: bool = False
    fmt: int = 3

    def to_params(self) -> dict[str, str]:
        """The wire parameters of this question, without credentials, in a stable order."""
        params = {
            "get_stat": "1",
            "start": self.start.strftime("%d.%m.%Y"),
            "end": self.end.strftime("%d.%m.%Y"),
            "fmt": str(self.fmt),
            "charset": "utf-8",
        }
        if self.mycur:
            params["mycur"] = "1"
        if self.balance2:
            params["balance2"] = "1"
        return params

    def replace(self, **changes: Any) -> StatsQuery:
        """A copy with some fields changed (validated again)."""
        values = {
            "start": self.start,
            "end": self.end,
            "mycur": self.mycur,
            "balance2": self.balance2,
            "fmt": self.fmt,
        }
        values.update(changes)
        return make_query(**values)

    @property
    def flags(self) -> QueryFlags:
        """The question's flags as one value."""
        return QueryFlags(self.mycur, self.balance2, self.fmt)

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1


def make_query(
    start: Any,
    end: Any = None,
    *,
    mycur: Any = False,
    balance2: Any = False,
    fmt: Any = 3,
) -> StatsQuery:
    """Validate a question; ``end=None`` means the start day only.

    Raises:
        QueryError: bad dates, start after end, unknown fmt or non-boolean flags.
    """
    if start is None:
        raise said(QueryError, "start is required: the first day of the period, e.g. '01.01.2024'")
    s = coerce_date(start, "start")
    e = s if end is None else coerce_date(end, "end")
    if s > e:
        raise said(QueryError, "start {start} is after end {end}", start=f"{s:%d.%m.%Y}", end=f"{e:%d.%m.%Y}")
    flags = QueryFlags.of(mycur=mycur, balance2=balance2, fmt=fmt)
    return StatsQuery(s, e, flags.mycur, flags.balance2, flags.fmt)


#: Accepted ``freq`` values (pandas-like aliases) and the word for one period. Weeks run Monday
#: to Sunday.
FREQS = {"D": "day", "W": "week", "MS": "month", "M": "month", "QS": "quarter", "YS": "year"}
#: pandas' other spellings of the same calendar periods.
FREQ_ALIASES = {"Q": "QS", "QE": "QS", "ME": "MS", "Y": "YS", "YE": "YS", "A": "YS", "AS": "YS"}


def _period_end(day: dt.date, freq: str) -> dt.date:
    if freq == "D":
        return day
    if freq == "W":
        return day + dt.timedelta(days=6 - day.weekday())
    if freq in ("MS", "M"):
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    if freq == "QS":
        q_last_month = (day.month - 1) // 3 * 3 + 3
        nxt = dt.date(day.year + q_last_month // 12, q_last_month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(day.year, 12, 31)  # YS


def period_of(day: dt.date, freq: str) -> tuple[dt.date, dt.date]:
    """The whole calendar period of ``freq`` that contains ``day`` (weeks run Monday to Sunday)."""
    freq = check_freq(freq)
    if freq == "W":
        start = day - dt.timedelta(days=day.weekday())
    elif freq in ("MS", "M"):
        start = day.replace(day=1)
    elif freq == "QS":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif freq == "YS":
        start = day.replace(month=1, day=1)
    else:
        start = day
    return start, _period_end(start, freq)


def finite_number(name: str, value: Any, *, zero: bool = False) -> float:
    """The one check of "a finite number, positive (or ``zero=True``: at least 0)" for every
    setting, threshold and limit: booleans, strings, NaN and infinities are refused.

    Raises:
        QueryError: naming ``name`` and the value.
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))
    if ok and (value > 0 or (zero and value == 0)):
        return float(value)
    if zero:
        raise said(QueryError, "{name} must be a finite number >= 0, not {value}", name=name, value=repr(value))
    raise said(QueryError, "{name} must be a positive, finite number, not {value}", name=name, value=repr(value))


def check_freq(freq: Any) -> str:
    """Validate a series frequency.

    ``Q``, ``Y`` (and pandas' ``QE``, ``ME``, ``YE``, ``A``) mean the same calendar periods as
    ``QS``, ``MS``, ``YS``.

    Raises:
        QueryError: not one of D, W, MS, M, QS, YS (or an alias of one).
    """
    key = freq.upper() if isinstance(freq, str) else None
    key = FREQ_ALIASES.get(key, key) if key is not None else None
    if key not in FREQS:
        raise said(
            QueryError,
            "freq must be one of {choices} (or Q, Y), not {value}",
            choices=", ".join(FREQS),
            value=repr(freq),
        )
    return str(key)


def split_periods(start: dt.date, end: dt.date, freq: str) -> list[tuple[dt.date, dt.date]]:
    """Split [start, end] into calendar periods of ``freq``; the first and last are clipped."""
    freq = check_freq(freq)
    if start > end:
        raise said(QueryError, "start {start} is after end {end}", start=f"{start:%d.%m.%Y}", end=f"{end:%d.%m.%Y}")
    periods = []
    day = start
    while day <= end:
        last = min(_period_end(day, freq), end)
        periods.append((day, last))
        day = last + dt.timedelta(days=1)
    return periods


def last_full_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of the month before ``today`` (default: today in Moscow)."""
    today = today or moscow_today()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


#: The date-range presets analysts reach for, in the order a picker lists them.
PRESETS = ("last 7 days", "this month", "last month", "last quarter", "year to date")


def preset_range(name: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The range a preset names, on the server's calendar (``today`` default: today in Moscow):
    the last 7 days up to today, this month so far, last month, the last whole quarter, or the
    year so far.

    Raises:
        QueryError: an unknown preset.
    """
    today = today or moscow_today()
    if name == "last 7 days":
        return today - dt.timedelta(days=6), today
    if name == "this month":
        return today.replace(day=1), today
    if name == "last month":
        return last_full_month(today)
    if name == "last quarter":
        this_quarter = period_of(today, "QS")[0]
        return period_of(this_quarter - dt.timedelta(days=1), "QS")
    if name == "year to date":
        return today.replace(month=1, day=1), today
    raise said(QueryError, "preset must be one of {choices}, not {value}", choices=", ".join(PRESETS), value=repr(name))
