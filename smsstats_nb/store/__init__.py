"""Where state lives: one backend protocol, chosen once from the ``cache`` setting.

A :class:`Store` holds everything that must outlive a kernel: the HTTP cache (requests-cache
backend), the quota bucket, cool-downs, the index of cached periods and the salt of the credential
hash. :func:`open_store` is the one place that turns the ``cache`` setting into a store:

==========================  ============================================================
``cache=``                  store
==========================  ============================================================
``None`` / ``True``         :class:`~.local.LocalStore` in ``$SMSSTATS_CACHE_DIR`` or the
                            user cache directory
a path                      :class:`~.local.LocalStore` in that directory
``False``                   :class:`~.local.LocalStore` without an HTTP cache (the quota and
                            cool-downs still persist in the default directory)
``"redis://…"``             :class:`~.redis.RedisStore`: a team on several machines
==========================  ============================================================
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import QueryError, StorageError
from ..query import StatsQuery
from ..quota import Quota

__all__ = [
    "COOLDOWN_WORDS",
    "REDIS_SCHEMES",
    "Activity",
    "CacheSpec",
    "Store",
    "default_cache_dir",
    "is_redis_url",
    "open_store",
]

CacheSpec = str | os.PathLike[str] | bool | None
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_url(cache: object) -> bool:
    """Whether a ``cache`` setting names a Redis server."""
    return isinstance(cache, str) and cache.startswith(REDIS_SCHEMES)


def default_cache_dir() -> Path:
    """``$SMSSTATS_CACHE_DIR`` or the user cache directory of smsstats_nb."""
    env = os.environ.get("SMSSTATS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("smsstats_nb", appauthor=False))


#: Plain words for the reasons cool-downs are kept under.
COOLDOWN_WORDS = {
    "auth": "known-bad credentials refused locally",
    "error 4": "IP-block refusal (SMSC answered error 4)",
    "server pause": "pause the server asked for (error 9, 429 or 503)",
}


@dataclass(frozen=True)
class Activity:
    """What ``smsstats cache info`` reports about use of the rate limit and the refusals.

    Attributes:
        recent_requests: requests sent in the window (every account in this store).
        cooldowns: ``(reason, seconds left)`` of each active refusal or pause.
        failed_logins: failed (or pending) logins counted in the 30-minute login budget.
    """

    recent_requests: int
    cooldowns: list[tuple[str, float]] = field(default_factory=list)
    failed_logins: int = 0


@runtime_checkable
class Store(Protocol):
    """The state backend protocol (SQLite files on one machine, or Redis for a team)."""

    #: Where the state lives, safe to show (no password).
    description: str

    @property
    def http_cache_enabled(self) -> bool:
        """Whether answers are cached (False for ``cache=False``)."""

    def http_backend(self) -> Any:
        """The requests-cache backend, or None when the HTTP cache is disabled."""

    def frame_store(self) -> Any:
        """The store of parsed answers beside the HTTP cache (a FrameStore), or None."""

    def salt(self) -> bytes:
        """The salt of the credential hash (created once, shared by every user of the store)."""

    def quota(self, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """The persistent quota of one account identity."""

    def cooldown_set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now."""

    def cooldown_remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""

    def cooldown_clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them (all: the failed-login budget too)."""

    def login_reserve(self, limit: int, window: float) -> tuple[str | None, float]:
        """Atomically reserve one of ``limit`` login attempts per ``window`` seconds (failed and
        pending attempts of every credential count): ``(ticket, 0)`` or ``(None, seconds to wait)``."""

    def login_settle(self, ticket: str, *, failed: bool) -> None:
        """End a reserved attempt: a failure stays in the window, a success frees the slot."""

    def add_period(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the HTTP cache holds an answer for this period (``expires``: epoch seconds)."""

    def periods_within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside ``query``'s range with the same flags: (start, end, fmt)."""

    def info(self) -> dict[str, Any]:
        """Where the state lives, how many answers are cached and how big the cache is."""

    def activity(self, window: float) -> Activity:
        """Requests sent in the last ``window`` seconds (every account), active refusals and
        cool-downs, and failed logins in the login budget's window."""

    def lease_acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take (or, for the same owner, renew) the lease ``name`` for ``seconds``: ``(True, owner)``,
        or ``(False, holder)`` while another owner holds it."""

    def lease_release(self, name: str, owner: str) -> None:
        """Give the lease back if ``owner`` holds it."""

    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer and the period index (and all cool-downs if asked); returns
        how many answers were removed."""

    def storage_error(self, exc: BaseException) -> StorageError:
        """The StorageError for a backend failure (names where the state lives and the cause)."""

    def close(self) -> None:
        """Close every connection."""


def open_store(cache: CacheSpec) -> Store:
    """The store for a ``cache`` setting (see the table in this module's docstring).

    Raises:
        QueryError: an unusable ``cache`` value, or Redis without the redis package.
        TransportError: the Redis server cannot be reached.
    """
    if is_redis_url(cache):
        from .redis import RedisStore

        return RedisStore(str(cache))
    from .local import LocalStore

    if cache is False:
        return LocalStore(None, default_cache_dir())
    if cache is None or cache is True:
        d = default_cache_dir()
        return LocalStore(d, d)
    if isinstance(cache, (str, os.PathLike)):
        d = Path(cache).expanduser()
        return LocalStore(d, d)
    raise QueryError(f"cache must be a directory path, None (default), False or 'redis://…', not {cache!r}")
