"""Helpers shared by the format parsers."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..errors import ResponseFormatError, SmscError, error_from_code, snippet_of

_PLAIN_ERROR = re.compile(r"\A\s*ERROR\s*=\s*(-?\d+)\s*(?:\((.*)\))?\s*\Z", re.S)


def detect_plain_error(body: str) -> SmscError | None:
    """Return the error for an ``ERROR = N (description)`` body, or None for anything else."""
    if "ERROR" not in body[:64]:
        return None
    m = _PLAIN_ERROR.match(body)
    if m is None:
        return None
    return error_from_code(abs(int(m.group(1))), (m.group(2) or "").strip())


def bad_body(message: str, body: str) -> ResponseFormatError:
    """Build a ResponseFormatError with a short snippet of the body."""
    return ResponseFormatError(message, snippet_of(body))


def to_counts(values: Sequence[object] | np.ndarray, body: str) -> np.ndarray:
    """Convert message counts (strings or numbers) to int64, refusing anything not a count."""
    arr = np.asarray(values)
    try:
        if arr.dtype.kind in "US" or arr.dtype.kind in "iu":
            out = arr.astype(np.int64)
        elif arr.size == 0:
            return np.array([], dtype=np.int64)
        else:
            raise ValueError(arr.dtype)
    except (ValueError, TypeError, OverflowError):
        raise bad_body("a message count is not a whole number", body) from None
    if out.size and int(out.min()) < 0:
        raise bad_body("a message count is negative", body)
    return out


def to_money(values: Sequence[object] | np.ndarray, body: str) -> np.ndarray:
    """Convert money amounts (strings or numbers) to float64, refusing non-finite values."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.array([], dtype=np.float64)
    try:
        if arr.dtype.kind not in "USiuf":
            raise ValueError(arr.dtype)
        out = arr.astype(np.float64)
    except (ValueError, TypeError, OverflowError):
        raise bad_body("an amount is not a number", body) from None
    if not np.isfinite(out).all():
        raise bad_body("an amount is not a finite number", body)
    return out


def check_texts(values: Sequence[str], what: str, body: str) -> None:
    """Refuse empty logins or currencies."""
    for v in values:
        if not isinstance(v, str) or not v:
            raise bad_body(f"a row has an empty or non-text {what}", body)
