"""fmt=0: ``login = L, sms = N, credit = C, debit = D, currency = CUR`` one line per row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..frames import empty_frame, make_frame
from ._common import bad_body

_NUM = r"-?\d+(?:\.\d*)?"
_ROW = re.compile(
    rf"^login ?= ?(.*?), ?sms ?= ?(\d+), ?credit ?= ?({_NUM}), ?debit ?= ?({_NUM}), ?currency ?= ?([^\s,]+)[ \t\r]*$",
    re.M,
)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=0 body (LF or CRLF, blank lines ignored)."""
    rows = _ROW.findall(body)
    lines = body.splitlines()
    if len(rows) != len(lines) - lines.count(""):
        # slow path: whitespace-only lines are blank too; anything else is an error
        lines = [line for line in lines if line.strip()]
        if len(rows) != len(lines):
            for line in lines:
                if not _ROW.match(line):
                    raise bad_body("a line is not a 'login = ..., sms = ...' stats row", line)
            raise bad_body("unexpected text between stats rows", body)  # pragma: no cover
    if not rows:
        return empty_frame()
    cells = np.array(rows, dtype=object)  # (n, 5); much faster than zip(*rows)
    login = cells[:, 0]
    if (login == "").any():
        raise bad_body("a row has an empty login", body)
    # The pattern admits only digits for sms and a plain decimal for money: the casts cannot fail.
    return make_frame(
        login,
        cells[:, 1].astype(np.int64),
        cells[:, 2].astype(np.float64),
        cells[:, 3].astype(np.float64),
        cells[:, 4],
    )
