"""The Redis store: a team on several machines shares one cache, one quota and one set of cool-downs.

Keys (all under ``smsstats:``): ``http`` (requests-cache's Redis backend namespace, JSON-serialized),
``quota:*`` (pyrate-limiter's Redis bucket, counted on the Redis server's clock), ``cool:*``
(cool-downs, with a TTL), ``logins`` (the failed-login budget), ``lease:*``, ``periods:*`` (the
period index), ``frames:*`` (parsed answers) and ``salt``. No key or value holds a password, and
nothing stored is pickled: whoever can write to the Redis cannot run code in a reader's kernel.

The failed-login budget and the cool-downs are what keep SMSC from blocking the IP, so a Redis
that may evict keys is refused at connect: ``maxmemory-policy`` must be ``noeviction``. Every
Redis failure (the server gone, out of memory, a refused command) is a
:class:`~smsstats_nb.core.StorageError` naming the server (never its password).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import SYSTEM, Clock, QueryError, StorageError, TransportError, redact_url, said
from ..core.i18n import N_
from ..core.i18n import gettext_ as _
from ._base import Activity, StoreInfo
from ._files import SERIALIZER
from ._logins import RedisLogins, TeamLogins, machine_logins
from ._quota import Quota
from ._redis_state import (
    RedisAlerts,
    RedisCooldowns,
    RedisLeases,
    RedisPeriods,
    server_time,
    translated,
)

if TYPE_CHECKING:
    from requests_cache.backends.base import BaseCache

__all__ = [
    "PREFIX",
    "REDIS_URL_HELP",
    "RedisFrameStore",
    "RedisStore",
    "check_eviction_policy",
    "check_persistence",
    "connect_redis",
]

logger = logging.getLogger(__name__)

PREFIX = "smsstats"
#: The one ``maxmemory-policy`` under which Redis never drops a key to make room.
SAFE_POLICY = "noeviction"

F = TypeVar("F", bound=Callable[..., Any])


def connect_redis(url: str) -> Any:
    """A Redis client for team mode; a clear error when redis-py is missing or Redis is down."""
    try:
        import redis
    except ImportError:
        raise said(QueryError, "cache='redis://...' needs the redis package: pip install 'smsstats_nb[team]'") from None
    try:
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    except ValueError:  # the URL's text is not shown: it may hold the password
        raise said(QueryError, REDIS_URL_HELP, where=redact_url(url)) from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise said(
            TransportError, "cannot reach Redis at {where} ({kind})", where=redact_url(url), kind=type(exc).__name__
        ) from None
    return client


#: What a Redis URL that cannot be read says (``{where}``: the URL without its password).
REDIS_URL_HELP = (
    "the Redis address {where} cannot be read: write it redis://[:PASSWORD@]HOST:PORT/DB, with any "
    "'/', '#', '?', '@' or ':' in the password percent-encoded (%2F, %23, %3F, %40, %3A), or give the "
    "password as ?password=... in the same form"
)


def check_persistence(client: Any, where: str) -> None:
    """Refuse a Redis that keeps nothing across a restart: it would forget which alerts were sent
    (each would go out again) and the team's half of the failed-login budget.

    Raises:
        StorageError: neither ``appendonly`` nor ``save`` is on, or they cannot be read.
    """
    import redis

    try:
        aof = client.config_get("appendonly").get("appendonly")
        save = client.config_get("save").get("save")
    except redis.RedisError as exc:
        raise StorageError(
            f"cannot read the persistence settings of Redis at {where} ({type(exc).__name__}); team mode "
            "needs CONFIG GET to check that Redis keeps its data across a restart"
        ) from None
    if (aof.decode() if isinstance(aof, bytes) else str(aof)) == "yes":
        return
    if (save.decode() if isinstance(save, bytes) else str(save or "")).strip():
        return
    raise StorageError(
        f"Redis at {where} keeps nothing across a restart (appendonly no, no save points): a restart "
        "would forget which alerts were sent (each would be sent again) and the team's failed-login "
        "budget. Turn persistence on: `CONFIG SET appendonly yes` (and in redis.conf)"
    )


def check_eviction_policy(client: Any, where: str) -> None:
    """Refuse a Redis that may evict keys (the login budget and cool-downs would vanish).

    Raises:
        StorageError: the policy is not ``noeviction``, or it cannot be read.
    """
    import redis

    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.RedisError as exc:
        raise StorageError(
            f"cannot read maxmemory-policy of Redis at {where} ({type(exc).__name__}); team mode needs a "
            f"Redis that never evicts keys (maxmemory-policy {SAFE_POLICY}) and the CONFIG GET command to check it"
        ) from None
    text = policy.decode() if isinstance(policy, bytes) else str(policy)
    if text != SAFE_POLICY:
        raise StorageError(
            f"Redis at {where} has maxmemory-policy {text}: it may evict the failed-login budget and the "
            f"cool-downs that keep SMSC from blocking this IP. Use a Redis (or a database of its own) with "
            f"`CONFIG SET maxmemory-policy {SAFE_POLICY}` (and in redis.conf)"
        )


class RedisStore:
    """All state on one Redis server (refused unless it never evicts keys)."""

    def __init__(self, url: str, prefix: str = PREFIX, *, clock: Clock = SYSTEM) -> None:
        self.url = url
        self.clock = clock  # the rules here count on the Redis server's clock; kept for the protocol
        self.description = redact_url(url)
        self.prefix = prefix
        self.redis = connect_redis(url)
        try:
            check_eviction_policy(self.redis, self.description)
            check_persistence(self.redis, self.description)
        except BaseException:
            self.close()
            raise
        self._backend: Any = None
        self._frames: RedisFrameStore | None = None
        self.cooldowns = RedisCooldowns(self.redis, prefix, self.errors)
        # the team's budget, and this machine's (which a Redis restart cannot lose)
        self.logins = TeamLogins(RedisLogins(self.redis, prefix, self.errors), machine_logins(clock))
        self.periods = RedisPeriods(self.redis, prefix, self.errors)
        self.leases = RedisLeases(self.redis, prefix, self.errors)
        self.alerts = RedisAlerts(self.redis, prefix, self.errors)

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Redis failures inside the block become one StorageError naming the server."""
        import redis

        error: StorageError | None = None
        try:
            yield
        except redis.RedisError as exc:
            error = self.storage_error(exc)
        if error is not None:
            raise error from None  # the driver's exception is not shown (the message says it all)

    @property
    def http_cache_enabled(self) -> bool:
        """Always True: a Redis store is a shared cache."""
        return True

    def http_backend(self) -> BaseCache:
        """requests-cache's Redis backend in the ``smsstats:http`` namespace."""
        if self._backend is None:
            from requests_cache.backends.redis import RedisCache

            self._backend = RedisCache(namespace=f"{self.prefix}:http", connection=self.redis, serializer=SERIALIZER)
        backend: BaseCache = self._backend
        return backend

    @translated
    def salt(self) -> bytes:
        """The shared salt (created once, atomically)."""
        key = f"{self.prefix}:salt"
        self.redis.set(key, os.urandom(32), nx=True)
        return bytes(self.redis.get(key))

    def frame_store(self) -> RedisFrameStore:
        """Parsed answers under ``frames:*`` (a re-open of a large history skips parsing here too)."""
        if self._frames is None:
            self._frames = RedisFrameStore(self.redis, f"{self.prefix}:frames")
        return self._frames

    def quota(self, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """A quota in Redis (pyrate-limiter's Lua-scripted bucket) on the Redis server's clock."""
        from pyrate_limiter import Rate, RedisBucket
        from pyrate_limiter.buckets.redis_bucket import LuaScript
        from redis.exceptions import NoScriptError

        class ServerClockRedisBucket(RedisBucket):  # type: ignore[misc]
            def now(self) -> int:
                seconds, micros = self.redis.time()  # type: ignore[misc]
                return int(seconds) * 1000 + int(micros) // 1000

            def _check_and_insert(self, item: Any) -> Any:
                # a restarted Redis has forgotten the bucket's Lua script: load it again, once
                try:
                    return super()._check_and_insert(item)
                except NoScriptError:
                    self.script_hash = str(self.redis.script_load(LuaScript.PUT_ITEM))
                    return super()._check_and_insert(item)

        window = per_seconds + margin
        key = f"{self.prefix}:quota:" + hashlib.sha256(identity.encode()).hexdigest()[:20]
        bucket = ServerClockRedisBucket.init([Rate(limit, round(window * 1000))], self.redis, key)
        connection = self.redis

        def recent(since_ms: int) -> list[int]:
            return [int(score) for _, score in connection.zrangebyscore(key, since_ms, "+inf", withscores=True)]

        return Quota(bucket, identity, limit, window, recent, guard=self.errors)

    @translated
    def info(self) -> StoreInfo:
        """The Redis URL (without password) and the number of cached answers."""
        entries = len(self.http_backend().responses)
        legacy = self.legacy_answers()
        return StoreInfo(
            "redis", self.description, self.description, True, entries - legacy, None, N_("in Redis"), legacy
        )

    @translated
    def legacy_answers(self) -> int:
        """Answers an older version stored with pickle (they are never read: pickle can run code).
        Once a scan finds none, a key says so and later connects skip the scan."""
        marker = f"{self.prefix}:no-pickle"
        if self.redis.exists(marker):
            return 0
        count = sum(
            1 for key in self.redis.scan_iter(f"{self.prefix}:http:*") if self.redis.getrange(key, 0, 0) == b"\x80"
        )
        if count == 0:
            self.redis.set(marker, b"1")
        return count

    @translated
    def activity(self, window: float, login_window: float) -> Activity:
        """Requests in the last ``window`` seconds (all accounts), active cool-downs, failed logins."""
        now = server_time(self.redis)
        recent = 0
        for key in self.redis.scan_iter(f"{self.prefix}:quota:*"):
            if self.redis.type(key) == b"zset":
                recent += int(self.redis.zcount(key, int((now - window) * 1000), "+inf"))
        return Activity(recent, self.cooldowns.active(), self.logins.failed(login_window))

    @translated
    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer and the period index (and cool-downs if asked)."""
        backend = self.http_backend()
        removed = len(backend.responses)
        backend.clear()
        self.periods.clear()
        self.frame_store().clear()
        if cooldowns:
            self.cooldowns.clear()
            self.logins.clear()
        return removed

    def storage_error(self, exc: BaseException) -> StorageError:
        """The StorageError for a Redis failure (names the server, never its password)."""
        kind = type(exc).__name__
        cause = kind
        if kind == "OutOfMemoryError":
            cause = _("Redis is out of memory (maxmemory reached; nothing was evicted)")
        elif kind in ("ConnectionError", "TimeoutError"):
            cause = _("the Redis server does not answer ({kind})").format(kind=kind)
        return said(
            StorageError, "cannot use the smsstats state on {where}: {cause}", where=self.description, cause=cause
        )

    def close(self) -> None:
        """Close the Redis connection (and this machine's budget file)."""
        with contextlib.suppress(Exception):
            self.redis.close()
        if hasattr(self, "logins"):
            self.logins.close()


class RedisFrameStore:
    """Parsed answers as Redis strings with the answer's own expiry; every failure is a miss."""

    def __init__(self, redis_client: Any, prefix: str) -> None:
        self.redis = redis_client
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored blobs of ``keys`` (Redis drops expired ones itself)."""
        wanted = list(keys)
        out: dict[str, bytes] = {}
        try:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                for k, blob in zip(chunk, self.redis.mget([self._key(k) for k in chunk]), strict=True):
                    if blob is not None:
                        out[k] = bytes(blob)
        except Exception:  # noqa: BLE001 - a speed-up only: the HTTP cache has every answer
            return {}
        return out

    def has_many(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are stored."""
        wanted = list(keys)
        try:
            pipe = self.redis.pipeline(transaction=False)
            for k in wanted:
                pipe.exists(self._key(k))
            found = pipe.execute()
        except Exception:  # noqa: BLE001 - a miss
            return set()
        return {k for k, n in zip(wanted, found, strict=True) if n}

    def put(self, key: str, blob: bytes, expires: float | None) -> None:
        """Store one packed answer until ``expires`` (epoch seconds on this machine's clock)."""
        try:
            if expires is None:
                self.redis.set(self._key(key), blob)
            else:
                seconds, micros = self.redis.time()
                left = expires - (float(seconds) + float(micros) / 1e6)
                if left > 0:
                    self.redis.set(self._key(key), blob, px=max(1, int(left * 1000)))
        except Exception:  # noqa: BLE001 - the HTTP cache has the answer
            logger.debug("parsed answer not stored in Redis", exc_info=False)

    def clear(self) -> None:
        """Forget every parsed answer."""
        with contextlib.suppress(Exception):
            for name in self.redis.scan_iter(f"{self.prefix}:*"):
                self.redis.delete(name)

    def close(self) -> None:
        """Nothing to close: the connection is the store's."""
