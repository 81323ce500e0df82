"""fmt=0: ``login = L, sms = N, credit = C, debit = D, currency = CUR`` one line per row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...core import empty_frame, make_frame
from ._common import bad_body, clean_texts

#: The form the service writes (single spaces): tried first, it is the fast path.
_STRICT = re.compile(
    r"^login = (.*?), sms = ([0-9]+), credit = ([-0-9.]+), debit = ([-0-9.]+), currency = ([^\s,]+)\r?$",
    re.M,
)
#: A tolerant form (spaces optional, trailing blanks) for bodies the strict one does not cover.
_TOLERANT = re.compile(
    r"^[ \t]*login ?= ?(.*?) ?, ?sms ?= ?([0-9]+) ?, ?credit ?= ?([-0-9.]+) ?, ?debit ?= ?([-0-9.]+) ?,"
    r" ?currency ?= ?([^\s,]+)[ \t\r]*$",
    re.M,
)


def _line_count(body: str) -> int:
    return body.count("\n") + (0 if body.endswith("\n") else 1)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=0 body (LF or CRLF, blank lines ignored)."""
    rows = _STRICT.findall(body)
    if len(rows) != _line_count(body):
        rows = _TOLERANT.findall(body)
        lines = [line for line in body.splitlines() if line.strip()]
        if len(rows) != len(lines):
            for line in lines:
                if not _TOLERANT.match(line):
                    raise bad_body("a line is not a 'login = ..., sms = ...' stats row", line)
            raise bad_body("unexpected text between stats rows", body)  # pragma: no cover
    if not rows:
        return empty_frame()
    cells = np.array(rows, dtype=object)  # (n, 5); much faster than zip(*rows)
    login = clean_texts(cells[:, 0], "login", body)
    try:
        sms = cells[:, 1].astype(np.int64)  # the pattern admits digits only
        credit = cells[:, 2].astype(np.float64)
        debit = cells[:, 3].astype(np.float64)
    except (ValueError, OverflowError):
        raise bad_body("an amount is not a number", body) from None
    if not (np.isfinite(credit).all() and np.isfinite(debit).all()):
        raise bad_body("an amount is not a finite number", body)
    return make_frame(login, sms, credit, debit, clean_texts(cells[:, 4], "currency", body))
