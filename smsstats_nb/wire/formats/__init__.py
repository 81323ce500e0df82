"""Pure parsers for the four ``get_stat`` answer formats: text in, DataFrame or an exception out.

``parse_response(body, fmt)`` is the one entry point. Each ``fmtN`` module parses its own
format; :func:`detect_plain_error` recognises the ``ERROR = N (...)`` text that the server may
send whatever format was asked. Nothing here does I/O.
"""

from __future__ import annotations

import pandas as pd

from ...core import QueryError
from . import _fmt0 as fmt0
from . import _fmt1 as fmt1
from . import _fmt2 as fmt2
from . import _fmt3 as fmt3
from ._common import detect_plain_error

__all__ = ["decode_body", "detect_plain_error", "parse_response"]

_PARSERS = {0: fmt0.parse, 1: fmt1.parse, 2: fmt2.parse, 3: fmt3.parse}


def decode_body(content: bytes) -> str:
    """Decode an answer by the charset the client asks for (utf-8), falling back to the service's
    default windows-1251 (the Content-Type header is not trusted: the service mislabels it)."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("windows-1251", "replace")


def parse_response(body: str | bytes, fmt: int = 3) -> pd.DataFrame:
    """Parse a ``get_stat`` answer into the stats DataFrame.

    Args:
        body: the answer text (bytes are decoded as UTF-8, else windows-1251; a BOM is ignored).
        fmt: the format that was asked: 0 text, 1 comma-separated, 2 XML, 3 JSON.

    Returns:
        A DataFrame with columns ``login, sms, credit, debit, currency`` (zero rows when the
        period had no traffic).

    Raises:
        SmscError: the body is an error answer (a subclass by code: ParameterError, AuthError,
            IPBlockedError, RateLimitError).
        ResponseFormatError: the body is neither data nor a known error.
        QueryError: ``fmt`` is not 0, 1, 2 or 3.
    """
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt not in _PARSERS:
        raise QueryError(f"fmt must be 0, 1, 2 or 3, not {fmt!r}")
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = decode_body(bytes(body))
    if not isinstance(body, str):
        raise QueryError(f"body must be str or bytes, not {type(body).__name__}")
    if body.startswith("\ufeff"):  # a byte-order mark is not part of any format
        body = body[1:]
    plain = detect_plain_error(body)
    if plain is not None:
        raise plain
    return _PARSERS[fmt](body)
