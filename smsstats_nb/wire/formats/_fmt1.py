"""fmt=1: ``login,sms,credit,debit,currency`` one line per row; errors come as ``0,-N``."""

from __future__ import annotations

import csv
import io
import re
import warnings
from typing import Any

import pandas as pd

from ...core import empty_frame, error_from_code, make_frame
from ._common import bad_body, clean_texts

_ERROR = re.compile(r"\A\s*0\s*,\s*-(\d+)\s*\Z")
_NAMES = ["login", "sms", "credit", "debit", "currency", "_extra"]
_DTYPES: Any = {
    "login": str,
    "sms": "int64",
    "credit": "float64",
    "debit": "float64",
    "currency": str,
    "_extra": str,
}


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=1 body with pandas' C reader, then check every row had five fields.
    (The C reader reads ASCII digits only: "١٠" or "1_0" in a number column is a parse error.)"""
    if not body or body.isspace():
        return empty_frame()
    m = _ERROR.match(body)
    if m is not None:
        raise error_from_code(int(m.group(1)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            raw = pd.read_csv(
                io.StringIO(body),
                header=None,
                names=_NAMES,
                index_col=False,
                dtype=_DTYPES,
                keep_default_na=False,
                na_filter=False,
                quoting=csv.QUOTE_NONE,
                skip_blank_lines=True,
                skipinitialspace=True,
                engine="c",
            )
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning, OverflowError):
        raise bad_body("not five comma-separated fields of the right types on every line", body) from None
    if raw.empty:
        return empty_frame()
    if (raw["_extra"] != "").any():
        raise bad_body("a line has more than five fields", body)
    # every row alike: one login, one spelling (the reader already skipped leading spaces)
    login = clean_texts(raw["login"].to_numpy(dtype=object), "login (fewer than five fields?)", body)
    currency = clean_texts(raw["currency"].to_numpy(dtype=object), "currency (fewer than five fields?)", body)
    sms = raw["sms"].to_numpy()
    if len(sms) and sms.min() < 0:
        raise bad_body("a message count is negative", body)
    credit = raw["credit"].to_numpy()
    debit = raw["debit"].to_numpy()
    if not (pd.notna(credit).all() and pd.notna(debit).all()):
        raise bad_body("an amount is not a number", body)
    return make_frame(login, sms, credit, debit, currency)
