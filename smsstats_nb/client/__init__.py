"""Asking SMSC: the client, the transport, series, composition, the background sync, the module-level
calls and their registry, several accounts, the accounts file and a notebook's first cell.
"""

from __future__ import annotations

from ._accounts import (
    KEYRING_SERVICE,
    Account,
    accounts_path,
    add_account,
    keyring_problem,
    load_accounts,
    remove_account,
    resolve_names,
)
from ._client import (
    DEFAULT_BASE_URL,
    StatsClient,
)
from ._compose import (
    CoverPlan,
    compose_answer,
    plan_cover,
    series_from_days,
    sum_frames,
)
from ._connect import (
    NotebookSession,
    connect,
)
from ._coverage import Coverage, check_share, closed_until, coverage, range_coverage, sync_queries, sync_status
from ._lease import Lease, holder_is_dead, lease, lease_owner
from ._multi import (
    AccountsError,
    fetch_accounts,
    side_by_side,
    sync_accounts,
)
from ._registry import (
    client_for,
    close_all,
    fetch_stats,
    fetch_stats_series,
)
from ._series import (
    PROGRESS_AFTER_SECONDS,
    PeriodHook,
    SeriesEstimate,
    estimate,
    fetch_series,
    series_queries,
)
from ._sync import FATAL, SYNC_OPTIONS, SyncLeaseError, SyncOptions, SyncReport, sync
from ._transport import (
    FetchResult,
    Transport,
    pieces_frame,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "FATAL",
    "KEYRING_SERVICE",
    "PROGRESS_AFTER_SECONDS",
    "SYNC_OPTIONS",
    "Account",
    "AccountsError",
    "CoverPlan",
    "Coverage",
    "FetchResult",
    "Lease",
    "NotebookSession",
    "PeriodHook",
    "SeriesEstimate",
    "StatsClient",
    "SyncLeaseError",
    "SyncOptions",
    "SyncReport",
    "Transport",
    "accounts_path",
    "add_account",
    "check_share",
    "client_for",
    "close_all",
    "closed_until",
    "compose_answer",
    "connect",
    "coverage",
    "estimate",
    "fetch_accounts",
    "fetch_series",
    "fetch_stats",
    "fetch_stats_series",
    "holder_is_dead",
    "keyring_problem",
    "lease",
    "lease_owner",
    "load_accounts",
    "pieces_frame",
    "plan_cover",
    "range_coverage",
    "remove_account",
    "resolve_names",
    "series_from_days",
    "series_queries",
    "side_by_side",
    "sum_frames",
    "sync",
    "sync_accounts",
    "sync_queries",
    "sync_status",
]
