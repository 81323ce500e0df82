"""Where state lives: small protocols, one per concern, and the one place that picks a backend.

A store holds everything that must outlive a kernel. Each concern is its own small protocol and,
in each backend, its own small class on the backend's one connection (the requests-cache way), so
a reader sees at once what a caller may ask of it:

=====================  =========================================================================
:class:`HttpCache`     the requests-cache backend (or none), the salt of the credential hash
:class:`QuotaStore`    the persistent quota bucket of one account identity
:class:`CooldownStore` ``store.cooldowns``: keyed refusals and pauses
:class:`LoginBudget`   ``store.logins``: the failed-login budget
:class:`PeriodIndex`   ``store.periods``: which periods the HTTP cache holds (for composition)
:class:`LeaseStore`    ``store.leases``: one worker per name (the sync lease)
:class:`AlertLog`      ``store.alerts``: what was claimed and sent
:class:`FrameCache`    parsed answers beside the HTTP cache (a speed-up; any failure is a miss)
:class:`Store`         the HTTP cache, the quotas, the storages above, and info, activity,
                       clear, close and ``errors()``
=====================  =========================================================================

Both backends, :class:`~.local.LocalStore` (SQLite files in one directory) and
:class:`~.redis.RedisStore` (one Redis server for a team), pass the same contract suite
(``tests/store/test_store_contract.py``). Each turns its own failures into
:class:`~smsstats_nb.core.StorageError`,
inside its methods and around any use of its HTTP cache (``with store.errors(): ...``).

:func:`open_store` is the one place that turns the ``cache`` setting into a store:

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

import os
from pathlib import Path

from ..core import SYSTEM, CacheSpec, Clock, Environment, QueryError, default_cache_dir, said
from ._base import (
    PENDING_WAIT,
    REDIS_SCHEMES,
    Activity,
    AlertLog,
    CooldownStore,
    FrameCache,
    HttpCache,
    LeaseStore,
    LoginBudget,
    PeriodIndex,
    QuotaStore,
    Store,
    StoreInfo,
    is_redis_url,
)
from ._frames import Pieces, pack, unpack
from ._logins import Outcome
from ._quota import Quota, schedule_eta

__all__ = [
    "PENDING_WAIT",
    "REDIS_SCHEMES",
    "Activity",
    "AlertLog",
    "CooldownStore",
    "FrameCache",
    "HttpCache",
    "LeaseStore",
    "LoginBudget",
    "Outcome",
    "PeriodIndex",
    "Pieces",
    "Quota",
    "QuotaStore",
    "Store",
    "StoreInfo",
    "is_redis_url",
    "open_store",
    "pack",
    "schedule_eta",
    "unpack",
]


def open_store(cache: CacheSpec, *, clock: Clock = SYSTEM, env: Environment | None = None) -> Store:
    """The store for a ``cache`` setting (see the table in this module's docstring).

    Raises:
        QueryError: an unusable ``cache`` value, or Redis without the redis package.
        TransportError: the Redis server cannot be reached.
        StorageError: the Redis server may evict keys, or a directory cannot be used.
    """
    if is_redis_url(cache):
        from ._redis import RedisStore

        return RedisStore(str(cache), clock=clock)
    from ._local import LocalStore

    if cache is False:
        return LocalStore(None, default_cache_dir(env), clock=clock)
    if cache is None or cache is True:
        d = default_cache_dir(env)
        return LocalStore(d, d, clock=clock)
    if isinstance(cache, (str, os.PathLike)):
        d = Path(cache).expanduser()
        return LocalStore(d, d, clock=clock)
    raise said(
        QueryError,
        "cache must be a directory path, None (default), False or 'redis://…', not {cache}",
        cache=repr(cache),
    )
