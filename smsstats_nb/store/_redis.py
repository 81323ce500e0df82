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
import datetime as dt
import functools
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..core import SYSTEM, Clock, QueryError, StatsQuery, StorageError, TransportError, redact_url, said
from ._base import PENDING_WAIT, Activity, StoreInfo
from ._files import SERIALIZER
from ._quota import Quota

if TYPE_CHECKING:
    from requests_cache.backends.base import BaseCache

__all__ = ["PREFIX", "RedisFrameStore", "RedisStore", "check_eviction_policy", "connect_redis"]

logger = logging.getLogger(__name__)

PREFIX = "smsstats"
#: The one ``maxmemory-policy`` under which Redis never drops a key to make room.
SAFE_POLICY = "noeviction"

F = TypeVar("F", bound=Callable[..., Any])

# Atomic "reserve one of LIMIT login attempts per WINDOW seconds" on the Redis server's clock.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
if #members >= limit then
  local failed = 0
  for _, m in ipairs(members) do
    if string.sub(m, 1, 2) == 'f:' then failed = failed + 1 end
  end
  if failed < limit then return 'pending' end
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 60)
return 'ok'
"""
#: A failed attempt stays in the window from now, marked ``f:`` (a pending one has no mark).
_FAIL = """
local t = redis.call('TIME')
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], tonumber(t[1]) + tonumber(t[2]) / 1e6, 'f:' .. ARGV[1])
end
return 1
"""


def connect_redis(url: str) -> Any:
    """A Redis client for team mode; a clear error when redis-py is missing or Redis is down."""
    try:
        import redis
    except ImportError:
        raise said(
            QueryError, ("cache='redis://...' needs the redis package: pip install 'smsstats_nb[team]'")
        ) from None
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise TransportError(f"cannot reach Redis at {redact_url(url)} ({type(exc).__name__})") from None
    return client


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


def _translated(method: F) -> F:
    """Run a store method inside :meth:`RedisStore.errors`."""

    @functools.wraps(method)
    def run(self: RedisStore, *args: Any, **kwargs: Any) -> Any:
        with self.errors():
            return method(self, *args, **kwargs)

    return cast(F, run)


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
        except BaseException:
            self.close()
            raise
        self._backend: Any = None
        self._frames: RedisFrameStore | None = None

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

    @_translated
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

    def _now(self) -> float:
        seconds, micros = self.redis.time()
        return float(seconds) + float(micros) / 1e6

    def _cool(self, key: str) -> str:
        return f"{self.prefix}:cool:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    @_translated
    def cooldown_set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now (the Redis server's clock)."""
        name = self._cool(key)
        until = self._now() + seconds
        old = self.redis.get(name)
        if old is None or float(old) < until:
            self.redis.set(name, repr(until), px=max(1, int(seconds * 1000)))
            self.redis.set(name + ":reason", reason, px=max(1, int(seconds * 1000)))

    @_translated
    def cooldown_remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""
        value = self.redis.get(self._cool(key))
        return max(0.0, float(value) - self._now()) if value is not None else 0.0

    @_translated
    def cooldown_clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        if key is None:
            for name in self.redis.scan_iter(f"{self.prefix}:cool:*"):
                self.redis.delete(name)
            self.redis.delete(f"{self.prefix}:logins")
        else:
            self.redis.delete(self._cool(key), self._cool(key) + ":reason")

    @_translated
    def login_reserve(self, limit: int, window: float) -> tuple[str | None, float]:
        """Reserve one of ``limit`` login attempts per ``window`` seconds for the whole team."""
        ticket = uuid.uuid4().hex
        answer = self.redis.eval(_RESERVE, 1, f"{self.prefix}:logins", limit, window, ticket)
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        if text == "ok":
            return ticket, 0.0
        if text == "pending":
            return None, PENDING_WAIT  # logins in flight, not failures: they settle soon
        return None, max(1.0, float(text))

    @_translated
    def login_settle(self, ticket: str, *, failed: bool) -> None:
        """A failure stays in the window from now; anything else frees the slot."""
        if failed:
            self.redis.eval(_FAIL, 1, f"{self.prefix}:logins", ticket)
        else:
            self.redis.zrem(f"{self.prefix}:logins", ticket)

    @_translated
    def add_period(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period (for composition)."""
        field = (
            f"{int(query.mycur)}|{int(query.balance2)}|{query.fmt}|{query.start.isoformat()}|{query.end.isoformat()}"
        )
        self.redis.hset(f"{self.prefix}:periods:{cred}", field, "" if expires is None else repr(expires))

    @_translated
    def periods_within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside the query's range with the same flags: (start, end, fmt)."""
        now = self._now()
        out = []
        for field, expires in self.redis.hgetall(f"{self.prefix}:periods:{cred}").items():
            mycur, balance2, fmt, start, end = field.decode().split("|")
            if (int(mycur), int(balance2)) != (int(query.mycur), int(query.balance2)):
                continue
            if expires and float(expires) <= now:
                continue
            a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
            if query.start <= a and b <= query.end:
                out.append((a, b, int(fmt)))
        return out

    def _lease(self, name: str) -> str:
        return f"{self.prefix}:lease:{hashlib.sha256(name.encode()).hexdigest()[:32]}"

    @_translated
    def lease_acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take or renew a lease for the whole team (atomic in Redis)."""
        answer = self.redis.eval(_LEASE, 1, self._lease(name), owner, max(1, int(seconds * 1000)))
        holder = answer.decode() if isinstance(answer, bytes) else str(answer)
        return holder == owner, holder

    @_translated
    def lease_release(self, name: str, owner: str) -> None:
        """Give a lease back if ``owner`` holds it (atomic in Redis)."""
        self.redis.eval(_UNLEASE, 1, self._lease(name), owner)

    def _alert(self, key: str) -> str:
        return f"{self.prefix}:alert:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    @_translated
    def alert_claim(self, key: str, owner: str, seconds: float) -> bool:
        """Claim an alert for sending, for the whole team (atomic in Redis)."""
        answer = self.redis.eval(_CLAIM, 1, self._alert(key), owner, max(1, int(seconds * 1000)))
        return int(answer) == 1

    @_translated
    def alert_done(self, key: str, owner: str) -> None:
        """Mark an alert sent, with no expiry (Redis must not evict it: noeviction is checked)."""
        self.redis.set(self._alert(key), "sent")

    @_translated
    def alert_release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim of an alert not sent (atomic in Redis)."""
        self.redis.eval(_UNLEASE, 1, self._alert(key), "claim:" + owner)

    @_translated
    def alerts_sent(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were sent."""
        wanted = list(keys)
        if not wanted:
            return set()
        values = self.redis.mget([self._alert(k) for k in wanted])
        return {k for k, v in zip(wanted, values, strict=True) if v in (b"sent", "sent")}

    @_translated
    def info(self) -> StoreInfo:
        """The Redis URL (without password) and the number of cached answers."""
        entries = len(self.http_backend().responses)
        legacy = self.legacy_answers()
        return StoreInfo("redis", self.description, self.description, True, entries - legacy, None, "in Redis", legacy)

    @_translated
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

    @_translated
    def activity(self, window: float, login_window: float) -> Activity:
        """Requests in the last ``window`` seconds (all accounts), active cool-downs, failed logins."""
        now = self._now()
        recent = 0
        for key in self.redis.scan_iter(f"{self.prefix}:quota:*"):
            if self.redis.type(key) == b"zset":
                recent += int(self.redis.zcount(key, int((now - window) * 1000), "+inf"))
        cooldowns = []
        for name in self.redis.scan_iter(f"{self.prefix}:cool:*"):
            if name.endswith(b":reason"):
                continue
            value = self.redis.get(name)
            reason = self.redis.get(name + b":reason") if isinstance(name, bytes) else None
            if value is not None and float(value) > now:
                text = reason.decode() if isinstance(reason, bytes) else "cool-down"
                cooldowns.append((text, float(value) - now))
        recent = self.redis.zrangebyscore(f"{self.prefix}:logins", now - login_window, "+inf")
        failed = sum(1 for m in recent if (m.decode() if isinstance(m, bytes) else str(m)).startswith("f:"))
        return Activity(recent, sorted(cooldowns, key=lambda c: c[1]), failed)

    @_translated
    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer and the period index (and cool-downs if asked)."""
        backend = self.http_backend()
        removed = len(backend.responses)
        backend.clear()
        for name in self.redis.scan_iter(f"{self.prefix}:periods:*"):
            self.redis.delete(name)
        self.frame_store().clear()
        if cooldowns:
            self.cooldown_clear()
        return removed

    def storage_error(self, exc: BaseException) -> StorageError:
        """The StorageError for a Redis failure (names the server, never its password)."""
        cause = type(exc).__name__
        if cause == "OutOfMemoryError":
            cause = "Redis is out of memory (maxmemory reached; nothing was evicted)"
        elif cause in ("ConnectionError", "TimeoutError"):
            cause = f"the Redis server does not answer ({cause})"
        return StorageError(f"cannot use the smsstats state on {self.description}: {cause}")

    def close(self) -> None:
        """Close the Redis connection."""
        with contextlib.suppress(Exception):
            self.redis.close()


#: Take the lease if free or ours (and extend it); return its holder.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder
"""
#: Claim an alert unless it was sent or another owner's claim is alive: 1 when claimed.
_CLAIM = """
local value = redis.call('GET', KEYS[1])
if value == 'sent' then return 0 end
if (not value) or value == 'claim:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'claim:' .. ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
#: Delete the lease only if ``owner`` holds it.
_UNLEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


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
