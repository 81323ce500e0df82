"""Axes people can read: dates as the language writes them, thousands as the locale groups them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core import i18n
from ..core.i18n import gettext_ as _

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["date_axis", "date_formatter", "day_words", "thousands"]


def date_axis(ax: Axes, days: pd.DatetimeIndex, *, freq: str | None = None) -> None:
    """Dates people can read: a monthly (quarterly, yearly) series labelled by its months at its
    own periods, whatever its length ("Jan 2024, Feb 2024, Mar 2024", never "05 Jan, 13 Jan"); the
    year on the axis, month ticks at month starts for long spans, day ticks that never collide
    for short ones."""
    import matplotlib.dates as mdates

    if len(days) == 0:
        return
    span = (days.max() - days.min()).days
    if freq in ("MS", "M", "QS", "YS"):
        ticks = sorted(days)
        step = max(1, -(-len(ticks) // 12))  # at most 12 labels
        ax.set_xticks([mdates.date2num(d.to_pydatetime()) for d in ticks[::step]])
        ax.xaxis.set_major_formatter(
            date_formatter("%Y" if freq == "YS" else "%b %Y", "yyyy" if freq == "YS" else "LLL yyyy")
        )
        ax.set_xlabel("")
        return
    if span > 62:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonthday=1, interval=max(1, span // 300 + 1)))
        ax.xaxis.set_major_formatter(date_formatter("%b %Y", "LLL yyyy"))
        ax.set_xlabel(_("period start"))
    else:
        # whole days only: AutoDateLocator puts ticks at noon on a span of a few days, and a
        # "%d %b" label then repeats the day ("28 Jun, 28 Jun, 29 Jun")
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, -(-(span + 1) // 8))))
        ax.xaxis.set_major_formatter(date_formatter("%d %b", "d MMM"))
        years = sorted({d.year for d in days})
        shown = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
        ax.set_xlabel(_("period start ({years})").format(years=shown))


def thousands(ax: Axes) -> None:
    """Thousands separators on the value axis as the locale writes them (``12,500``, ``12 500``)."""
    from matplotlib.ticker import FuncFormatter

    code = i18n.current()

    def tick(v: float, _pos: object) -> str:
        with i18n.using(code):  # matplotlib draws later, maybe outside the caller's language block
            return i18n.format_number(v, 0 if abs(v) >= 10 or v == int(v) else 2)

    ax.yaxis.set_major_formatter(FuncFormatter(tick))


def day_words(day: pd.Timestamp) -> str:
    """``05 Jan`` in English, ``5 янв.`` in Russian (a partial period's days)."""
    if i18n.current() == "en":
        return f"{day:%d %b}"
    from babel.dates import format_date

    return str(format_date(day.date(), "d MMM", locale=i18n.BABEL[i18n.current()]))


def date_formatter(strftime: str, pattern: str) -> Any:
    """Date ticks as the language writes them: English through strftime (``Jan 2024``), others
    through Babel's CLDR patterns (``янв. 2024``: month names do not depend on the C locale)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    code = i18n.current()
    if code == "en":
        return mdates.DateFormatter(strftime)
    from babel.dates import format_date

    def tick(value: float, _pos: object) -> str:
        return str(format_date(mdates.num2date(value).date(), pattern, locale=i18n.BABEL[code]))

    return FuncFormatter(tick)
