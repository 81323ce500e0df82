"""Error translation: what ``requests`` and ``urllib3`` raise becomes one :class:`TransportError`.

The message names the host and what happened, never the URL (with GET it holds the password) and
never the exception's own text for the same reason. Callers raise the result *outside* their
``except`` block, so requests' exception does not ride along as ``__context__``.
"""

from __future__ import annotations

import requests

from ..core import SmsStatsError, TransportError, said

__all__ = ["root_cause", "translate_request_error"]


def root_cause(exc: BaseException) -> str:
    """The innermost exception's class name (never its text: it may hold a URL)."""
    seen = exc
    for _ in range(10):
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    for _ in range(3):
        reason = getattr(seen, "reason", None)
        if isinstance(reason, BaseException):
            seen = reason
            continue
        inner = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
        if inner:
            seen = inner[-1]
            continue
        break
    return type(seen).__name__


def translate_request_error(
    exc: requests.exceptions.RequestException, host: str, tries: int, timeout: float
) -> SmsStatsError:
    """The TransportError for a failed request to ``host`` after ``tries`` attempts."""
    if isinstance(exc, requests.exceptions.Timeout) or (
        isinstance(exc, requests.exceptions.ConnectionError) and "Timeout" in root_cause(exc)
    ):
        return said(
            TransportError,
            "network timeout talking to {host} (at most {tries} tries of {seconds} s)",
            host=host,
            tries=tries,
            seconds=f"{timeout:g}",
        )
    if isinstance(exc, requests.exceptions.RetryError):
        return said(TransportError, "{host} kept failing after {tries} tries", host=host, tries=tries)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return said(
            TransportError,
            "could not talk to {host} (at most {tries} tries; {reason})",
            host=host,
            tries=tries,
            reason=root_cause(exc),
        )
    return said(TransportError, "request to {host} failed ({kind})", host=host, kind=type(exc).__name__)
