"""The store's contract: small protocols, one per concern, and the records they return.

See :mod:`smsstats_nb.store` for the table of concerns and the backends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from ..core import Clock, StatsQuery
from ._quota import Quota

if TYPE_CHECKING:
    from requests_cache.backends.base import BaseCache

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
    "PeriodIndex",
    "QuotaStore",
    "Store",
    "StoreInfo",
    "is_redis_url",
]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_url(cache: object) -> bool:
    """Whether a ``cache`` setting names a Redis server."""
    return isinstance(cache, str) and cache.startswith(REDIS_SCHEMES)


@dataclass(frozen=True)
class StoreInfo:
    """Where the state lives and how big the HTTP cache is, the same for every backend.

    Attributes:
        kind: ``"local"`` or ``"redis"``.
        location: the cache directory, or the Redis URL without its password.
        state: where the quota and cool-downs live (the same as ``location`` but for ``cache=False``).
        http_cache: whether answers are cached.
        entries: answers in the HTTP cache.
        size_bytes: bytes on disk, or None where the backend does not say (Redis).
        medium: ``"on disk"`` or ``"in Redis"``, for people.
        legacy: answers an older version stored with pickle: never read (pickle can run code);
            each is fetched again when it is asked for, and ``clear()`` removes them.
    """

    kind: str
    location: str
    state: str
    http_cache: bool
    entries: int
    size_bytes: int | None
    medium: str
    legacy: int = 0

    def as_dict(self) -> dict[str, object]:
        """The keys :meth:`StatsClient.cache_info` has always returned."""
        return {
            "cache_dir": self.location if self.kind == "local" and self.http_cache else None,
            "state_dir": self.state,
            "redis": self.location if self.kind == "redis" else None,
            "enabled": self.http_cache,
            "entries": self.entries,
            "size_bytes": self.size_bytes or 0,
        }


@dataclass(frozen=True)
class Activity:
    """What ``smsstats cache info`` reports about use of the rate limit and the refusals.

    Attributes:
        recent_requests: requests sent in the window (every account in this store).
        cooldowns: ``(reason, seconds left)`` of each active cool-down, any reason (the guard
            says which reasons are refusals a person should see).
        failed_logins: failed logins still inside the login budget's window.
    """

    recent_requests: int
    cooldowns: list[tuple[str, float]] = field(default_factory=list)
    failed_logins: int = 0


class HttpCache(Protocol):
    """The HTTP cache and the credential-hash salt."""

    #: Where the state lives, safe to show (no password).
    description: str

    @property
    def http_cache_enabled(self) -> bool:
        """Whether answers are cached (False for ``cache=False``)."""

    def http_backend(self) -> BaseCache | None:
        """The requests-cache backend (JSON-serialized), or None when the HTTP cache is disabled."""

    def salt(self) -> bytes:
        """The salt of the credential hash (created once, shared by every user of the store)."""


class QuotaStore(Protocol):
    """Persistent quota buckets."""

    def quota(self, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """The persistent quota of one account identity."""


#: The wait :meth:`LoginBudget.reserve` answers when only logins still in flight (not
#: failed ones) fill the budget: they settle within a request's time, so the caller waits and asks
#: again rather than refuse (twenty new accounts log in at once; four wrong passwords refuse).
PENDING_WAIT = 0.05


class CooldownStore(Protocol):
    """Keyed cool-downs: refusals and pauses (the guard's memory)."""

    def set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now."""

    def remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""

    def active(self) -> list[tuple[str, float]]:
        """The cool-downs still running: (reason, seconds left), soonest first."""

    def clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""


class LoginBudget(Protocol):
    """The failed-login budget: SMSC blocks the IP after five failed logins, so attempts that
    failed, or whose answer has not come, are counted for every credential together."""

    def reserve(self, limit: int, window: float, *, scope: str, secret: str) -> tuple[str | None, float]:
        """Atomically reserve one of ``limit`` login attempts per ``window`` seconds at the service
        ``scope`` (failed, unanswered and pending attempts of every credential count; ``secret`` is
        the salted hash of the attempt's secret): ``(ticket, 0)``, or ``(None, seconds to wait)``:
        :data:`PENDING_WAIT` when fewer than ``limit`` of them are spent (the rest are in flight)."""

    def settle(self, ticket: str, outcome: Literal["ok", "failed", "unknown"]) -> None:
        """End a reserved attempt: ``ok`` frees it (and forgives the same secret's unanswered
        attempts), ``failed`` and ``unknown`` (no answer came) stay in the window from now."""

    def close(self) -> None:
        """Release its connection."""

    def failed(self, window: float) -> int:
        """Attempts that failed, or whose answer never came, in the last ``window`` seconds."""

    def clear(self) -> None:
        """Forget every attempt (the person says the password is fixed)."""


class PeriodIndex(Protocol):
    """Which periods the HTTP cache holds."""

    def add(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the HTTP cache holds an answer for this period (``expires``: epoch seconds)."""

    def within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside ``query``'s range with the same flags: (start, end, fmt)."""

    def clear(self) -> None:
        """Forget every period."""


class LeaseStore(Protocol):
    """Named leases: one holder at a time."""

    def acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take (or, for the same owner, renew) the lease ``name`` for ``seconds``: ``(True, owner)``,
        or ``(False, holder)`` while another owner holds it."""

    def release(self, name: str, owner: str) -> None:
        """Give the lease back if ``owner`` holds it."""


class AlertLog(Protocol):
    """What was sent: an alert is claimed before it is sent and marked sent after, so none goes out
    twice (a restart, a second machine, a cron job every 15 minutes), and one whose sending failed,
    or whose sender died mid-send, is sent by a later check (its claim released, or expired)."""

    def claim(self, key: str, owner: str, seconds: float) -> bool:
        """True when ``owner`` may send ``key`` now: it was never sent and no other live sender
        holds it (the claim lasts ``seconds``)."""

    def done(self, key: str, owner: str) -> None:
        """Mark ``key`` sent, for good."""

    def release(self, key: str, owner: str) -> None:
        """The sending failed: drop ``owner``'s claim so that the next check tries again."""

    def sent(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were sent."""

    def mute(self, scope: str, login: str, until: str | None) -> None:
        """Hold back ``login``'s alerts (``*``: all) through the day ``until`` (ISO; None: lift)."""

    def mutes(self, scope: str) -> dict[str, str]:
        """The mutes of ``scope``: login (or ``*``) -> the last day muted (ISO)."""


@runtime_checkable
class FrameCache(Protocol):
    """Parsed answers beside the HTTP cache; every failure is a miss, never an error."""

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The unexpired blobs of ``keys`` that are stored (a miss is simply absent)."""

    def has_many(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are stored and unexpired."""

    def put(self, key: str, blob: bytes, expires: float | None) -> None:
        """Store one packed answer until ``expires`` (epoch seconds; None: forever)."""

    def clear(self) -> None:
        """Forget every packed answer."""

    def close(self) -> None:
        """Release its connection."""


@runtime_checkable
class Store(HttpCache, QuotaStore, Protocol):
    """Every concern of one backend (SQLite files on one machine, or Redis for a team): the HTTP
    cache and the quotas, and one small storage per concern on the backend's one connection."""

    #: The clock of this machine's rules (a Redis store counts on the server's clock).
    clock: Clock

    @property
    def cooldowns(self) -> CooldownStore:
        """Keyed cool-downs."""

    @property
    def logins(self) -> LoginBudget:
        """The failed-login budget."""

    @property
    def periods(self) -> PeriodIndex:
        """Which periods the HTTP cache holds."""

    @property
    def leases(self) -> LeaseStore:
        """Named leases."""

    @property
    def alerts(self) -> AlertLog:
        """What was claimed and sent."""

    def frame_store(self) -> FrameCache | None:
        """The parsed-answer store beside the HTTP cache, or None (no HTTP cache, read-only)."""

    def errors(self) -> AbstractContextManager[None]:
        """A block inside which this backend's own failures become one StorageError."""

    def info(self) -> StoreInfo:
        """Where the state lives, how many answers are cached and how big the cache is."""

    def legacy_answers(self) -> int:
        """Answers an older version stored with pickle: never read, fetched again when asked for."""

    def activity(self, window: float, login_window: float) -> Activity:
        """Requests sent in the last ``window`` seconds (every account), active cool-downs, and
        logins that failed in the last ``login_window`` seconds."""

    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer, the period index and the parsed answers (and all cool-downs
        if asked); returns how many answers were removed."""

    def close(self) -> None:
        """Close every connection."""
