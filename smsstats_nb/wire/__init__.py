"""The HTTP layer: the four answer formats (pure parsers), the cache policy, the guarded adapter
under requests-cache, and the guard (cool-downs, quota token, status and body checks).
"""

from __future__ import annotations

from ._adapter import (
    GuardedAdapter,
    ServerBusyError,
    retry_after_seconds,
)
from ._cache_policy import (
    NEVER,
    SECRET_PARAMS,
    CacheKeyer,
    RequestProbe,
    expire_after,
)
from ._guard import (
    AUTH_COOLDOWN,
    LOGIN_BUDGET,
    CallContext,
    Guard,
    Reason,
    WaitHook,
)
from ._http_errors import (
    root_cause,
    translate_request_error,
)

__all__ = [
    "AUTH_COOLDOWN",
    "LOGIN_BUDGET",
    "NEVER",
    "SECRET_PARAMS",
    "CacheKeyer",
    "CallContext",
    "Guard",
    "GuardedAdapter",
    "Reason",
    "RequestProbe",
    "ServerBusyError",
    "WaitHook",
    "expire_after",
    "retry_after_seconds",
    "root_cause",
    "translate_request_error",
]
