"""Deterministic synthetic statistics for the demo account.

A reseller-like account ``demo`` with several logins (one Cyrillic), a weekly rhythm (weekends are
quiet, ``demo_support`` sends nothing on weekends), amounts in RUR, a second currency for
``mycur=1`` and a separate electronic balance for ``balance2=1``. Money is computed per day in
whole ten-thousandths, so a period's total equals the sum of its days exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

#: The account has no traffic before this day.
ACCOUNT_OPENED = dt.date(2020, 1, 1)
#: The client's own currency for mycur=1, and how many of it one rouble buys (fixed).
OWN_CURRENCY = "KZT"
RUB_TO_OWN = 5.3125


@dataclass(frozen=True)
class DemoLogin:
    """One login of the demo account: its weekday volume and price per message in kopecks."""

    name: str
    weekday_volume: int
    price_kopecks: int
    weekends: bool = True


LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("demo", 120, 215),
    DemoLogin("demo_shop", 340, 198),
    DemoLogin("demo_support", 45, 230, weekends=False),
    DemoLogin("демо_маркет", 80, 205),
)


def _noise(day: dt.date, login: str, salt: str) -> int:
    """A stable pseudo-random number 0..999 for a day and login."""
    digest = hashlib.blake2b(f"{day.isoformat()}|{login}|{salt}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 1000


def day_counts(day: dt.date, login: DemoLogin, balance2: bool = False) -> tuple[int, int]:
    """(messages, top-up in kopecks) for one login on one day."""
    if day < ACCOUNT_OPENED:
        return 0, 0
    weekend = day.weekday() >= 5
    if weekend and not login.weekends:
        return 0, 0
    base = login.weekday_volume // (4 if weekend else 1)
    sms = base + (_noise(day, login.name, "sms") * base) // 2000  # up to +50 %
    if balance2:
        sms = sms // 5  # a fifth of the messages are paid from the electronic balance
    topup = 0
    if day.day == 1 and not balance2:
        topup = (login.weekday_volume * login.price_kopecks * 30) // 100 * 100
    return sms, topup


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
        sms_total = credit = debit = 0
        day = start
        while day <= end:
            sms, topup_kop = day_counts(day, login, balance2)
            sms_total += sms
            credit += _convert(sms * login.price_kopecks, mycur)
            debit += _convert(topup_kop, mycur)
            day += dt.timedelta(days=1)
        if sms_total or credit or debit:
            rows.append(Row(login.name, sms_total, credit, debit, OWN_CURRENCY if mycur else "RUR"))
    return rows


def _convert(kopecks: int, mycur: bool) -> int:
    """Kopecks to ten-thousandths of the reporting currency (exact integer arithmetic)."""
    if not mycur:
        return kopecks * 100
    return round(kopecks * 100 * RUB_TO_OWN)
