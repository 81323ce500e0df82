"""Deterministic synthetic statistics for the demo account.

A reseller-like account ``demo`` with several logins (one Cyrillic), the rhythm of the Russian
production calendar (weekends and holidays are quiet, ``demo_support`` sends nothing on them; a
Saturday made a working day is a working day), amounts in RUR, a second currency for
``mycur=1`` and a separate electronic balance for ``balance2=1``. Like the service, messages are
billed at a price with four decimals and money is rounded once per period (to two decimals for
roubles), so a period's total can differ by kopecks from the sum of its days' totals.

Planted for the monitoring notebook, in the second quarter of 2024 only (see :data:`SPIKES` and
:data:`SILENT`): ``demo_shop`` sends eight times its usual volume on 14 May 2024 and
``демо_маркет`` six times on 4 June 2024 (traffic pumping), and ``demo_support`` goes silent from
10 to 30 June 2024 (a broken integration). Every other day follows the ordinary rhythm.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass

#: The account has no traffic before this day.
ACCOUNT_OPENED = dt.date(2020, 1, 1)
#: The client's own currency for mycur=1, and how many of it one rouble buys (fixed).
OWN_CURRENCY = "KZT"
RUB_TO_OWN = 5.3125


@dataclass(frozen=True)
class DemoLogin:
    """One login of the demo account: its weekday volume and price per message in ten-thousandths
    of a rouble (``21537`` is 2.1537 RUR)."""

    name: str
    weekday_volume: int
    price_e4: int
    weekends: bool = True


LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("demo", 120, 21537),
    DemoLogin("demo_shop", 340, 19843),
    DemoLogin("demo_support", 45, 23071, weekends=False),
    DemoLogin("демо_маркет", 80, 20519),
)


#: Days whose volume is multiplied (login, day) -> factor: planted traffic pumping.
SPIKES: dict[tuple[str, dt.date], int] = {
    ("demo_shop", dt.date(2024, 5, 14)): 8,
    ("демо_маркет", dt.date(2024, 6, 4)): 6,
}
#: A login that sends nothing over a stretch of days: a planted broken integration.
SILENT: tuple[str, dt.date, dt.date] = ("demo_support", dt.date(2024, 6, 10), dt.date(2024, 6, 30))


def _noise(day: dt.date, login: str, salt: str) -> int:
    """A stable pseudo-random number 0..999 for a day and login."""
    digest = hashlib.blake2b(f"{day.isoformat()}|{login}|{salt}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 1000


def day_counts(day: dt.date, login: DemoLogin, balance2: bool = False) -> tuple[int, int]:
    """(messages, top-up in kopecks) for one login on one day."""
    if day < ACCOUNT_OPENED:
        return 0, 0
    weekend = not _working(day)
    if weekend and not login.weekends:
        return 0, 0
    if login.name == SILENT[0] and SILENT[1] <= day <= SILENT[2]:
        return 0, 0
    base = login.weekday_volume // (4 if weekend else 1)
    sms = base + (_noise(day, login.name, "sms") * base) // 2000  # up to +50 %
    sms *= SPIKES.get((login.name, day), 1)
    if balance2:
        sms = sms // 5  # a fifth of the messages are paid from the electronic balance
    topup = 0
    if day.day == 1 and not balance2:
        topup = (login.weekday_volume * (login.price_e4 // 100) * 30) // 100 * 100
    return sms, topup


@functools.lru_cache(maxsize=32)
def _russian_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Russia's holidays and the weekend days a decree made working days, in ``year``."""
    import holidays

    calendar = holidays.country_holidays("RU", years=year)
    return frozenset(calendar), frozenset(getattr(calendar, "weekend_workdays", ()))


def _working(day: dt.date) -> bool:
    """Whether ``day`` is a working day in Russia (the demo's customers work by its calendar)."""
    off, on = _russian_year(day.year)
    return day in on or (day.weekday() < 5 and day not in off)


@dataclass(frozen=True)
class Row:
    """One stats row in exact units: money in ten-thousandths of the currency."""

    login: str
    sms: int
    credit_e4: int
    debit_e4: int
    currency: str


def period_rows(start: dt.date, end: dt.date, *, mycur: bool = False, balance2: bool = False) -> list[Row]:
    """Rows for a period (both ends included); logins without traffic are left out."""
    rows: list[Row] = []
    for login in LOGINS:
        sms_total = topup_kop = 0
        day = start
        while day <= end:
            sms, topup = day_counts(day, login, balance2)
            sms_total += sms
            topup_kop += topup
            day += dt.timedelta(days=1)
        credit = _convert(sms_total * login.price_e4, mycur)  # billed per message, converted once
        debit = _convert(topup_kop * 100, mycur)
        if sms_total or credit or debit:
            rows.append(Row(login.name, sms_total, credit, debit, OWN_CURRENCY if mycur else "RUR"))
    return rows


def _convert(rub_e4: int, mycur: bool) -> int:
    """Ten-thousandths of a rouble to ten-thousandths of the reporting currency."""
    if not mycur:
        return rub_e4
    return round(rub_e4 * RUB_TO_OWN)
