"""The production calendar: which days are working days where an account's customers live.

SMSC serves Russia, Kazakhstan, Ukraine, Belarus and Uzbekistan. Business traffic follows the
country's production calendar, not the week alone: the New Year break, 23 February, 8 March, 1 and
9 May, 12 June, 4 November, and the days a decree moves (a Saturday made a working day, a Monday
made a day off). Judged as an ordinary weekday, every such day looks like a drop for most logins,
and a moved working Saturday like a spike. :class:`ProductionCalendar` tells each day's class:

- 0 to 4: a working weekday (Monday to Friday, not a holiday), by its weekday number;
- ``SATURDAY`` and ``SUNDAY``: an ordinary weekend day;
- ``HOLIDAY``: a non-working day that is not an ordinary weekend (a holiday, a day off moved by
  decree), judged against the non-working days (Sundays and holidays);
- ``MOVED_WORKDAY``: a weekend day made a working day by decree, judged against working days.

The calendars come from the ``holidays`` package (its Russian calendar follows the official list,
the decree-moved days included; checked for 2024 and 2025 in ``tests/analysis/test_calendar.py``).
``ProductionCalendar(None)`` is the plain week (Saturday and Sunday off, no holidays).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from ..core import COUNTRIES, QueryError, said

__all__ = ["COUNTRIES", "HOLIDAY", "MOVED_WORKDAY", "SATURDAY", "SUNDAY", "ProductionCalendar"]

#: Day classes (see the module docstring); 0 to 4 are the working weekdays by their number.
SATURDAY, SUNDAY, HOLIDAY, MOVED_WORKDAY = 5, 6, 7, 8


class ProductionCalendar:
    """A country's working and non-working days.

    Args:
        country: an ISO code of :data:`COUNTRIES` (default Russia), or None for the plain week.
        holidays: more non-working days (a company's own, a known pause), and
        workdays: more working days, both on top of the country's.
    """

    def __init__(
        self, country: str | None = "RU", *, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
    ) -> None:
        if country is not None and country not in COUNTRIES:
            raise said(
                QueryError,
                "country must be one of {choices} or None, not {country}",
                choices=", ".join(COUNTRIES),
                country=repr(country),
            )
        self.country = country
        self._extra_off = frozenset(holidays)
        self._extra_on = frozenset(workdays)

    def __repr__(self) -> str:
        return f"ProductionCalendar({self.country!r})"

    def _year(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        """The country's holidays and moved working days of ``year``."""
        return _country_year(self.country, year)

    def is_working(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        off, on = self._year(day.year)
        if day in self._extra_on or (day in on and day not in self._extra_off):
            return True
        if day in self._extra_off or day in off:
            return False
        return day.weekday() < 5

    def day_class(self, day: dt.date) -> int:
        """The class ``day`` is judged in: its weekday number (0-4, a working weekday), ``SATURDAY``,
        ``SUNDAY``, ``HOLIDAY`` or ``MOVED_WORKDAY``."""
        working = self.is_working(day)
        weekday = day.weekday()
        if weekday < 5:
            return weekday if working else HOLIDAY
        if working:
            return MOVED_WORKDAY
        off, _ = self._year(day.year)
        return HOLIDAY if (day in off or day in self._extra_off) else weekday

    def count(self, first: dt.date, last: dt.date) -> tuple[int, int]:
        """Working and non-working days from ``first`` to ``last`` (both included)."""
        working = sum(self.is_working(first + dt.timedelta(days=i)) for i in range((last - first).days + 1))
        return working, (last - first).days + 1 - working


@functools.lru_cache(maxsize=64)
def _country_year(country: str | None, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """A country's holidays and moved working days of ``year``, built once per process (every
    calendar of that country shares them)."""
    if country is None:
        return frozenset(), frozenset()
    import holidays

    calendar = holidays.country_holidays(country, years=year)
    off = frozenset(d for d in calendar if d.year == year)
    on = frozenset(d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year)
    return off, on
