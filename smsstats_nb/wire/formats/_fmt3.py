"""fmt=3: a JSON list of objects with string values; errors as ``{"error": …, "error_code": N}``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ...core import empty_frame, error_from_code, make_frame
from ._common import SURROGATE_ESCAPE, bad_body, clean_texts, to_counts, to_money


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=3 body. An empty body is malformed (no traffic is ``[]``)."""
    if not body or body.isspace():
        raise bad_body("an empty answer is not JSON (a period without traffic is [])", body)
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
    if set(map(type, data)) != {dict}:
        raise bad_body("a JSON row is not an object", body)
    # A duplicated key would silently keep its last value. Rows of exactly the five keys hold
    # 5 * rows '":' marks; any other count (a duplicate, an extra key, a spaced or escaped key, a
    # value holding the mark) parses again, slowly, to find out.
    if "\\u" in body or body.count('":') != len(_FIELDS) * len(data):
        try:
            json.loads(body, object_pairs_hook=_no_duplicate_keys)
        except ValueError:
            raise bad_body("a JSON row repeats a key", body) from None
    if len(data) < _SMALL:
        # a few rows (the usual answer): plain lookups beat building an intermediate DataFrame
        try:
            cols = {name: np.array([d[name] for d in data], dtype=object) for name in _FIELDS}
        except KeyError:
            raise bad_body("a JSON row lacks login, sms, credit, debit or currency", body) from None
    else:
        try:
            # pandas builds the columns from the dicts in one pass (missing keys become NaN)
            table = pd.DataFrame(data, columns=list(_FIELDS))
        except (ValueError, TypeError):
            raise bad_body("JSON rows of an unexpected shape", body) from None
        cols = {name: table[name].to_numpy(dtype=object) for name in _FIELDS}
    for name in ("login", "currency"):
        if infer_dtype(cols[name], skipna=False) != "string":
            raise bad_body(f"a JSON row's {name!r} is missing or not text", body)
    surrogates = SURROGATE_ESCAPE.search(body) is not None  # a lone one would not survive storing
    login = clean_texts(cols["login"], "login", body, surrogates=surrogates)
    currency = clean_texts(cols["currency"], "currency", body, surrogates=surrogates)
    return make_frame(
        login,
        to_counts(cols["sms"], body),
        to_money(cols["credit"], body),
        to_money(cols["debit"], body),
        currency,
    )


_FIELDS = ("login", "sms", "credit", "debit", "currency")
_SMALL = 2000


def _raise_error(data: dict[str, Any], body: str) -> pd.DataFrame:
    code = data.get("error_code")
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        code = int(code)
    if isinstance(code, bool) or not isinstance(code, int):
        raise bad_body("a JSON object that is not an error answer", body)
    description = data.get("error")
    raise error_from_code(abs(code), description if isinstance(description, str) else "")
