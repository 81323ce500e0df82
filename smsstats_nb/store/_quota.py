"""The quota: three statistics requests a minute per account, and its pure schedule.

:class:`Quota` wraps a pyrate-limiter bucket (SQLite or Redis, made by the store) for one
account identity: :meth:`Quota.try_take` takes a token or says how long until one frees up,
:meth:`Quota.fill` marks the window used up after the server's error 9. :func:`schedule_eta`
is the pure rule for "when can N more requests all have been sent", used for estimates and
progress bars. The window carries ``margin`` extra seconds so network jitter never lets the
server see one request too many inside its own window.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["Quota", "schedule_eta"]


def schedule_eta(recent: Sequence[float], limit: int, window: float, count: int, *, now: float, start: float) -> float:
    """Seconds from ``now`` until ``count`` more requests can all have been sent.

    Args:
        recent: epoch seconds of the requests already sent inside the window (oldest first).
        limit: requests allowed per ``window``.
        window: the window in seconds (margin included).
        count: requests still to send.
        now: the current time (epoch seconds, the bucket's clock).
        start: the earliest time the next request may go (``now``, or later during a cool-down).

    Returns:
        0 when ``count <= 0``; otherwise the wait until the last of them may be sent.
    """
    if count <= 0:
        return 0.0
    times = list(recent)
    last = start
    for _ in range(count):
        t = start
        if len(times) >= limit:
            t = max(t, times[-limit] + window)
        times.append(t)
        last = t
    return max(0.0, last - now)


class Quota:
    """A persistent sliding-window quota on a pyrate-limiter bucket for one account identity.

    Args:
        bucket: a pyrate-limiter bucket with one ``Rate(limit, window)``.
        identity: the account's public name (the bucket's item name).
        limit: requests per window.
        window: the window in seconds, margin included.
        recent_fn: ``recent_fn(since_ms)`` gives the epoch milliseconds of tokens since then.
        guard: a context manager factory that turns the backend's errors into StorageError.
        now_ms: the clock the tokens are stamped with, in epoch milliseconds (default: the
            bucket's own; a local store passes its injected clock, Redis keeps the server's).
    """

    def __init__(
        self,
        bucket: Any,
        identity: str,
        limit: int,
        window: float,
        recent_fn: Callable[[int], list[int]],
        *,
        guard: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._bucket = bucket
        self.identity = identity
        self.limit = limit
        self.window = window
        self._recent_fn = recent_fn
        self._guard = guard
        self._local = threading.Lock()
        self._now_ms: Callable[[], int] = now_ms or (lambda: int(self._bucket.now()))

    def now(self) -> float:
        """The bucket's clock, in epoch seconds (a Redis that is away: a StorageError)."""
        with self._guard():
            return float(self._now_ms()) / 1000.0

    def check_usable(self) -> None:
        """Raise (a StorageError) when no token could be recorded; a read-only store's quota does."""

    def try_take(self) -> float:
        """Take a token; return 0 on success, else the seconds until one frees up."""
        from pyrate_limiter import RateItem

        # stamped under the bucket's own lock: a token stamped before a wait for the lock (other
        # accounts' threads and processes write the same file) would be recorded earlier than it
        # is sent, and the server, counting arrivals, could see four inside its window
        shared = getattr(self._bucket, "lock", None)
        with self._guard(), self._local, shared if shared is not None else contextlib.nullcontext():
            item = RateItem(self.identity, self._now_ms())
            if self._bucket.put(item):
                return 0.0
            wait_ms = self._bucket.waiting(item)
        return max(0.05, (wait_ms if isinstance(wait_ms, int) and wait_ms > 0 else 50) / 1000.0)

    def recent(self) -> list[float]:
        """Epoch seconds of the tokens still inside the window (oldest first)."""
        with self._guard(), self._local:
            since = int(self._now_ms()) - int(self.window * 1000)
            return [t / 1000.0 for t in self._recent_fn(since)]

    def fill(self) -> None:
        """Mark the window as used up now (after the server answered error 9)."""
        from pyrate_limiter import RateItem

        with self._guard(), self._local:
            for _ in range(self.limit):
                if not self._bucket.put(RateItem(self.identity, self._now_ms())):
                    break

    def eta(self, count: int, *, cooldown: float = 0.0) -> float:
        """Seconds until ``count`` more requests can all have been sent (see :func:`schedule_eta`)."""
        now = self.now()
        return schedule_eta(self.recent(), self.limit, self.window, count, now=now, start=now + cooldown)

    def close(self) -> None:
        """Close the bucket's database."""
        with contextlib.suppress(Exception):
            self._bucket.close()
