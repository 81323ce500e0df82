"""fmt=3: a JSON list of objects with string values; errors as ``{"error": …, "error_code": N}``."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..errors import error_from_code
from ..frames import empty_frame, make_frame
from ._common import bad_body, check_texts, to_counts, to_money


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=3 body."""
    if not body.strip():
        return empty_frame()
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise bad_body("not valid JSON", body) from None
    if isinstance(data, dict):
        return _raise_error(data, body)
    if not isinstance(data, list):
        raise bad_body("JSON is neither a list of rows nor an error object", body)
    if not data:
        return empty_frame()
    try:
        login = [d["login"] for d in data]
        sms = [d["sms"] for d in data]
        credit = [d["credit"] for d in data]
        debit = [d["debit"] for d in data]
        currency = [d["currency"] for d in data]
    except (KeyError, TypeError, IndexError):
        raise bad_body("a JSON row is not an object with login, sms, credit, debit, currency", body) from None
    check_texts(login, "login", body)
    check_texts(currency, "currency", body)
    for values in (sms, credit, debit):
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise bad_body("a JSON value is neither a string nor a number", body)
    return make_frame(login, to_counts(sms, body), to_money(credit, body), to_money(debit, body), currency)


def _raise_error(data: dict[str, Any], body: str) -> pd.DataFrame:
    code = data.get("error_code")
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        code = int(code)
    if isinstance(code, bool) or not isinstance(code, int):
        raise bad_body("a JSON object that is not an error answer", body)
    description = data.get("error")
    raise error_from_code(abs(code), description if isinstance(description, str) else "")
