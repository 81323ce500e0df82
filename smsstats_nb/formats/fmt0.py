"""fmt=0: ``login = L, sms = N, credit = C, debit = D, currency = CUR`` one line per row."""

from __future__ import annotations

import re

import pandas as pd

from ..frames import empty_frame, make_frame
from ._common import bad_body, to_counts, to_money

_NUM = r"-?\d+(?:\.\d*)?"
_ROW = re.compile(
    r"^[ \t]*login[ \t]*=[ \t]?(.*?)[ \t]*,[ \t]*sms[ \t]*=[ \t]*(\d+)[ \t]*,"
    rf"[ \t]*credit[ \t]*=[ \t]*({_NUM})[ \t]*,[ \t]*debit[ \t]*=[ \t]*({_NUM})[ \t]*,"
    r"[ \t]*currency[ \t]*=[ \t]*([^\s,]+)[ \t]*\r?$",
    re.M,
)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=0 body (LF or CRLF, blank lines ignored)."""
    rows = _ROW.findall(body)
    lines = [line for line in body.splitlines() if line.strip()]
    if len(rows) != len(lines):
        for line in lines:
            if not _ROW.match(line):
                raise bad_body("a line is not a 'login = ..., sms = ...' stats row", line)
        raise bad_body("unexpected text between stats rows", body)  # pragma: no cover
    if not rows:
        return empty_frame()
    login, sms, credit, debit, currency = zip(*rows, strict=True)
    if any(not x for x in login):
        raise bad_body("a row has an empty login", body)
    return make_frame(login, to_counts(sms, body), to_money(credit, body), to_money(debit, body), currency)
