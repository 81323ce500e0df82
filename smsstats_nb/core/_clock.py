"""Time, injectable: the one clock the quota, the guard, the stores and the sync read and sleep on.

Every rule about time (the rate-limit window, a cool-down, the failed-login budget, a lease, an
expiry) reads :class:`Clock` instead of the :mod:`time` module, so the rule can be proven on a
:class:`FakeClock` whose ``sleep`` moves time forward at once, with no real wait. The
:data:`SYSTEM` clock is the default everywhere.

A Redis store counts on the Redis server's own clock (several machines must agree); the
injected clock rules only what happens on this machine.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM", "Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What the time rules need: wall time, a monotonic reading and a (cancellable) sleep."""

    def time(self) -> float:
        """Epoch seconds (wall clock)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and deadlines)."""

    def sleep(self, seconds: float) -> None:
        """Pause this thread for ``seconds``."""

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        """Pause up to ``seconds`` or until ``event`` is set; True when it was set."""


class SystemClock:
    """The real clock (:mod:`time` and :meth:`threading.Event.wait`)."""

    def time(self) -> float:
        """Epoch seconds."""
        return time.time()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` (negative values count as zero)."""
        time.sleep(max(0.0, seconds))

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        """``event.wait(seconds)``, or a plain sleep without an event."""
        if event is None:
            self.sleep(seconds)
            return False
        return event.wait(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


#: The default clock everywhere.
SYSTEM = SystemClock()


class FakeClock:
    """A clock that moves only when told to (or when something sleeps on it), for tests.

    ``sleep(s)`` and ``wait(event, s)`` advance the clock by ``s`` at once instead of waiting;
    ``advance(s)`` moves it by hand. Thread-safe; wall and monotonic time move together.

    Args:
        start: the epoch seconds it starts at (default: 1 June 2024, 12:00 UTC).
    """

    def __init__(self, start: float = 1_717_243_200.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def time(self) -> float:
        """The fake epoch seconds."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """The same reading as :meth:`time` (it never goes back)."""
        return self.time()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` (recorded in :attr:`slept`) without waiting."""
        seconds = max(0.0, seconds)
        with self._lock:
            self.slept.append(seconds)
            self._now += seconds

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        """True at once if ``event`` is set; else advance by ``seconds`` and report the event."""
        if event is not None and event.is_set():
            return True
        self.sleep(seconds)
        return event is not None and event.is_set()

    def __repr__(self) -> str:
        return f"FakeClock({self._now!r})"
