"""Summary figures of a stats frame (pure pandas, no I/O): what an analyst reads first.

:func:`summarize` gives total messages, total spent (``credit``), total paid in (``debit``) and the
average cost per message, per currency, and the change against a previous period when one is
given. :func:`previous_period` names the period of the same length just before a period. The
wire names are kept in the frames; :data:`LABELS` explains them (``credit`` is what was spent
on messages, ``debit`` what was paid in; the vendor's page swaps the words).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core import DateLike, QueryError, coerce_date, i18n, period_of, said
from ..core.i18n import N_, ngettext
from ..core.i18n import gettext_ as _

__all__ = [
    "LABELS",
    "Comparison",
    "Summary",
    "comparison_period",
    "flag_words",
    "format_money",
    "previous_calendar_period",
    "previous_period",
    "summarize",
    "year_earlier",
]

#: Plain words for the wire names.
LABELS = {
    "sms": N_("messages"),
    "credit": N_("spent on messages"),
    "debit": N_("paid in"),
}


def format_money(value: float, currency: str = "") -> str:
    """``12345.6`` → ``"12,345.60"`` (two decimals, thousands separators), with the currency as
    the locale writes it: ``RUB 12,345.60`` in English, ``12 345,60 ₽`` in Russian (the wire's RUR
    is the rouble)."""
    return i18n.format_money(value, currency)


def flag_words(attrs: Mapping[Any, Any]) -> str:
    """The flags and completeness of an answer in the person's words, for titles and status lines:
    ``""``, ``"mycur"``, ``"balance2 (electronic balance only)"``, ``"partial"`` joined by ", " (in
    the current language; :func:`smsstats_nb.core.file_tag` says the same for a file name)."""
    words = []
    if attrs.get("mycur"):
        words.append(_("mycur (own currency)") if i18n.current() != "en" else "mycur")
    if attrs.get("balance2"):
        words.append(_("balance2 (electronic balance only)"))
    if attrs.get("complete") is False:
        words.append(_("partial"))
    return ", ".join(words)


def format_number(value: int) -> str:
    """``18,643`` (English), ``18 643`` (Russian)."""
    return i18n.format_number(value)


def previous_period(start: DateLike, end: DateLike) -> tuple[dt.date, dt.date]:
    """The period of the same number of days that ends the day before ``start`` (dates in any form
    :func:`~smsstats_nb.core.coerce_date` takes: ``"2024-02-01"``, ``"01.02.2024"``, a date …)."""
    start, end = coerce_date(start, "start"), coerce_date(end, "end")
    if end < start:
        raise said(QueryError, "the period ends ({end}) before it starts ({start})", end=end, start=start)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


#: The calendar units a range can be "so far" or whole of: (freq, months per unit, what it is called).
_UNITS = (("MS", 1), ("QS", 3), ("HS", 6), ("YS", 12))
_WHOLE = {
    "W": N_("the previous week"),
    "MS": N_("the previous month"),
    "QS": N_("the previous quarter"),
    "HS": N_("the previous half-year"),
    "YS": N_("the previous year"),
}
_SO_FAR = {
    "MS": N_("the same days of the previous month"),
    "QS": N_("the same days of the previous quarter"),
    "HS": N_("the same days of the previous half-year"),
    "YS": N_("the same days of the previous year"),
}


@dataclass(frozen=True)
class Comparison:
    """The period a range is compared with, and how it was chosen, in words for the page
    (``"the same days of the previous month"``)."""

    start: dt.date
    end: dt.date
    basis: str  # "W", "MS", "QS", "HS", "YS" (whole), "MS-so-far" …, or "days"

    def words(self) -> str:
        """How the comparison was chosen, in the current language."""
        unit, _sep, so_far = self.basis.partition("-")
        if so_far:
            return _(_SO_FAR[unit])
        if unit in _WHOLE:
            return _(_WHOLE[unit])
        return _("the same number of days just before")


def _unit_of(day: dt.date, freq: str) -> tuple[dt.date, dt.date]:
    if freq == "HS":
        first = day.replace(month=1 if day.month <= 6 else 7, day=1)
        return first, _months_back(first, -6) - dt.timedelta(days=1)
    return period_of(day, freq)


def _months_back(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` calendar months earlier (negative: later), its day clipped to the month's
    length (31 March → 29 February)."""
    import calendar

    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def comparison_period(start: DateLike, end: DateLike, unit: str | None = None) -> Comparison:
    """The period to compare a range with, the way analysts read it:

    - a whole week, month, quarter, half-year or year: the one before (a half-year against the
      previous half-year, February against January whatever their lengths);
    - a month, quarter, half-year or year so far: **the same days** of the previous one (1-2
      December against 1-2 November, a year to date against the same dates a year before);
    - any other range: the same number of days just before it.

    ``unit`` (``"MS"``, ``"QS"``, ``"HS"``, ``"YS"``) says which "so far" is meant when a range is
    several (1 January to 15 February is a quarter and a year so far); by default the smallest.

    Raises:
        QueryError: the range ends before it starts, or an unknown ``unit``.
    """
    start, end = coerce_date(start, "start"), coerce_date(end, "end")
    if end < start:
        raise said(QueryError, "the period ends ({end}) before it starts ({start})", end=end, start=start)
    units = dict(_UNITS)
    if unit is not None and unit not in units:
        raise said(QueryError, "unit must be one of {choices}, not {value}", choices="MS, QS, HS, YS", value=repr(unit))
    for freq in ("W", "MS", "QS", "HS", "YS"):  # a whole period: the one before
        if _unit_of(start, freq) == (start, end):
            a, _b = _unit_of(start - dt.timedelta(days=1), freq)
            return Comparison(a, start - dt.timedelta(days=1), freq)
    order = [unit] if unit is not None else [f for f, _m in _UNITS]
    for freq in order:  # so far: the same days of the one before
        first, last = _unit_of(start, freq)
        if start == first and end < last:
            months = units[freq]
            return Comparison(_months_back(start, months), _months_back(end, months), f"{freq}-so-far")
    a, b = previous_period(start, end)
    return Comparison(a, b, "days")


