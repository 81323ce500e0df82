"""smsstats_nb: SMSC usage statistics (``get.php?get_stat=1``) as pandas DataFrames, for Jupyter.

    >>> df = fetch_stats("01.01.2024", "31.01.2024")   # doctest: +SKIP

Importing the package is light and has no side effects: matplotlib, ipywidgets and tqdm load only
when ``plotting``, ``widgets`` or a series progress bar is used, and the log redaction filter is
installed when the first client is built.
"""

from __future__ import annotations

from .client import StatsClient
from .errors import (
    AuthError,
    IPBlockedError,
    ParameterError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    SmsStatsError,
    StorageError,
    SyncLeaseError,
    TransportError,
)
from .formats import parse_response
from .registry import close_all, fetch_stats, fetch_stats_series
from .series import SeriesEstimate

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``export`` and ``read_export`` load their module (and openpyxl or pyarrow) on first use."""
    if name in ("export", "read_export"):
        from . import exports

        return getattr(exports, name)
    raise AttributeError(f"module 'smsstats_nb' has no attribute {name!r}")


__all__ = [
    "AuthError",
    "IPBlockedError",
    "ParameterError",
    "QueryError",
    "RateLimitError",
    "ResponseFormatError",
    "SeriesEstimate",
    "SmsStatsError",
    "SmscError",
    "StatsClient",
    "StorageError",
    "SyncLeaseError",
    "TransportError",
    "close_all",
    "export",
    "fetch_stats",
    "fetch_stats_series",
    "parse_response",
    "read_export",
]
