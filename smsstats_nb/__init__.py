"""smsstats_nb: SMSC usage statistics (``get.php?get_stat=1``) as pandas DataFrames, for Jupyter.

    >>> df = fetch_stats("01.01.2024", "31.01.2024")   # doctest: +SKIP

Importing the package is light: matplotlib and ipywidgets load only in ``plotting`` and
``widgets``.
"""

from __future__ import annotations

from .client import StatsClient, fetch_stats, fetch_stats_series
from .errors import (
    AuthError,
    IPBlockedError,
    ParameterError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    SmsStatsError,
    TransportError,
)
from .formats import parse_response

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "IPBlockedError",
    "ParameterError",
    "QueryError",
    "RateLimitError",
    "ResponseFormatError",
    "SmsStatsError",
    "SmscError",
    "StatsClient",
    "TransportError",
    "fetch_stats",
    "fetch_stats_series",
    "parse_response",
]
