"""smsstats_nb: SMSC usage statistics (``get.php?get_stat=1``) as pandas DataFrames, for Jupyter.

    >>> df = fetch_stats("01.01.2024", "31.01.2024")   # doctest: +SKIP

The names an analyst needs are here; each layer's own names are in its package (``core``,
``store``, ``wire``, ``client``, ``analysis``, ``alerts``, ``output``, ``cli``, ``dashboard``,
``demo``; ``docs/ARCHITECTURE.md`` draws them). The dashboard is
``smsstats_nb.dashboard.dashboard``. Importing the package is light and has no side effects: the
analysis and output names load their package on first use (matplotlib only when a plot is made),
and the log redaction filter is installed when the first client is built. The flat module paths
of 0.1 still import, with a ``DeprecationWarning`` (``CHANGELOG.md``).
"""

from __future__ import annotations

import importlib

from . import _compat
from .client import SeriesEstimate, StatsClient, close_all, connect, fetch_stats, fetch_stats_series
from .core import (
    AuthError,
    CancelledError,
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
from .core.i18n import set_language
from .wire.formats import parse_response

__version__ = "0.2.0"

_compat.install()

#: Names loaded with their package on first use: name -> package.
_LAZY = {
    "budget_breaches": "analysis",
    "compare_periods": "analysis",
    "export": "output",
    "forecast_month": "analysis",
    "incidents": "analysis",
    "plot_series": "output",
    "plot_totals": "output",
    "read_export": "output",
    "summarize": "analysis",
}


def __getattr__(name: str) -> object:
    """The analysis, output and dashboard names load their package on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'smsstats_nb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AuthError",
    "CancelledError",
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
    "budget_breaches",
    "close_all",
    "compare_periods",
    "connect",
    "export",
    "fetch_stats",
    "fetch_stats_series",
    "forecast_month",
    "incidents",
    "parse_response",
    "plot_series",
    "plot_totals",
    "read_export",
    "set_language",
    "summarize",
]
