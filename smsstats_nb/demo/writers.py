"""Writers of ``get_stat`` answers, as the real service formats them.

They share no code with ``smsstats_nb.wire.formats`` on purpose: a round trip between the two proves
that both follow the reference, not each other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape

from .data import Row

ERROR_TEXTS = {
    1: "parameters error",
    2: "authorise error",
    4: "ip is blocked",
    9: "duplicate request, wait a minute",
}


def money(value_e4: int, currency: str) -> str:
    """Format ten-thousandths: two decimals for roubles, up to four (trailing zeros cut) otherwise."""
    sign = "-" if value_e4 < 0 else ""
    whole, frac = divmod(abs(value_e4), 10000)
    if currency == "RUR":
        cents = (frac + 50) // 100
        if cents == 100:
            whole, cents = whole + 1, 0
        return f"{sign}{whole}.{cents:02d}"
    text = f"{frac:04d}".rstrip("0")
    return f"{sign}{whole}.{text}" if text else f"{sign}{whole}"


def write_rows(rows: Sequence[Row], fmt: int, *, xml_declaration: bool = True, crlf: bool = False) -> str:
    """Format data rows in fmt 0..3."""
    cells = [
        (r.login, str(r.sms), money(r.credit_e4, r.currency), money(r.debit_e4, r.currency), r.currency) for r in rows
    ]
    nl = "\r\n" if crlf else "\n"
    if fmt == 0:
        return "".join(
            f"login = {lg}, sms = {n}, credit = {c}, debit = {d}, currency = {cur}{nl}" for lg, n, c, d, cur in cells
        )
    if fmt == 1:
        return "".join(f"{lg},{n},{c},{d},{cur}{nl}" for lg, n, c, d, cur in cells)
    if fmt == 2:
        head = '<?xml version="1.0" encoding="utf-8"?>\n' if xml_declaration else ""
        stats = "".join(
            f"<stat><login>{escape(lg)}</login><sms>{n}</sms><credit>{c}</credit>"
            f"<debit>{d}</debit><currency>{escape(cur)}</currency></stat>"
            for lg, n, c, d, cur in cells
        )
        return f"{head}<list>{stats}</list>"
    if fmt == 3:
        return json.dumps(
            [{"login": lg, "sms": n, "credit": c, "debit": d, "currency": cur} for lg, n, c, d, cur in cells],
            ensure_ascii=False,
        )
    raise ValueError(f"unknown fmt {fmt}")


def write_error(code: int, fmt: int, description: str | None = None) -> str:
    """Format an error answer in fmt 0..3."""
    text = ERROR_TEXTS.get(code, "error") if description is None else description
    if fmt == 1:
        return f"0,-{code}"
    if fmt == 2:
        return f"<result><error>{escape(text)}</error><error_code>{code}</error_code></result>"
    if fmt == 3:
        return json.dumps({"error": text, "error_code": code})
    return f"ERROR = {code} ({text})"