def previous_calendar_period(start: DateLike, end: DateLike, unit: str | None = None) -> tuple[dt.date, dt.date]:
    """The period to compare with (see :func:`comparison_period`, which also says how it was
    chosen): the previous whole month, quarter, half-year, year or week for a whole one, the same
    days of the previous one for a month, quarter, half-year or year so far, and for any other
    range the same number of days just before it."""
    found = comparison_period(start, end, unit)
    return found.start, found.end


def year_earlier(start: DateLike, end: DateLike) -> tuple[dt.date, dt.date]:
    """The same period a year earlier: each date a year back (29 February is the 28th), and a
    range that ends on a month's last day ends on that month's last day (February 2024, 29
    days, against February 2023, 28)."""
    start, end = coerce_date(start, "start"), coerce_date(end, "end")
    if end < start:
        raise said(QueryError, "the period ends ({end}) before it starts ({start})", end=end, start=start)

    def back(day: dt.date) -> dt.date:
        last = period_of(day.replace(day=1, year=day.year - 1), "MS")[1]
        return day.replace(year=day.year - 1, day=min(day.day, last.day))

    a, b = back(start), back(end)
    if (end + dt.timedelta(days=1)).day == 1:  # a month end stays a month end
        b = period_of(b, "MS")[1]
    return a, b


def _change(now: float, before: float) -> float | None:
    """Relative change in percent (None when the earlier figure is zero)."""
    return None if before == 0 else (now - before) / before * 100.0


