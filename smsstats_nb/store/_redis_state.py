"""The Redis store's small storages, each over the one shared connection.

One class per concern, as in the local store: :class:`RedisCooldowns`, :class:`RedisPeriods`,
:class:`RedisLeases` and :class:`RedisAlerts` (the failed-login budget is in ``_logins``). The
rules count on the Redis server's clock (one clock for the whole team), every Redis failure is the
store's :class:`~smsstats_nb.core.StorageError`, and a value another program (or an older version)
left damaged is read as absent, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from ..core import StatsQuery

__all__ = [
    "RedisAlerts",
    "RedisCooldowns",
    "RedisLeases",
    "RedisPart",
    "RedisPeriods",
    "server_time",
    "text",
    "translated",
]

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
Errors = Callable[[], contextlib.AbstractContextManager[None]]


def translated(method: F) -> F:
    """Run a method inside its object's ``errors()`` (Redis failures become one StorageError)."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.errors():
            return method(self, *args, **kwargs)

    return cast(F, run)


def server_time(redis: Any) -> float:
    """The Redis server's clock (epoch seconds)."""
    seconds, micros = redis.time()
    return float(seconds) + float(micros) / 1e6


def text(value: object) -> str:
    """A stored value as text, whatever bytes another program left (undecodable bytes replaced)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _number(value: object) -> float | None:
    """A stored number, or None for a damaged one (read as absent)."""
    try:
        return float(text(value))
    except ValueError:
        return None


def _hashed(prefix: str, kind: str, key: str) -> str:
    return f"{prefix}:{kind}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class RedisPart:
    """One concern's storage on the store's Redis connection (failures: the store's ``errors()``)."""

    def __init__(self, redis: Any, prefix: str, errors: Errors) -> None:
        self.redis, self.prefix, self.errors = redis, prefix, errors


class RedisCooldowns(RedisPart):
    """Keyed cool-downs with a TTL, on the server's clock."""

    @translated
    def set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now."""
        name = _hashed(self.prefix, "cool", key)
        until = server_time(self.redis) + seconds
        old = _number(self.redis.get(name)) if self.redis.exists(name) else None
        if old is None or old < until:
            self.redis.set(name, repr(until), px=max(1, int(seconds * 1000)))
            self.redis.set(name + ":reason", reason, px=max(1, int(seconds * 1000)))

    @translated
    def remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none, or when the stored value is damaged)."""
        value = self.redis.get(_hashed(self.prefix, "cool", key))
        until = _number(value) if value is not None else None
        if value is not None and until is None:
            logger.warning("a damaged cool-down value in Redis was ignored")
        return max(0.0, until - server_time(self.redis)) if until is not None else 0.0

    @translated
    def active(self) -> list[tuple[str, float]]:
        """The cool-downs still running: (reason, seconds left), soonest first."""
        now = server_time(self.redis)
        found = []
        for name in self.redis.scan_iter(f"{self.prefix}:cool:*"):
            if text(name).endswith(":reason"):
                continue
            until = _number(self.redis.get(name))
            if until is not None and until > now:
                reason = self.redis.get(text(name) + ":reason")
                found.append((text(reason) if reason is not None else "cool-down", until - now))
        return sorted(found, key=lambda c: c[1])

    @translated
    def clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        if key is None:
            for name in self.redis.scan_iter(f"{self.prefix}:cool:*"):
                self.redis.delete(name)
        else:
            name = _hashed(self.prefix, "cool", key)
            self.redis.delete(name, name + ":reason")


class RedisPeriods(RedisPart):
    """Which periods the shared cache holds: one hash per credential."""

    @translated
    def add(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period."""
        field = (
            f"{int(query.mycur)}|{int(query.balance2)}|{query.fmt}|{query.start.isoformat()}|{query.end.isoformat()}"
        )
        self.redis.hset(f"{self.prefix}:periods:{cred}", field, "" if expires is None else repr(expires))

    @translated
    def within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside the query's range with the same flags (damaged fields skipped)."""
        now = server_time(self.redis)
        out = []
        for field, expires in self.redis.hgetall(f"{self.prefix}:periods:{cred}").items():
            try:
                mycur, balance2, fmt, start, end = text(field).split("|")
                a, b, f = dt.date.fromisoformat(start), dt.date.fromisoformat(end), int(fmt)
                flags = (int(mycur), int(balance2))
            except ValueError:
                continue  # not ours: a miss
            until = _number(expires) if expires else None
            if flags != (int(query.mycur), int(query.balance2)) or (expires and (until is None or until <= now)):
                continue
            if query.start <= a and b <= query.end:
                out.append((a, b, f))
        return out

    @translated
    def clear(self) -> None:
        """Forget every period."""
        for name in self.redis.scan_iter(f"{self.prefix}:periods:*"):
            self.redis.delete(name)


class RedisLeases(RedisPart):
    """Named leases for the whole team (atomic in Redis)."""

    @translated
    def acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take or renew a lease: ``(True, owner)``, or ``(False, holder)``."""
        holder = text(
            self.redis.eval(_LEASE, 1, _hashed(self.prefix, "lease", name), owner, max(1, int(seconds * 1000)))
        )
        return holder == owner, holder

    @translated
    def release(self, name: str, owner: str) -> None:
        """Give a lease back if ``owner`` holds it."""
        self.redis.eval(_UNLEASE, 1, _hashed(self.prefix, "lease", name), owner)


class RedisAlerts(RedisPart):
    """What was sent, for the whole team: claimed before sending, ``sent`` for good after."""

    @translated
    def claim(self, key: str, owner: str, seconds: float) -> bool:
        """Claim an alert for sending (atomic in Redis)."""
        answer = self.redis.eval(_CLAIM, 1, _hashed(self.prefix, "alert", key), owner, max(1, int(seconds * 1000)))
        return int(answer) == 1

    @translated
    def done(self, key: str, owner: str) -> None:
        """Mark an alert sent, with no expiry (Redis must not evict it: noeviction is checked)."""
        self.redis.set(_hashed(self.prefix, "alert", key), "sent")

    @translated
    def release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim of an alert not sent."""
        self.redis.eval(_UNLEASE, 1, _hashed(self.prefix, "alert", key), "claim:" + owner)

    @translated
    def sent(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were sent."""
        wanted = list(keys)
        if not wanted:
            return set()
        values = self.redis.mget([_hashed(self.prefix, "alert", k) for k in wanted])
        return {k for k, v in zip(wanted, values, strict=True) if v in (b"sent", "sent")}

    @translated
    def mute(self, scope: str, login: str, until: str | None) -> None:
        """Hold back ``login``'s alerts (``*``: every login's) through ``until``, for the team."""
        name = _hashed(self.prefix, "mute", scope)
        if until is None:
            self.redis.hdel(name, login)
        else:
            self.redis.hset(name, login, until)

    @translated
    def mutes(self, scope: str) -> dict[str, str]:
        """The mutes of ``scope`` (a damaged entry reads as absent)."""
        raw = self.redis.hgetall(_hashed(self.prefix, "mute", scope))
        if not isinstance(raw, dict):
            return {}
        return {text(k): text(v) for k, v in raw.items()}


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
