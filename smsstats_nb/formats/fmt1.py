"""fmt=1: ``login,sms,credit,debit,currency`` one line per row; errors come as ``0,-N``."""

from __future__ import annotations

import csv
import io
import re
import warnings
from typing import Any

import pandas as pd

from ..errors import error_from_code
from ..frames import empty_frame, make_frame
from ._common import bad_body

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


def _padded(raw: pd.DataFrame) -> bool:
    """Whether the text fields carry spaces at their ends (a server pads all rows alike, so the
    first and last rows tell; leading spaces are already skipped by the reader)."""
    ends = (raw["login"].iat[0], raw["login"].iat[-1], raw["currency"].iat[0], raw["currency"].iat[-1])
    return any(str(v) != str(v).strip() for v in ends)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=1 body with pandas' C reader, then check every row had five fields."""
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
    if _padded(raw):  # spaces around fields (rare): trim the text columns, numbers parse anyway
        raw["login"] = raw["login"].str.strip()
        raw["currency"] = raw["currency"].str.strip()
    login = raw["login"].to_numpy(dtype=object)
    currency = raw["currency"].to_numpy(dtype=object)
    if (login == "").any() or (currency == "").any():
        raise bad_body("a line has an empty login or currency (fewer than five fields?)", body)
    sms = raw["sms"].to_numpy()
    if len(sms) and sms.min() < 0:
        raise bad_body("a message count is negative", body)
    credit = raw["credit"].to_numpy()
    debit = raw["debit"].to_numpy()
    if not (pd.notna(credit).all() and pd.notna(debit).all()):
        raise bad_body("an amount is not a number", body)
    return make_frame(login, sms, credit, debit, currency)
