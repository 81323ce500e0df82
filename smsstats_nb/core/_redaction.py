"""Secret redaction: the one place that scrubs passwords and API keys out of text and log records.

:func:`redact` scrubs ``psw=`` / ``apikey=`` values from a text, :func:`redact_url` drops the
password from a URL's ``user:password@`` part, and :func:`install_log_redaction` puts a filter on
the third-party loggers that print whole URLs (with GET, a URL holds the password). The filter is
installed explicitly and idempotently when the first client is built, never at import.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["install_log_redaction", "log_redaction_installed", "redact", "redact_url"]

_SECRET_RE = re.compile(r"((?:psw|apikey|password)=)[^&\s\"']*")
#: ``scheme://`` and the user-info up to the *last* ``@`` before the host (a password written
#: unencoded may hold ``/``, ``#``, ``?`` or ``@``, which a URL parser would split it at).
_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^\s]*)@(?=[^@\s]*$)")

#: Loggers of our dependencies that may print a whole URL. Logger filters do not inherit, so each
#: module logger gets one.
URL_LOGGERS = (
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests_cache",
    "requests_cache.session",
    "requests_cache.cache_keys",
    "requests_cache.backends",
    "requests_cache.backends.base",
    "requests_cache.backends.sqlite",
    "requests_cache.backends.redis",
    "requests_cache.models.request",
    "requests_cache.models.response",
    "requests_cache.policy.actions",
    "requests_cache.policy.expiration",
)


def redact(text: str) -> str:
    """Replace ``psw=...`` and ``apikey=...`` values in a text (URLs, log lines)."""
    return _SECRET_RE.sub(r"\1***", text)


def redact_url(url: str) -> str:
    """A URL without the password of its ``user:password@`` part or a ``password=`` parameter
    (for reprs, logs, attrs, ``cache info``), however the password is written."""
    match = _USERINFO_RE.match(url)
    if match is None:
        return redact(url)
    scheme, userinfo = match.group(1), match.group(2)
    if ":" not in userinfo and not scheme.startswith(("redis", "rediss", "unix")):
        return redact(url)  # an "@" further on (a query's e-mail address), not a user and password
    user = userinfo.split(":", 1)[0] if ":" in userinfo else userinfo
    return redact(f"{scheme}{user}:***@{url[match.end() :]}")


class _RedactFilter(logging.Filter):
    """Redacts secrets from third-party log lines that print whole URLs (GET mode)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        if "psw=" in message or "apikey=" in message:
            record.msg, record.args = redact(message), ()
        return True


_FILTER = _RedactFilter()
_LOCK = threading.Lock()
_installed = False


def install_log_redaction() -> None:
    """Put the redaction filter on every logger in :data:`URL_LOGGERS` (once; later calls do nothing)."""
    global _installed
    with _LOCK:
        if _installed:
            return
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(_FILTER)
        _installed = True


def log_redaction_installed() -> bool:
    """Whether :func:`install_log_redaction` has run in this process."""
    return _installed