@dataclass(frozen=True, repr=False)
class Summary:
    """Headline figures of one answer.

    Attributes:
        messages: messages sent in the period (all logins).
        spent: money spent on messages (``credit``) per currency.
        paid_in: money paid in (``debit``) per currency.
        cost_per_message: ``spent / messages`` per currency (None without messages).
        logins: logins with a row.
        messages_change: percent change of messages against the previous period (None when no
            previous period was given or it had none).
        spent_change: percent change of spending per currency against the previous period.
    """

    messages: int
    spent: dict[str, float]
    paid_in: dict[str, float]
    cost_per_message: dict[str, float | None]
    logins: int
    messages_change: float | None = None
    spent_change: dict[str, float | None] = field(default_factory=dict)
    compared: bool = False

    def changes(self) -> str:
        """The changes against the compared period in one line ("messages +3.1%, spent RUR -2.0%")."""

        def pct(value: float | None) -> str:
            return _("no figure before") if value is None else i18n.format_pct(value)

        parts = [_("messages {change}").format(change=pct(self.messages_change))]
        parts += [
            _("spent {cur} {change}").format(cur=i18n.currency_name(cur), change=pct(self.spent_change.get(cur)))
            for cur in self.spent
        ]
        return ", ".join(parts) + "."

    def lines(self) -> list[str]:
        """The figures as short lines of text, in the current language (:mod:`smsstats_nb.core.i18n`)."""
        change = ""
        if self.compared:
            change = (
                _(" (no messages before)")
                if self.messages_change is None
                else f" ({i18n.format_pct(self.messages_change)})"
            )
        messages = ngettext("{n} message", "{n} messages", self.messages).format(n=format_number(self.messages))
        logins = ngettext("from {k} login", "from {k} logins", self.logins).format(k=self.logins)
        out = [f"{messages}{change} {logins}"]
        for cur, spent in self.spent.items():
            pct = self.spent_change.get(cur) if self.compared else None
            delta = f" ({i18n.format_pct(pct)})" if pct is not None else ""
            cost = self.cost_per_message.get(cur)
            per = _(", {cost} per message").format(cost=format_money(cost, cur)) if cost is not None else ""
            out.append(
                _("{amount} spent{delta}{per}; {paid} paid in").format(
                    amount=format_money(spent, cur), delta=delta, per=per, paid=format_money(self.paid_in[cur], cur)
                )
            )
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return "<br>".join(html.escape(line) for line in self.lines())


def summarize(df: pd.DataFrame, previous: pd.DataFrame | None = None) -> Summary:
    """Headline figures of a totals or series frame, and the change against ``previous``.

    Args:
        df: a frame from ``fetch`` or ``fetch_series`` (columns ``login, sms, credit, debit,
            currency``).
        previous: the same question for an earlier period (see :func:`previous_period`), or None.

    Raises:
        QueryError: ``df`` is not a stats frame.
    """
    for frame, name in ((df, "df"), (previous, "previous")):
        if frame is None and name == "previous":
            continue
        if not isinstance(frame, pd.DataFrame) or not {"login", "sms", "credit", "debit", "currency"} <= set(
            frame.columns
        ):
            raise said(QueryError, "{name} must be a stats DataFrame (login, sms, credit, debit, currency)", name=name)
    by_cur = df.groupby("currency", observed=True, sort=True)[["sms", "credit", "debit"]].sum()
    spent = {str(c): float(v) for c, v in by_cur["credit"].items()}
    paid = {str(c): float(v) for c, v in by_cur["debit"].items()}
    cost = {str(c): (float(r.credit) / int(r.sms) if int(r.sms) else None) for c, r in by_cur.iterrows()}
    messages = int(df["sms"].sum())
    if previous is None:
        return Summary(messages, spent, paid, cost, int(df["login"].nunique()))
    before = previous.groupby("currency", observed=True)["credit"].sum()
    spent_change = {cur: _change(v, float(before.get(cur, 0.0))) for cur, v in spent.items()}
    return Summary(
        messages,
        spent,
        paid,
        cost,
        int(df["login"].nunique()),
        messages_change=_change(messages, int(previous["sms"].sum())),
        spent_change=spent_change,
        compared=True,
    )
