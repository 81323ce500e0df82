"""Helpers shared by the format parsers."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pandas.api.types import infer_dtype

from ...core import ResponseFormatError, SmscError, error_from_code, snippet_of

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


def _ascii_numbers(arr: np.ndarray, body: str, what: str) -> None:
    """Refuse numbers written with non-ASCII digits ("١٠") or underscores, which Python would accept.
    (Blank strings need no check here: int() and float() refuse them.)"""
    if arr.dtype.kind not in "UO" or not arr.size:
        return
    items = arr.tolist()
    try:
        joined = "".join(items)  # C speed; fails only when some items are not text (JSON numbers)
    except TypeError:
        joined = "".join(v for v in items if isinstance(v, str))
    if not joined.isascii() or "_" in joined:
        raise bad_body(f"{what} is not written in plain ASCII digits", body)


#: Every character str.strip() removes (str.isspace() is true for exactly these).
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _needs_cleaning(items: list[object]) -> bool:
    """Whether some item is not text, is empty, or holds any whitespace (a few C-speed scans)."""
    try:
        joined = "\x00".join(items)  # type: ignore[arg-type]
    except TypeError:
        return True
    if not items or "\x00\x00" in joined or joined.startswith("\x00") or joined.endswith("\x00") or not joined:
        return True
    spaces = _WHITESPACE[:10] if joined.isascii() else _WHITESPACE
    return any(c in joined for c in spaces)


def clean_texts(values: Sequence[object] | np.ndarray, what: str, body: str, *, surrogates: bool = False) -> np.ndarray:
    """Strip every login or currency alike (so one login has one spelling) and refuse blank ones."""
    out = np.asarray(values, dtype=object)
    items = out.tolist()
    if not _needs_cleaning(items):
        if surrogates:
            _refuse_surrogates(items, what, body)
        return out  # the usual answer: nothing to strip, nothing blank
    stripped = [v.strip() if isinstance(v, str) else v for v in items]
    for v in stripped:
        if not isinstance(v, str) or not v:
            raise bad_body(f"a row has an empty, blank or non-text {what}", body)
    if surrogates:
        _refuse_surrogates(stripped, what, body)
    return np.array(stripped, dtype=object)


#: A JSON escape of a UTF-16 surrogate: the only way a lone surrogate gets into a decoded body.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _refuse_surrogates(items: list[object], what: str, body: str) -> None:
    """A lone surrogate (``"\\ud800"`` in JSON) is not text: it could not be stored or written.
    Only JSON can carry one (a decoded body never has them), so only fmt 3 asks for this check,
    and only when the body has such an escape: the usual answer pays nothing."""
    joined = "\x00".join(items)  # type: ignore[arg-type]
    if joined.isascii():
        return
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_body(f"a {what.split(' (')[0]} holds a lone surrogate, which is not text", body) from None


def _column(values: Sequence[object] | np.ndarray, body: str, what: str) -> np.ndarray:
    """One column of numbers as an array: one value per row, ASCII digits only."""
    arr = np.asarray(values)
    _ascii_numbers(arr, body, what)
    if arr.ndim != 1:
        raise bad_body(f"{what} is not a single value", body)
    return arr


def to_counts(values: Sequence[object] | np.ndarray, body: str) -> np.ndarray:
    """Convert message counts (digit strings or ints) to int64, refusing anything not a count."""
    arr = _column(values, body, "a message count")
    if arr.size == 0:
        return np.array([], dtype=np.int64)
    try:
        if arr.dtype.kind == "O":
            kind = infer_dtype(arr, skipna=False)  # C speed; "string" means every item is a str
            if kind in ("string", "integer"):
                return _nonnegative(arr.astype(np.int64), body)
            if kind != "mixed-integer" or not set(map(type, arr)) <= {str, int}:
                raise ValueError(kind)
            arr = arr.astype(str)
        if arr.dtype.kind not in "USiu":
            raise ValueError(arr.dtype)
        out = arr.astype(np.int64)
    except (ValueError, TypeError, OverflowError):
        raise bad_body("a message count is not a whole number", body) from None
    return _nonnegative(out, body)


def _nonnegative(out: np.ndarray, body: str) -> np.ndarray:
    if int(out.min()) < 0:
        raise bad_body("a message count is negative", body)
    return out


def to_money(values: Sequence[object] | np.ndarray, body: str) -> np.ndarray:
    """Convert money amounts (strings or numbers) to float64, refusing non-finite values."""
    arr = _column(values, body, "an amount")
    if arr.size == 0:
        return np.array([], dtype=np.float64)
    try:
        if arr.dtype.kind == "O":
            kind = infer_dtype(arr, skipna=False)
            if kind not in ("string", "integer", "floating", "mixed-integer-float") and not (
                set(map(type, arr)) <= {str, int, float}
            ):
                raise ValueError(kind)
        elif arr.dtype.kind not in "USiuf":
            raise ValueError(arr.dtype)
        out = arr.astype(np.float64)
    except (ValueError, TypeError, OverflowError):
        raise bad_body("an amount is not a number", body) from None
    if not np.isfinite(out).all():
        raise bad_body("an amount is not a finite number", body)
    return out
