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
from urllib.parse import urlsplit

__all__ = ["install_log_redaction", "log_redaction_installed", "redact", "redact_url"]

_SECRET_RE = re.compile(r"((?:psw|apikey)=)[^&\s\"']*")

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
    """A URL without the password of its ``user:password@`` part (for reprs, logs, attrs)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return redact(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return redact(parts._replace(netloc=f"{user}{host}{port}").geturl())


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
